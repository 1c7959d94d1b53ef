import Foundation
import SweepTestSupport
import Sweeping
import Testing

/// `sweep simulate` through the real binary: a sweep run for real, simulated on its own curves with
/// the same workers, records the same decisions (ids, positions, statuses, stops, figures); only the
/// seconds and workers are simulated. And what it prints, writes and refuses.
@Suite("sweep simulate")
struct SimulateCommandTests {
    static let cases = [AdaptiveSweepTests.Case(name: "hyperband", yaml: AdaptiveSweepTests.hyperband),
                        AdaptiveSweepTests.Case(name: "bayes", yaml: AdaptiveSweepTests.bayes)]

    @Test(.heavy, .timeLimit(.minutes(10)), arguments: cases)
    func aSimulationOfARealRunRecordsItsDecisions(_ test: AdaptiveSweepTests.Case) async throws {
        let scratch = Scratch()
        let real = try await AdaptiveSweepTests.run(test.yaml, workers: 2, in: scratch, results: "real")
        let outcome = try await SweepBinary.run(["simulate", "adaptive.yaml", "--table", "real", "--workers", "2",
                                                 "--results", "simulated"], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let simulated = Results(scratch.file("simulated"))
        let statuses = Dictionary(grouping: real.trials, by: \.status).mapValues(\.count)
        print("\(test.name): \(real.trials.count) trials, \(statuses); simulated: \(simulated.trials.count)")
        #expect(real.trials.count >= 10)
        #expect(simulated.outcomes == real.outcomes, "the simulation decided otherwise")
        #expect(simulated.epochFigures == real.epochFigures)
        // Its workers are simulated ones; a row the scheduler completes itself at a rung decision (the trial
        // paused, nobody holding it) names none, as in a real run.
        #expect(Set(simulated.trials.map(\.worker)).isSubset(of: ["sim1", "sim2", ""]))
        // Every trial replayed its own curve: no stand-in was counted.
        #expect(!outcome.stdout.contains("nearest recorded"), "\(outcome.stdout)")
        if test.name == "hyperband" { #expect((statuses[.stopped] ?? 0) >= 3) }
        // The check can fail: with another random_seed the same table gives other decisions.
        scratch.write(test.yaml.replacingOccurrences(of: "random_seed: ", with: "random_seed: 1"), to: "other.yaml")
        let other = try await SweepBinary.run(["simulate", "other.yaml", "--table", "real", "--results", "other"],
                                              directory: scratch.path)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(Results(scratch.file("other")).outcomes != real.outcomes)
        #expect(other.stdout.contains("nearest recorded configuration"), "\(other.stdout)")
        // What it wrote is a results folder the other commands read.
        let rank = try await SweepBinary.run(["rank", "simulated"], directory: scratch.path)
        #expect(rank.status == 0 && rank.stdout.contains("learning_rate"), "\(rank.stderr)")
    }

    @Test(.heavy, .timeLimit(.minutes(5)))
    func itComparesSweepsAndWorkerCountsAndPrintsJSONForPlots() async throws {
        let scratch = Scratch()
        let table = try await Self.fixtureTable(in: scratch)
        scratch.write(AdaptiveSweepTests.hyperband, to: "hyperband.yaml")
        scratch.write(AdaptiveSweepTests.bayes, to: "bayes.yaml")
        let text = try await SweepBinary.run(["simulate", "hyperband.yaml", "bayes.yaml", "--table", table, "--workers", "1,4",
                                              "--speeds", "2"], directory: scratch.path)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("any-time curve"))
        let rows = text.stdout.split(separator: "\n").filter { $0.hasPrefix("adaptive ") }
        #expect(rows.count == 4, "one comparison row per sweep and count: \(text.stdout)")
        let json = try await SweepBinary.run(["simulate", "hyperband.yaml", "--table", table, "--workers", "3", "--repeat", "2",
                                              "--json"], directory: scratch.path)
        #expect(json.status == 0, "\(json.stderr)")
        struct Document: Decodable {
            struct Run: Decodable {
                var workers: Int, `repeat`: Int, seconds: Double, deaths: Int, trials: Int
                var curve: [Point]
            }
            struct Point: Decodable { var seconds: Double, epochs: Int, value: Double }
            var runs: [Run]
        }
        let document = try JSONDecoder().decode(Document.self, from: Data(json.stdout.utf8))
        #expect(document.runs.map(\.repeat) == [0, 1] && document.runs.allSatisfy { $0.workers == 3 && $0.trials == 14 })
        #expect(document.runs.allSatisfy { !$0.curve.isEmpty && $0.curve.map(\.value) == $0.curve.map(\.value).sorted(by: >) })
        // Deaths: a worker lives a second on average (3,600 an hour) and epochs take 100 times their
        // recorded seconds, so the sweep lasts far longer than a life; every trial is still recorded
        // once (failed after three deaths, if it comes to that).
        scratch.write("100\n", to: "slow.txt")
        let dying = try await SweepBinary.run(["simulate", "hyperband.yaml", "--table", table, "--workers", "3", "--speeds", "slow.txt",
                                               "--failures", "3600", "--rejoin", "1", "--json"], directory: scratch.path)
        #expect(dying.status == 0, "\(dying.stderr)")
        let died = try JSONDecoder().decode(Document.self, from: Data(dying.stdout.utf8)).runs[0]
        #expect(died.deaths > 0 && died.trials == 14, "\(dying.stdout.prefix(400))")
    }

    @Test(.heavy, .timeLimit(.minutes(5)))
    func mistakesAreRefusedInOneLineEach() async throws {
        let scratch = Scratch()
        let table = try await Self.fixtureTable(in: scratch)
        scratch.write(AdaptiveSweepTests.hyperband, to: "hyperband.yaml")
        scratch.write("name: p\nmethod: pbt\npopulation_size: 4\nperturbation_interval: 2\nparameters:\n"
                      + "  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}\n  epochs: {value: 6}\n",
                      to: "pbt.yaml")
        scratch.write("1\nfast\n", to: "speeds.txt")
        scratch.write(AdaptiveSweepTests.hyperband.replacingOccurrences(of: "epochs: {value: 5}", with: "epochs: {value: 9}"),
                      to: "long.yaml")
        let cases: [([String], String)] = [
            (["simulate", "hyperband.yaml", "--table", "nowhere"], "--table nowhere is not a results folder"),
            (["simulate", "pbt.yaml", "--table", table], "method pbt cannot be simulated"),
            (["simulate", "hyperband.yaml", "--table", table, "--workers", "2,x"], "--workers takes counts"),
            (["simulate", "hyperband.yaml", "--table", table, "--speeds", "speeds.txt"], "speeds.txt:2: a speed factor"),
            (["simulate", "hyperband.yaml", "--table", table, "--speeds", "0.5"], "a spread is a number from 1 to 1000"),
            (["simulate", "hyperband.yaml", "--table", table, "--speeds", "1e25"], "a spread is a number from 1 to 1000"),
            (["simulate", "hyperband.yaml", "--table", table, "--failures", "1e-17"], "--failures must be 0 or a rate"),
            (["simulate", "hyperband.yaml", "--table", table, "--failures", "1", "--rejoin", "1e22"], "--rejoin must be 1 to"),
            (["simulate", "long.yaml", "--table", table], "its trials run up to 9 epochs, but the table's longest complete curve has 5"),
            (["simulate", "hyperband.yaml", "--table", table, "--workers", "1,2", "--results", "r"], "--results writes one"),
        ]
        for (arguments, message) in cases {
            let outcome = try await SweepBinary.run(arguments, directory: scratch.path)
            #expect(outcome.status != 0 && outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
            #expect(!outcome.stderr.contains("Fatal error"))
        }
    }

    /// A small table for the tests that only need curves: the hyperband case run for real (seconds).
    static func fixtureTable(in scratch: Scratch) async throws -> String {
        _ = try await AdaptiveSweepTests.run(AdaptiveSweepTests.hyperband, workers: 2, in: scratch, results: "table")
        return "table"
    }
}

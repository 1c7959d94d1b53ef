import Foundation
import SweepTestSupport
import Sweeping
import Testing

/// Adaptive sweeps through the real binary, real workers and real FashionMNIST (small slices): the
/// same trials.csv with 1 or 2 workers, and after the coordinator is SIGKILLed and run again.
@Suite("Adaptive sweeps")
struct AdaptiveSweepTests {
    static let space = """
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          dropout: {distribution: uniform, min: 0, max: 0.5}
          augment: {values: [none, flip]}
          hidden: {value: "16"}
          train_limit: {value: 1500}
          test_limit: {value: 300}
        """

    static let bayes = """
        name: adaptive
        method: bayes
        run_cap: 16
        parallelism: 2
        random_seed: 3
        """ + "\n" + space + "\n  epochs: {value: 2}\n"

    static let hyperband = """
        name: adaptive
        method: random
        run_cap: 14
        random_seed: 4
        early_terminate: {type: hyperband, min_iter: 1, eta: 2}
        """ + "\n" + space + "\n  epochs: {value: 5}\n"

    /// bayes learning from stopped trials and from the rung decisions of the latest ones, as the Optuna
    /// anchor runs it: nobody promoted from a rung before eta trials reached it, each trial's seed drawn.
    static let bayesAsha = """
        name: adaptive
        method: bayes
        run_cap: 20
        parallelism: 2
        random_seed: 5
        early_terminate: {type: asha, min_iter: 1, eta: 2, bootstrap_count: 1}
        """ + "\n" + space + "\n  epochs: {value: 5}\n  seed: {distribution: int_uniform, min: 0, max: 2147483647}\n"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var testDescription: String { name }
    }

    static let cases = [Case(name: "bayes", yaml: bayes), Case(name: "hyperband", yaml: hyperband),
                        Case(name: "bayes + asha, bootstrap, drawn seeds", yaml: bayesAsha)]

    /// Runs the sweep in a fresh results directory with `workers` workers; returns its outcomes.
    static func run(_ yaml: String, workers: Int, in scratch: Scratch, results: String) async throws -> Results {
        scratch.write(yaml, to: "adaptive.yaml")
        let outcome = try await SweepBinary.run(["run", "adaptive.yaml", "--workers", "\(workers)", "--results", results],
                                                directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return Results(scratch.file(results))
    }

    @Test(.heavy, .timeLimit(.minutes(10)), arguments: cases)
    func oneAndTwoWorkersRecordTheSameTrials(_ test: Case) async throws {
        let scratch = Scratch()
        let one = try await Self.run(test.yaml, workers: 1, in: scratch, results: "one")
        let two = try await Self.run(test.yaml, workers: 2, in: scratch, results: "two")
        #expect(one.trials.count >= 10)
        #expect(one.outcomes == two.outcomes)
        #expect(one.epochFigures == two.epochFigures)
        let statuses = Dictionary(grouping: one.trials, by: \.status).mapValues(\.count)
        print("\(test.name): \(one.trials.count) trials, statuses \(statuses); identical with 1 and 2 workers")
        if test.name != "bayes" {
            #expect((statuses[.stopped] ?? 0) >= 3, "early termination should stop some trials: \(statuses)")
            for record in one.trials where record.status == .stopped {
                #expect(one.epochs[record.id]?.count == record.stoppedAt)
            }
            if test.yaml.contains("seed: {distribution") {
                #expect(Set(one.trials.map(\.config.seed)).count == one.trials.count, "each trial its own seed")
            }
        } else {
            // Positions 13, 14 and 15 are the model's (horizon past the 10 random start-up trials).
            #expect(Set(one.trials.compactMap(\.number)) == Set(0..<16))
        }
    }

    @Test(.timeLimit(.minutes(2))) func checkSaysBayesDrawsASweptSeedAndNeverLearnsIt() async throws {
        let scratch = Scratch()
        scratch.write(Self.bayesAsha, to: "adaptive.yaml")
        let check = try await SweepBinary.run(["check", "adaptive.yaml"], directory: scratch.path)
        #expect(check.status == 0, "\(check.stderr)")
        let marked = check.stdout.split(separator: "\n").filter { $0.contains("(bayes: drawn per trial, never learnt)") }
        #expect(marked.count == 1 && marked.first?.trimmingCharacters(in: .whitespaces).hasPrefix("seed") == true, "\(check.stdout)")
        // Under random search the seed is one more drawn parameter: nothing to say.
        scratch.write(Self.bayesAsha.replacingOccurrences(of: "method: bayes", with: "method: random"), to: "random.yaml")
        let random = try await SweepBinary.run(["check", "random.yaml"], directory: scratch.path)
        #expect(random.status == 0 && !random.stdout.contains("never learnt"), "\(random.stdout)")
    }

    @Test(.heavy, .timeLimit(.minutes(10)), arguments: cases)
    func aCoordinatorKilledMidSweepResumesToTheSameTrials(_ test: Case) async throws {
        let scratch = Scratch()
        let reference = try await Self.run(test.yaml, workers: 1, in: scratch, results: "reference")
        scratch.write(test.yaml, to: "adaptive.yaml")
        let process = try SweepBinary.start(["run", "adaptive.yaml", "--workers", "2", "--results", "killed"], directory: scratch.path)
        #expect(await Processes.await(seconds: 180) { scratch.rows("killed/trials.csv").count >= 4 }, "\(scratch.text("stderr.log"))")
        Processes.killWithChildren(process.processIdentifier)
        try await process.waitForExit()
        let before = scratch.rows("killed/trials.csv").count
        #expect(before < reference.trials.count, "the sweep finished before it could be killed")
        let resumed = try await SweepBinary.run(["run", "adaptive.yaml", "--workers", "2", "--results", "killed"], directory: scratch.path)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let killed = Results(scratch.file("killed"))
        print("\(test.name): killed after \(before) trials; resumed to \(killed.trials.count), the reference has \(reference.trials.count)")
        #expect(killed.outcomes == reference.outcomes)
        #expect(killed.epochFigures == reference.epochFigures)
    }
}

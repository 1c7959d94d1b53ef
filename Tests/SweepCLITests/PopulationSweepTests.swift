import Foundation
import SweepTestSupport
import Sweeping
import Testing

/// `method: pbt` through the real binary, real workers and real FashionMNIST (small slices): the
/// same stretches with 1 or 2 workers and after the coordinator is SIGKILLed mid-sweep; a member's
/// weights and figures come back from its chain, by `sweep export` and by `sweep train --schedule`.
@Suite("Population-based training sweeps")
struct PopulationSweepTests {
    static let yaml = """
        name: pbt
        method: pbt
        population_size: 4
        perturbation_interval: 3
        random_seed: 5
        keep_models: 2
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.002, max: 0.3}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          weight_decay: {values: [0.0, 0.0001, 0.0005]}
          dropout: {values: [0.0, 0.1, 0.2]}
          hidden: {value: "32"}
          train_limit: {value: 6000}
          test_limit: {value: 1000}
          epochs: {value: 12}
        """

    /// Runs the sweep in a fresh results directory with `workers` workers; returns its outcomes.
    static func run(workers: Int, in scratch: Scratch, results: String) async throws -> Results {
        scratch.write(yaml, to: "pbt.yaml")
        let outcome = try await SweepBinary.run(["run", "pbt.yaml", "--workers", "\(workers)", "--results", results], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return Results(scratch.file(results))
    }

    @Test(.heavy, .timeLimit(.minutes(10)))
    func oneAndTwoWorkersAndAKilledCoordinatorRecordTheSameStretches() async throws {
        let scratch = Scratch()
        let one = try await Self.run(workers: 1, in: scratch, results: "one")
        let two = try await Self.run(workers: 2, in: scratch, results: "two")
        #expect(one.trials.count == 16, "4 members × 4 stretches")
        #expect(one.outcomes == two.outcomes)
        #expect(one.epochFigures == two.epochFigures)
        // Some member copied another, so the schedules are not just the draws.
        #expect(one.trials.contains { record in
            guard let lineage = record.point.lineage, let parent = lineage.parent else { return false }
            return one.trials.first { $0.id == parent }?.point.lineage?.member != lineage.member
        })

        scratch.write(Self.yaml, to: "pbt.yaml")
        let process = try SweepBinary.start(["run", "pbt.yaml", "--workers", "2", "--results", "killed"], directory: scratch.path)
        #expect(await Processes.await(seconds: 180) { scratch.rows("killed/trials.csv").count >= 5 }, "\(scratch.text("stderr.log"))")
        Processes.killWithChildren(process.processIdentifier)
        try await process.waitForExit()
        let before = scratch.rows("killed/trials.csv").count
        #expect(before < 16, "the sweep finished before it could be killed")
        let resumed = try await SweepBinary.run(["run", "pbt.yaml", "--workers", "2", "--results", "killed"], directory: scratch.path)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let killed = Results(scratch.file("killed"))
        print("pbt: killed after \(before) of 16 stretches; resumed to \(killed.trials.count), identical to 1 and 2 workers")
        #expect(killed.outcomes == one.outcomes)
        #expect(killed.epochFigures == one.epochFigures)
        // Nothing a generation still needed was lost, and nothing is left behind but the kept models.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch.file("killed/checkpoints"))) ?? []).isEmpty)
    }

    /// The numbers of `sweep train --json`'s summary line (its last), as a JSON object of numbers only.
    static func figures(_ stdout: String) -> String {
        let last = stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        return last.replacingOccurrences(of: #","status":"[a-z]+""#, with: "", options: .regularExpression)
    }

    @Test(.heavy, .timeLimit(.minutes(10)))
    func aMembersExportAndItsScheduleGiveItsRecordedFiguresToTheBit() async throws {
        let scratch = Scratch()
        let results = try await Self.run(workers: 2, in: scratch, results: "r")
        let rank = try await SweepBinary.run(["rank", "r", "--json"], directory: scratch.path)
        #expect(rank.status == 0, "\(rank.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(rank.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 4, "one row a member")
        let best = try #require(rows.first?["trials"] as? [String]).first!
        let schedule = try #require(rows.first?["schedule"] as? [[String: Any]])
        #expect(schedule.count == 4 && schedule.last?["trial"] as? String == best)
        let record = try #require(results.trials.first { $0.id == best })

        // Replayed through its chain: the kept model's bytes.
        let export = try await SweepBinary.run(["export", best, "--results", "r", "--replay", "-o", "replayed.safetensors"],
                                               directory: scratch.path)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stderr.contains("in 4 stretches"), "\(export.stderr)")
        let kept = try Data(contentsOf: URL(fileURLWithPath: scratch.file("r/models/\(best).safetensors")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("replayed.safetensors"))) == kept)

        // The schedule alone, from rank's JSON: the member's figures to the bit.
        scratch.write(rank.stdout, to: "schedule.json")
        let train = try await SweepBinary.run(["train", "--schedule", "schedule.json", "--json"], directory: scratch.path)
        #expect(train.status == 0, "\(train.stderr)")
        // Foundation's JSONSerialization reads some numbers a bit off on Linux; JSONDecoder reads them exactly.
        let summary = try JSONDecoder().decode([String: Double].self, from: Data(Self.figures(train.stdout).utf8))
        for column in ["final_test_loss", "final_train_loss", "final_test_accuracy"] {
            let trained = try #require(summary[column])
            #expect(trained.bitPattern == record.metrics[column]?.bitPattern, "\(column): \(trained) vs \(record.metrics[column] ?? .nan)")
        }
        // Another learning rate in the last stretch changes the figures: the check can fail.
        var stretches = schedule
        var parameters = try #require(stretches[3]["parameters"] as? [String: Any])
        parameters["learning_rate"] = (parameters["learning_rate"] as? Double ?? 0.01) * 1.5
        stretches[3]["parameters"] = parameters
        let altered = try JSONSerialization.data(withJSONObject: ["schedule": stretches])
        scratch.write(String(decoding: altered, as: UTF8.self), to: "altered.json")
        let other = try await SweepBinary.run(["train", "--schedule", "altered.json", "--json"], directory: scratch.path)
        #expect(other.status == 0, "\(other.stderr)")
        let otherSummary = try JSONDecoder().decode([String: Double].self, from: Data(Self.figures(other.stdout).utf8))
        #expect(otherSummary["final_test_loss"] != nil)
        #expect(otherSummary["final_test_loss"]?.bitPattern != record.metrics["final_test_loss"]?.bitPattern)
    }
}

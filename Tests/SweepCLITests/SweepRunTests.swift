import Foundation
import SweepCore
import SweepTestSupport
import Sweeping
import Testing
import ResultsStore

/// `sweep run` end to end: real coordinator, real worker processes, real FashionMNIST (small slices).
@Suite("sweep run")
struct SweepRunTests {

    /// The eight-point grid of the issue, tiny model on a small slice.
    static let grid = """
        name: grid8
        parameters:
          learning_rate: {values: [0.01, 0.1]}
          momentum: {values: [0.0, 0.9]}
          dropout: {values: [0.0, 0.4]}
          hidden: {value: "16"}
          epochs: {value: 2}
          train_limit: {value: 1000}
          test_limit: {value: 500}
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func anEightTrialGridWithTwoWorkersRecordsExactlyTheGrid() async throws {
        let scratch = Scratch()
        scratch.write(Self.grid, to: "grid8.yaml")
        let outcome = try await SweepBinary.run(["run", "grid8.yaml", "--workers", "2"], directory: scratch.path)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let trials = Results(scratch.file("Results/grid8")).trials
        #expect(trials.count == 8)
        #expect(Set(trials.map(\.id)).count == 8)
        let configs = Set(trials.map { "\($0.config.learningRate) \($0.config.momentum) \($0.config.dropout)" })
        var expected = Set<String>()
        for lr in ["0.01", "0.1"] { for m in ["0.0", "0.9"] { for d in ["0.0", "0.4"] { expected.insert("\(lr) \(m) \(d)") } } }
        #expect(configs == expected)
        #expect(trials.allSatisfy { $0.status == .completed })
        // Two workers shared the work, and each trial's epochs are in epochs.csv.
        #expect(Set(trials.map(\.worker)).count == 2)
        #expect(scratch.rows("Results/grid8/epochs.csv").count == 16)
        #expect(scratch.text("Results/grid8/sweep.yaml") == Self.grid)
        // The ranking is printed at the end.
        #expect(outcome.stdout.hasPrefix("#  learning_rate  momentum  dropout"))
        #expect(outcome.stdout.split(separator: "\n").count == 9)

        // Running it again finds nothing to do and changes nothing.
        let before = scratch.text("Results/grid8/trials.csv")
        let again = try await SweepBinary.run(["run", "grid8.yaml", "--workers", "2"], directory: scratch.path)
        #expect(again.status == 0)
        #expect(again.stderr.contains("8 trials, 8 already recorded"))
        #expect(scratch.text("Results/grid8/trials.csv") == before)
    }

    /// Sixteen trials, slow enough (in a debug build) to be killed in the middle.
    static let longer = """
        name: long16
        parameters:
          learning_rate: {values: [0.01, 0.05, 0.1, 0.2]}
          momentum: {values: [0.0, 0.5, 0.9, 0.95]}
          hidden: {value: "32"}
          epochs: {value: 3}
          train_limit: {value: 6000}
          test_limit: {value: 500}
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func killingTheCoordinatorMidSweepLosesNothingAndRedoesNothing() async throws {
        let scratch = Scratch()
        scratch.write(Self.longer, to: "long16.yaml")
        let trials = "Results/long16/trials.csv"
        let process = try SweepBinary.start(["run", "long16.yaml", "--workers", "2"], directory: scratch.path)
        let started = await Processes.await(seconds: 180) { scratch.rows(trials).count >= 3 }
        #expect(started, "no results appeared: \(scratch.text("stderr.log"))")
        let workers = Processes.children(of: process.processIdentifier)
        #expect(workers.count == 2)
        kill(process.processIdentifier, SIGKILL)
        for worker in workers { kill(worker, SIGKILL) }
        try await process.waitForExit()
        #expect(await Processes.await(seconds: 10) { workers.allSatisfy { !Processes.isAlive($0) } })

        let survivors = scratch.text(trials)
        let recordedBefore = scratch.rows(trials).count
        #expect(recordedBefore < 16, "the sweep finished before it could be killed")

        let resumed = try await SweepBinary.run(["run", "long16.yaml", "--workers", "2"], directory: scratch.path)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stderr.contains("16 trials, \(recordedBefore) already recorded"))
        let final = scratch.text(trials)
        // What was recorded before the kill is still there, byte for byte, at the start.
        #expect(final.hasPrefix(survivors))
        let results = Results(scratch.file("Results/long16"))
        let ids = results.trials.map(\.id)
        #expect(ids.count == 16)
        #expect(Set(ids).count == 16)
        // Every epoch row belongs to a recorded trial, three per trial.
        #expect(scratch.rows("Results/long16/epochs.csv").count == 48)
        #expect(Set(results.epochs.keys) == Set(ids))
        #expect(results.epochs.values.allSatisfy { $0.map(\.epoch) == [1, 2, 3] })
        // And the whole file parses: rank reads it.
        let rank = try await SweepBinary.run(["rank", "Results/long16"], directory: scratch.path)
        #expect(rank.status == 0)
        #expect(rank.stdout.split(separator: "\n").count == 1 + 16)
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func ctrlCStopsEverythingAndTheRunResumes() async throws {
        let scratch = Scratch()
        scratch.write(Self.longer.replacingOccurrences(of: "long16", with: "int16"), to: "int16.yaml")
        let process = try SweepBinary.start(["run", "int16.yaml", "--workers", "2"], directory: scratch.path)
        #expect(await Processes.await(seconds: 180) { scratch.rows("Results/int16/trials.csv").count >= 1 })
        let workers = Processes.children(of: process.processIdentifier)
        #expect(workers.count == 2)
        kill(process.processIdentifier, SIGINT)
        try await process.waitForExit()
        #expect(process.terminationStatus == ExitStatus.interrupted)
        #expect(workers.allSatisfy { !Processes.isAlive($0) }, "a worker outlived sweep run")
        #expect(scratch.text("stderr.log").contains("run the same command to resume"))
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func aTrialReachingTheTargetEndsTheSweepAndRunsCSVSaysSo() async throws {
        let scratch = Scratch()
        // Every trial reaches a test loss of 10: the first result ends the sweep.
        scratch.write(Self.longer.replacingOccurrences(of: "long16", with: "target")
                      .replacingOccurrences(of: "parameters:", with: "metric: {name: test_loss, target: 10}\nparameters:"),
                      to: "target.yaml")
        let outcome = try await SweepBinary.run(["run", "target.yaml", "--workers", "2"], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let recorded = Results(scratch.file("Results/target")).trials
        // The first trial in sweep order reached it: the sweep is that one trial, whatever else ran
        // meanwhile (a trial after it that finished first is moved to beyond.csv, not deleted).
        #expect(recorded.map(\.number) == [0], "\(recorded.map(\.number))")
        #expect(outcome.stderr.contains("trial #0 reached the target test_loss: the sweep ends there"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("target reached: 1 of 1 trials recorded"), "\(outcome.stderr)")
        #expect(ResultStore.readRuns(scratch.file("Results/target/runs.csv")).map(\.outcome) == [.targetReached])
        // Run again: the target is in trials.csv, so there is nothing to do.
        let again = try await SweepBinary.run(["run", "target.yaml"], directory: scratch.path)
        #expect(again.status == 0)
        #expect(again.stderr.contains("trial #0 reached the target test_loss; nothing to run"), "\(again.stderr)")
        #expect(Results(scratch.file("Results/target")).trials.count == recorded.count)
    }

    struct BadSweep: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var message: String
        var testDescription: String { name }
    }

    static let badSweeps: [BadSweep] = [
        BadSweep(name: "typo in a key", yaml: "name: bad\nparamters:\n  dropout: {value: 0}\n",
                 message: "bad.yaml:2: paramters: unknown key"),
        BadSweep(name: "unknown parameter", yaml: "name: bad\nparameters:\n  lr: {value: 0.1}\n",
                 message: "bad.yaml:3: parameters.lr: unknown parameter"),
        BadSweep(name: "string for a number", yaml: "name: bad\nparameters:\n  momentum: {value: high}\n",
                 message: "bad.yaml:3: parameters.momentum.value: must be a number, got 'high'"),
        BadSweep(name: "empty values", yaml: "name: bad\nparameters:\n  dropout: {values: []}\n",
                 message: "bad.yaml:3: parameters.dropout.values: is empty"),
        BadSweep(name: "negative learning rate", yaml: "name: bad\nparameters:\n  learning_rate: {values: [0.1, -0.5]}\n",
                 message: "bad.yaml:3: parameters.learning_rate: must be greater than 0, got -0.5"),
        BadSweep(name: "random search without run_cap", yaml: "name: bad\nmethod: random\nparameters:\n  dropout: {value: 0}\n",
                 message: "bad.yaml:2: run_cap: random search needs run_cap"),
    ]

    @Test(.timeLimit(.minutes(2)), arguments: badSweeps)
    func aMistakeGetsOneClearLineAndTouchesNoResults(_ bad: BadSweep) async throws {
        let scratch = Scratch()
        // Earlier results of the same name must come through untouched.
        try FileManager.default.createDirectory(atPath: scratch.file("Results/bad"), withIntermediateDirectories: true)
        scratch.write("keep me\n", to: "Results/bad/trials.csv")
        scratch.write(bad.yaml, to: "bad.yaml")
        let outcome = try await SweepBinary.run(["run", "bad.yaml"], directory: scratch.path)
        #expect(outcome.status == ExitStatus.dataError)
        #expect(outcome.stderrLines.count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains(bad.message), "\(outcome.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results")) == ["bad"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results/bad")) == ["trials.csv"])
        #expect(scratch.text("Results/bad/trials.csv") == "keep me\n")
    }

    @Test(.timeLimit(.minutes(2))) func aMissingSweepFileIsNamedAndExits66() async throws {
        let scratch = Scratch()
        let outcome = try await SweepBinary.run(["run", "nowhere.yaml"], directory: scratch.path)
        #expect(outcome.status == ExitStatus.noInput)
        #expect(outcome.stderrLines == ["sweep: error: nowhere.yaml: cannot read the sweep file: No such file or directory"],
                "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("Results")))
    }
}

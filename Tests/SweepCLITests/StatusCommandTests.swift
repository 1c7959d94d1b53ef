import Foundation
import SweepCore
import SweepTestSupport
import Testing

/// `sweep status` against a sweep that is really running, then after it ended; without a folder;
/// and counts that add up in a folder holding trials of more than one sweep file.
@Suite("sweep status")
struct StatusCommandTests {
    /// `sweep arguments…` in `directory`, waited for off Swift Testing's threads.
    static func sweep(_ arguments: [String], in directory: String) async throws -> SweepBinary.Outcome {
        try await SweepBinary.run(arguments, directory: directory)
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func statusAsksTheRunningCoordinatorThenFallsBackToTheCSVs() async throws {
        let scratch = Scratch()
        scratch.write(SweepRunTests.longer.replacingOccurrences(of: "long16", with: "watched"), to: "watched.yaml")
        let run = try SweepBinary.start(["run", "watched.yaml", "--workers", "2"], directory: scratch.path)
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }

        // While it runs: both workers, each on a trial, with its values, epochs and last test loss.
        let live = await Processes.await(seconds: 120) {
            guard let outcome = try? await SweepBinary.run(["status", "Results/watched", "--once"], directory: scratch.path)
            else { return false }
            scratch.write(outcome.stdout, to: "live.txt")
            return outcome.stdout.components(separatedBy: "training ").count - 1 == 2 && outcome.stdout.contains("best test_loss")
                && outcome.stdout.components(separatedBy: ", test_loss ").count - 1 == 2
        }
        let text = scratch.text("live.txt")
        #expect(live, "status never showed two busy workers: \(text)")
        let lines = text.split(separator: "\n")
        let header = try #require(lines.first)
        #expect(header.hasPrefix("sweep watched: "))
        #expect(header.contains("/16 recorded, 2 running, 2 workers; coordinator pid \(run.processIdentifier) at tcp://127.0.0.1:"))
        let training = lines.filter { $0.contains("training ") }
        // The values the sweep varies, not its constants.
        #expect(training.allSatisfy { $0.contains("/3 done, test_loss ") && $0.contains(": learning_rate=") && $0.contains(" momentum=")
                    && !$0.contains("hidden=") }, "\(text)")
        // The best trial with every value the file sets.
        let best = try #require(lines.first { $0.hasPrefix("best test_loss ") })
        #expect(best.contains(" learning_rate=") && best.contains(" momentum=") && best.contains(" hidden=32 epochs=3 train_limit=6000 test_limit=500)"),
                "\(best)")

        // After it: the figures come from the CSVs.
        try await run.waitForExit()
        #expect(run.terminationStatus == 0)
        let after = try await Self.sweep(["status", "Results/watched"], in: scratch.path)
        #expect(after.status == 0)
        #expect(after.stdout.hasPrefix("sweep watched: 16/16 recorded; no coordinator is running (figures from the CSVs)"))
        #expect(after.stdout.contains("best test_loss "))
        // The run left its report and its record behind, and no pointer to a coordinator that is gone.
        #expect(FileManager.default.fileExists(atPath: scratch.file("Results/watched/report.html")))
        #expect(scratch.rows("Results/watched/runs.csv").count == 1)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("Results/watched/coordinator.json")))
        #expect(scratch.text("stderr.log").contains("report: Results/watched/report.html"))
    }

    @Test(.timeLimit(.minutes(2))) func aStalePointerIsNoticed() async throws {
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.file("Results/gone"), withIntermediateDirectories: true)
        scratch.write(SweepRunTests.grid.replacingOccurrences(of: "grid8", with: "gone"), to: "Results/gone/sweep.yaml")
        // A coordinator that was SIGKILLed leaves its pointer; nothing listens there any more.
        scratch.write("{\"endpoint\":\"tcp://127.0.0.1:9\",\"pid\":999999}", to: "Results/gone/coordinator.json")
        let outcome = try await Self.sweep(["status", "Results/gone"], in: scratch.path)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("sweep gone: 0/8 recorded; the coordinator (pid 999999) does not answer"))
    }

    /// A program whose trials with a small learning rate print two lines and end, and the others
    /// print a line every 0.1 s until they are stopped.
    static let slow = """
        import argparse, json, time
        p = argparse.ArgumentParser()
        p.add_argument("--lr", type=float)
        p.add_argument("--momentum", type=float)
        p.add_argument("--width", type=int)
        a = p.parse_args()
        lines = 2 if a.lr < 0.05 else 100000
        for epoch in range(1, lines + 1):
            if lines > 2:
                time.sleep(0.1)
            print(json.dumps({"epoch": epoch, "loss": a.lr + a.momentum + 1.0 / epoch}), flush=True)
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func withoutAFolderStatusShowsTheRunningSweepsTrialsValuesEpochsAndMetric() async throws {
        let scratch = Scratch()
        scratch.write(Self.slow, to: "slow.py")
        scratch.write("""
            name: watched-program
            program: slow.py
            metric: {name: loss}
            parameters:
              momentum: {values: [0.0, 0.9]}
              lr: {values: [0.01, 0.1]}
              width: {value: 16}
            """, to: "watched.yaml")
        // A finished sweep that changed last: the running one is shown all the same.
        try FileManager.default.createDirectory(atPath: scratch.file("Results/finished"), withIntermediateDirectories: true)
        scratch.write(try String(contentsOfFile: RankCommandTests.fixture, encoding: .utf8), to: "Results/finished/trials.csv")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(3600)],
                                              ofItemAtPath: scratch.file("Results/finished/trials.csv"))
        let run = try SweepBinary.start(["run", "watched.yaml", "--workers", "2"], directory: scratch.path,
                                        environment: ["TMPDIR": scratch.path])
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }

        // The two short trials end; the two long ones train on, each worker on one.
        let seen = await Processes.await(seconds: 120) {
            guard let outcome = try? await SweepBinary.run(["status", "--once"], directory: scratch.path) else { return false }
            scratch.write(outcome.stdout, to: "live.txt")
            scratch.write(outcome.stderr, to: "live-stderr.txt")
            return outcome.stdout.contains(": 2/4 recorded, 2 running") && outcome.stdout.components(separatedBy: ", loss ").count - 1 == 2
        }
        let text = scratch.text("live.txt")
        #expect(seen, "status never showed the two long trials: \(text) \(scratch.text("stderr.log"))")
        #expect(scratch.text("live-stderr.txt") == "sweep: reading Results/watched-program (its coordinator is running)\n")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("sweep watched-program: 2/4 recorded, 2 running, 2 workers; coordinator pid \(run.processIdentifier)")
                == true, "\(text)")
        // Each running trial: its epoch, its last loss (that epoch's), and the values the sweep varies.
        var values: Set<String> = []
        for line in lines where line.contains("training ") {
            let epoch = try #require(line.firstMatch(of: /, epoch (\d+) done, loss ([0-9.e-]+): (.*)$/), "\(line)")
            let number = try #require(Int(epoch.1))
            let loss = try #require(Double(epoch.2))
            let momentum = epoch.3.contains("momentum=0.9") ? 0.9 : 0.0
            let expected = 0.1 + momentum + 1.0 / Double(number)
            #expect(abs(loss - expected) <= expected * 5e-4, "\(line)")
            values.insert(String(epoch.3))
        }
        #expect(values == ["momentum=0.0 lr=0.1", "momentum=0.9 lr=0.1"], "\(text)")
        // The best trial so far, with all its values.
        #expect(lines.contains { $0.hasPrefix("best loss 0.51 (trial ") && $0.hasSuffix(": momentum=0.0 lr=0.01 width=16)") }, "\(text)")

        kill(run.processIdentifier, SIGINT)
        try await run.waitForExit()
        #expect(run.terminationStatus == ExitStatus.interrupted)
        // Nothing runs now: the most recent sweep, said so.
        let after = try await Self.sweep(["status"], in: scratch.path)
        #expect(after.status == 0)
        #expect(after.stderrLines == ["sweep: reading Results/finished (the most recent sweep)"], "\(after.stderr)")
        #expect(after.stdout.hasPrefix("sweep finished: 11 recorded; no coordinator is running"), "\(after.stdout)")
    }

    @Test(.timeLimit(.minutes(2))) func recordedNeverExceedsTheTotalInAFolderOfSeveralSweepFiles() async throws {
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.file("Results/mixed"), withIntermediateDirectories: true)
        // The folder holds eleven trials; the file it keeps runs four of them (two rates, two seeds).
        scratch.write(try String(contentsOfFile: RankCommandTests.fixture, encoding: .utf8), to: "Results/mixed/trials.csv")
        scratch.write("""
            parameters:
              learning_rate: {values: [0.1, 0.01]}
              momentum: {value: 0.9}
              seed: {values: [0, 1]}
              epochs: {value: 3}
            """, to: "Results/mixed/sweep.yaml")
        let outcome = try await Self.sweep(["status", "Results/mixed"], in: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("sweep mixed: 4/4 recorded (the folder also holds 7 trials this sweep file does not run); "
                                         + "no coordinator is running"), "\(outcome.stdout)")
        // Its best is its own: b (0.25), with the file's values.
        #expect(outcome.stdout.contains("best test_loss 0.25 (trial b000000000000000: learning_rate=0.01 momentum=0.9 seed=0 epochs=3)"),
                "\(outcome.stdout)")
    }
}

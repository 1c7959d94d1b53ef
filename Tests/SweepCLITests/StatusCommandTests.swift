import Foundation
import SweepTestSupport
import Testing

/// `sweep status` against a sweep that is really running, then after it ended.
@Suite("sweep status")
struct StatusCommandTests {

    @Test(.timeLimit(.minutes(10))) func statusAsksTheRunningCoordinatorThenFallsBackToTheCSVs() throws {
        let scratch = Scratch()
        scratch.write(SweepRunTests.longer.replacingOccurrences(of: "long16", with: "watched"), to: "watched.yaml")
        let run = try SweepBinary.start(["run", "watched.yaml", "--workers", "2"], directory: scratch.path)
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }

        // While it runs: both workers, each on a trial, with epochs.
        var live = ""
        #expect(Processes.await(seconds: 120) {
            guard let outcome = try? SweepBinary.run(["status", "Results/watched", "--once"], directory: scratch.path)
            else { return false }
            live = outcome.stdout
            return outcome.stdout.components(separatedBy: "training ").count - 1 == 2 && outcome.stdout.contains("best test_loss")
        }, "status never showed two busy workers: \(live)")
        let header = try #require(live.split(separator: "\n").first)
        #expect(header.hasPrefix("sweep watched: "))
        #expect(header.contains("/16 recorded, 2 running, 2 workers; coordinator pid \(run.processIdentifier) at tcp://127.0.0.1:"))
        #expect(live.contains(", epoch "))
        #expect(live.contains(" on "))

        // After it: the figures come from the CSVs.
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        let after = try SweepBinary.run(["status", "Results/watched"], directory: scratch.path)
        #expect(after.status == 0)
        #expect(after.stdout.hasPrefix("sweep watched: 16/16 recorded; no coordinator is running (figures from the CSVs)"))
        #expect(after.stdout.contains("best test_loss "))
        // The run left its report and its record behind, and no pointer to a coordinator that is gone.
        #expect(FileManager.default.fileExists(atPath: scratch.file("Results/watched/report.html")))
        #expect(scratch.rows("Results/watched/runs.csv").count == 1)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("Results/watched/coordinator.json")))
        #expect(scratch.text("stderr.log").contains("report: Results/watched/report.html"))
    }

    @Test(.timeLimit(.minutes(10))) func aStalePointerIsNoticed() throws {
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.file("Results/gone"), withIntermediateDirectories: true)
        scratch.write(SweepRunTests.grid.replacingOccurrences(of: "grid8", with: "gone"), to: "Results/gone/sweep.yaml")
        // A coordinator that was SIGKILLed leaves its pointer; nothing listens there any more.
        scratch.write("{\"endpoint\":\"tcp://127.0.0.1:9\",\"pid\":999999}", to: "Results/gone/coordinator.json")
        let outcome = try SweepBinary.run(["status", "Results/gone"], directory: scratch.path)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("sweep gone: 0/8 recorded; the coordinator (pid 999999) does not answer"))
    }
}

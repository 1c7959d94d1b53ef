import ArgumentParser
import Coordinator
import Foundation
import Messaging
import Sweeping

/// `sweep coordinator`: the coordinator alone, for workers started elsewhere.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Serve a sweep's trials to workers that connect (sweep worker --connect ...), and record results.",
        discussion: """
            Like `sweep run` without starting workers. Resumable the same way: results already in \
            trials.csv are not run again.
            """)

    @Argument(help: ArgumentHelp("The sweep file.", valueName: "sweep.yaml"))
    var spec: String

    @Option(help: ArgumentHelp("Where to listen, e.g. tcp://127.0.0.1:5555.", valueName: "endpoint"))
    var bind: String

    @Option(help: ArgumentHelp("Results directory (default: Results/<name>).", valueName: "dir"))
    var results: String?

    @Flag(help: "Start over: move existing results aside (never deleted).")
    var fresh = false

    @Flag(name: .customLong("retry-failed"),
          help: "Run trials recorded as failed again; their earlier rows move to failed.csv (kept).")
    var retryFailed = false

    @OptionGroup(title: "Fault tolerance")
    var faults: FaultOptions

    @OptionGroup(title: "Security")
    var security: SecurityOptions

    @Option(help: "Rows of the ranking printed at the end.")
    var top = 10

    @Flag(help: "No line per trial on a non-terminal; only problems and the summary.")
    var quiet = false

    func run() throws {
        var coordinatorOptions = faults.coordinatorOptions
        coordinatorOptions.curve = try security.curve(bind: bind)
        let spec = try SweepSpec(contentsOf: spec)
        for warning in spec.warnings { warn(warning) }
        let setup = try SweepSetup(spec: spec, resultsDirectory: results, fresh: fresh, retryFailed: retryFailed, warn: warn)
        if let moved = setup.movedAside { say("moved the earlier results to \(moved)") }
        if setup.retried > 0 { say("retrying \(setup.retried) failed trials; their earlier rows are in failed.csv") }
        guard setup.hasWork else {
            if let best = setup.targetReachedBy { say("trial \(best.id) reached the target \(spec.metric.name); nothing to run") }
            say("all \(spec.count) trials are already recorded in \(setup.store.directory)")
            printRanking(setup, top: top)
            return
        }
        let session = try CoordinatorSession(setup: setup, bind: bind, options: coordinatorOptions, workers: 0, quiet: quiet)
        let coordinator = session.coordinator
        let before = coordinator.recordedCount
        say("sweep \(spec.name): \(spec.count - before) of \(spec.count) trials to run; listening on "
            + "\(coordinator.endpoint)")
        let outcome = try session.run()
        guard outcome != .stopped else {
            say("stopped: \(coordinator.recordedCount) of \(spec.count) trials recorded; run the same command to resume")
            throw ExitCode(ExitStatus.interrupted)
        }
        let seconds = session.dispatchSeconds
        let recorded = coordinator.recordedCount - before
        say("\(outcome == .finished ? "all" : "target reached:") \(coordinator.recordedCount) of \(spec.count) trials "
            + "recorded in \(setup.store.directory); \(recorded) in "
            + String(format: "%.2f s since the first dispatch (%.0f trials/s); ", seconds, Double(recorded) / max(seconds, 1e-9))
            + "coordinator used \(cpuSeconds()) s of CPU")
        printRanking(setup, top: top)
    }
}

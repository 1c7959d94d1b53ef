import ArgumentParser
import Coordinator
import Scheduling
import Foundation
import Sweeping
import SweepCore
import SweepFiles

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

    @Flag(help: "Add this sweep's trials to a results folder that holds another sweep, on purpose (to grow a grid by editing its file, say).")
    var extend = false

    @Flag(name: .customLong("retry-failed"),
          help: "Run trials recorded as failed again; their earlier rows move to failed.csv (kept).")
    var retryFailed = false

    @OptionGroup(title: "Fault tolerance")
    var faults: FaultOptions

    @OptionGroup(title: "Security")
    var security: SecurityOptions

    @OptionGroup(title: "Monitoring")
    var monitoring: MetricsOptions

    @Option(help: "Rows of the ranking printed at the end.")
    var top = 10

    @Flag(help: "No line per trial on a non-terminal; only problems and the summary.")
    var quiet = false

    func run() throws {
        var coordinatorOptions = faults.coordinatorOptions
        coordinatorOptions.curve = try security.curve(bind: bind)
        let spec = try SweepSpec(contentsOf: spec)
        for warning in spec.warnings { warn(warning) }
        let setup = try SweepSetup(spec: spec, resultsDirectory: results, fresh: fresh, extend: extend, retryFailed: retryFailed,
                                   options: coordinatorOptions.scheduling, warn: warn)
        announce(setup)
        guard setup.hasWork else {
            printRanking(setup, top: top)
            return
        }
        let session = try CoordinatorSession(setup: setup, bind: bind, options: coordinatorOptions, workers: 0, quiet: quiet,
                                             metricsOptions: monitoring)
        let coordinator = session.coordinator
        let before = coordinator.recordedCount
        say("sweep \(spec.name): \(coordinator.totalCount - before) of \(coordinator.totalCount) trials to run; listening on "
            + "\(coordinator.endpoint)")
        let outcome = try session.run()
        guard outcome != .stopped else {
            say("stopped: \(coordinator.recordedCount) of \(coordinator.totalCount) trials recorded; run the same command to resume")
            throw ExitCode(ExitStatus.interrupted)
        }
        let seconds = session.dispatchSeconds
        let recorded = coordinator.recordedCount - before
        say("\(outcome.summary) \(coordinator.recordedCount) of \(coordinator.totalCount) trials "
            + "recorded in \(setup.store.directory); \(recorded) in "
            + String(format: "%.2f s since the first dispatch (%.0f trials/s); ", seconds, Double(recorded) / max(seconds, 1e-9))
            + "coordinator used \(cpuSeconds()) s of CPU")
        sayStatistics(coordinator)
        printRanking(setup, top: top)
    }
}

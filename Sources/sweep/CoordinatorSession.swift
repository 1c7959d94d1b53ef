import Coordinator
import Foundation
import Messaging
import ResultsStore
import Monitoring
import Sweeping
import SweepCore

/// A coordinator serving one `SweepSetup` for `sweep run` and `sweep coordinator`: it leaves a pointer
/// for `sweep status` while it lives, shows progress, and records the run and its report at the end.
final class CoordinatorSession {
    let setup: SweepSetup
    let context: Context
    let coordinator: Coordinator
    let progress: ProgressReporter
    /// Seconds from the first trial handed out to the last result recorded (before the report is written).
    private(set) var dispatchSeconds = 0.0
    /// Prometheus's view, when `--metrics-port` asked for it, and its server.
    let metrics: SweepMetrics?
    private let metricsServer: BackgroundServer?

    init(setup: SweepSetup, bind: String, options: CoordinatorOptions, workers: Int, quiet: Bool = false,
         metricsOptions: MetricsOptions? = nil) throws {
        self.setup = setup
        // Before the coordinator and its pointer: a port that cannot be had ends the run before anything is left behind.
        if let metricsOptions, let port = metricsOptions.metricsPort {
            let metrics = SweepMetrics(name: setup.spec.name, records: setup.store.records,
                                       checkpointDirectory: ResultsDirectory(setup.store.directory).checkpoints)
            do {
                metricsServer = try metrics.serve(host: metricsOptions.metricsHost, port: port)
            } catch {
                throw RunFailure("--metrics-port: \(error)", code: ExitStatus.unavailable)
            }
            self.metrics = metrics
        } else {
            metrics = nil
            metricsServer = nil
        }
        Interrupts.install()
        context = try Context()
        coordinator = try Coordinator(scheduler: setup.scheduler, store: setup.store, checkpoints: setup.checkpoints, bind: bind, context: context,
                                      options: options)
        // Only when it matters: fewer than the local workers asked for, or than a cluster might bring.
        if coordinator.workerCapacity < (workers > 0 ? workers : 1000) {
            say("this coordinator can hold about \(coordinator.workerCapacity) workers (open-file limit \(coordinator.openFileLimit), "
                + "one a worker); raise the hard limit for more (`ulimit -Hn`; LimitNOFILE= for a systemd service)")
        }
        try CoordinatorPointer(bound: coordinator.endpoint, pid: getpid(),
                               curvePublicKey: try options.curve.map { try CurveKeys(secretKey: $0.secretKey).publicKey })
            .write(to: setup.store.directory)
        progress = ProgressReporter(total: coordinator.totalCount, alreadyDone: coordinator.recordedCount, workers: workers,
                                    metric: setup.spec.metric, best: setup.spec.metric.best(of: setup.store.records),
                                    quiet: quiet)
        if let metricsServer { say("metrics: \(metricsServer.url)/metrics") }
    }

    deinit {
        metricsServer?.stop()
        CoordinatorPointer.remove(from: setup.store.directory, pid: getpid())
    }

    /// Runs until done, Ctrl-C, or `stop`; then appends to runs.csv and writes the report.
    func run(stop: @escaping () -> Bool = { false }, afterwards: (SweepOutcome) -> Void = { _ in }) throws
        -> SweepOutcome {
        let started = Date()
        // The gauges the scheduler keeps are read a few times a second, not once a poll.
        var lastRefresh = ContinuousClock.now - .seconds(1)
        let outcome = try coordinator.run(
            shouldStop: { [progress, metrics, coordinator] in
                progress.draw()
                if let metrics, ContinuousClock.now - lastRefresh >= .milliseconds(250) {
                    lastRefresh = .now
                    metrics.refresh(coordinator.gauges)
                }
                return Interrupts.caught != nil || stop()
            },
            onEvent: { [progress, metrics] event in
                progress.handle(event)
                metrics?.observe(event)
            })
        metrics?.refresh(coordinator.gauges)
        dispatchSeconds = progress.secondsSinceFirstTrial
        progress.finish()
        afterwards(outcome)
        finishRun(setup, started: started, progress: progress, outcome: outcome)
        return outcome
    }
}

import Foundation
import Prometheus
import Scheduling
import SweepCore
import Sweeping
import Synchronization

/// What `/metrics` says about one sweep's coordinator, in the Prometheus text format.
///
/// It is fed on the coordinator's thread (`observe(_:)` with each event, `refresh(_:now:)` with the
/// scheduler's gauges between polls) and read by the HTTP server's threads (`exposition()`):
/// swift-prometheus's counters and gauges are atomics, so feeding it never waits for a scrape, and a
/// scrape never holds the coordinator. Its size is bounded: one series per status, no label per trial
/// or worker.
public final class SweepMetrics: Sendable {
    /// The registry the series live in.
    public let registry: PrometheusCollectorRegistry
    private let trials: [TrialStatus: Gauge]
    private let running: Gauge
    private let workers: Gauge
    private let epochs: Counter
    private let epochsPerSecond: Gauge
    private let waiting: Gauge
    private let checkpointStores: Counter
    private let checkpointBytes: Gauge
    /// Where the checkpoints are, measured at each scrape (on the server's thread).
    private let checkpointDirectory: String?
    /// Epoch arrival times over the last `window`, for the rate gauge.
    private let recent = Recent()

    /// How far back `sweep_epochs_per_second` looks.
    public static let window: Duration = .seconds(60)

    /// Metrics for a sweep that has already recorded `records` (a resumed one), whose checkpoints are
    /// under `checkpointDirectory`.
    public init(name: String, records: [TrialRecord], checkpointDirectory: String?) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let labels = [("sweep", name)]
        let help = "Trials of the sweep recorded with each status, and running now"
        trials = Dictionary(uniqueKeysWithValues: TrialStatus.allCases.map { status in
            (status, registry.makeGauge(name: "sweep_trials", labels: labels + [("status", status.rawValue)], help: help))
        })
        running = registry.makeGauge(name: "sweep_trials", labels: labels + [("status", "running")], help: help)
        workers = registry.makeGauge(name: "sweep_workers_connected", labels: labels, help: "Workers the coordinator counts as alive")
        epochs = registry.makeCounter(name: "sweep_epochs_total", labels: labels, help: "Epochs reported by workers")
        epochsPerSecond = registry.makeGauge(name: "sweep_epochs_per_second", labels: labels,
                                             help: "Epochs reported per second over the last minute")
        waiting = registry.makeGauge(name: "sweep_rows_waiting", labels: labels,
                                     help: "Results held until earlier trials' decisions let their rows be written")
        checkpointStores = registry.makeCounter(name: "sweep_checkpoints_stored_total", labels: labels, help: "Checkpoints stored")
        checkpointBytes = registry.makeGauge(name: "sweep_checkpoint_bytes", labels: labels,
                                             help: "Bytes of checkpoints and kept models in the results folder")
        self.checkpointDirectory = checkpointDirectory
        for status in TrialStatus.allCases {
            trials[status]!.set(to: Double(records.filter { $0.status == status }.count))
        }
    }

    /// Counts what an event tells (on the coordinator's thread).
    public func observe(_ event: SweepEvent, now: ContinuousClock.Instant = .now) {
        switch event {
        case .trialRecorded(let record):
            trials[record.status]?.increment()
        case .epoch:
            epochs.increment()
            epochsPerSecond.set(to: recent.add(now, window: Self.window))
        case .checkpointStored:
            checkpointStores.increment()
        default:
            break
        }
    }

    /// Sets the gauges the scheduler keeps (on the coordinator's thread).
    public func refresh(_ gauges: Scheduler.Gauges, now: ContinuousClock.Instant = .now) {
        workers.set(to: Double(gauges.workers))
        running.set(to: Double(gauges.training))
        waiting.set(to: Double(gauges.held))
        epochsPerSecond.set(to: recent.rate(at: now, window: Self.window))
    }

    /// The text format, with the checkpoint bytes measured now (on the caller's thread).
    public func exposition() -> String {
        if let checkpointDirectory { checkpointBytes.set(to: Double(Self.bytes(under: checkpointDirectory))) }
        return registry.emitToString()
    }

    /// The bytes of the regular files under `directory` (0 if it does not exist).
    static func bytes(under directory: String) -> Int {
        guard let files = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total = 0
        while let file = files.nextObject() as? String {
            var info = stat()
            if lstat(directory + "/" + file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int(info.st_size) }
        }
        return total
    }
}

/// Epoch arrival times within a window: a queue trimmed as time passes, so its memory is bounded by
/// the epochs of one window, not of the sweep.
final class Recent: Sendable {
    private struct Queue {
        var times: [ContinuousClock.Instant] = []
        var first = 0
    }
    // Only the coordinator's thread touches it; the mutex makes that a fact rather than a promise.
    private let queue = Mutex(Queue())

    /// Adds an arrival; returns the rate over the window.
    func add(_ now: ContinuousClock.Instant, window: Duration) -> Double {
        queue.withLock { $0.times.append(now) }
        return rate(at: now, window: window)
    }

    /// Arrivals per second over the window ending `now`.
    func rate(at now: ContinuousClock.Instant, window: Duration) -> Double {
        queue.withLock { queue in
            while queue.first < queue.times.count, now - queue.times[queue.first] > window { queue.first += 1 }
            if queue.first > 1024, queue.first * 2 > queue.times.count {
                queue.times.removeFirst(queue.first)
                queue.first = 0
            }
            let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) * 1e-18
            return Double(queue.times.count - queue.first) / seconds
        }
    }
}

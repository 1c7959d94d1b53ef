import Training
import Sweeping

/// What the scheduler tells about the sweep while it runs: `sweep status`, the summary, and the
/// coordinator's checks of what arrives.
extension Scheduler {
    /// A worker as `sweep status` shows it.
    public struct WorkerStatus: Equatable, Sendable {
        public var name: String, host: String
        public var trial: String?
        public var epoch: Int?, epochs: Int?
        /// The last rung its trial passed.
        public var rung: Int?
        /// What its trial trains.
        public var point: TrialPoint?
        /// The last value of `progressFigure` its trial reported.
        public var value: Double?
    }

    /// What a monitor's gauges show.
    public struct Gauges: Equatable, Sendable {
        /// Workers counted as alive.
        public var workers: Int
        /// Of those, the ones training (or running) a trial.
        public var training: Int
        /// Results held until decisions about earlier trials let their rows be written.
        public var held: Int
    }

    /// The gauges now (linear in the workers: ask it a few times a second, not per message).
    public var gauges: Gauges {
        Gauges(workers: registry.workers.count, training: registry.workers.values.count { $0.trial != nil }, held: book.heldCount)
    }

    /// The workers, by name.
    public var workerStatus: [WorkerStatus] {
        registry.workers.values.sorted { $0.name < $1.name }.map { state in
            let entry = state.trial.flatMap { book[$0] }
            let rung = entry.flatMap { judge.lastDecidedRung($0.number) }
            let last = state.lastProgress.flatMap { $0.epoch == state.epoch && state.trial != nil ? $0 : nil }
            return WorkerStatus(name: state.name, host: state.host, trial: state.trial, epoch: state.epoch,
                                epochs: entry.flatMap { runner.length(of: $0.trial.point) }, rung: rung, point: entry?.trial.point,
                                value: last?.value(named: progressFigure))
        }
    }

    /// The figure of an epoch that shows how a running trial does: the sweep's metric, or for the
    /// built-in trainer's `best_test_loss`, the test loss.
    public var progressFigure: String { runner.progressFigure }

    /// Trial positions of the sweep (its end, once settled).
    public var totalCount: Int { end.limit }

    /// The configuration of an open trial that `worker` is training (what a checkpoint it sends after
    /// `epoch` epochs must hold), or whose final checkpoint it may deliver while nobody holds the trial;
    /// nil for a program trial, which sends none.
    public func config(ofTrial id: String, trainedBy worker: WorkerID, epoch: Int) -> TrainingConfig? {
        guard let entry = book[id], entry.holder == worker || isOrphanedFinal(entry, epochs: epoch) else { return nil }
        return runner.config(of: entry.trial.point)
    }

    /// Whether `worker` is training (or running) open trial `id`.
    public func trains(_ id: String, worker: WorkerID) -> Bool {
        guard let entry = book[id] else { return false }
        return entry.holder == worker && !entry.isSettled
    }
}

import Training
import SweepCore

/// Something that happened, as the scheduler is told it: every message from a worker, or the
/// passing of time (`tick`). The time itself comes with each call (`Scheduler.handle(_:now:)`).
public enum SchedulerInput: Sendable {
    /// A worker (re)connected. `running` names a trial it is still training, with that trial's
    /// position and configuration so that a restarted coordinator can check the claim.
    case hello(WorkerID, name: String, host: String, running: RunningTrial?)
    /// The worker can take a trial.
    case ready(WorkerID)
    /// The worker is alive.
    case heartbeat(WorkerID)
    /// An epoch of `trial` finished.
    case progress(WorkerID, trial: String, metrics: EpochMetrics)
    /// `trial` ended; `number` is its position in the sweep, if the worker knows it.
    case result(WorkerID, trial: String, number: Int?, outcome: TrainingResult)
    /// A whole, valid checkpoint of `trial` after these finished `epochs` arrived from the worker
    /// (the shell has checked its bytes and holds them until `storeCheckpoint` says where they go).
    case checkpoint(WorkerID, trial: String, epochs: [EpochMetrics])
    /// Time passed: beat, reap silent workers, end the grace and farewell windows.
    case tick

    /// A trial a worker says it is still training.
    public struct RunningTrial: Sendable, Equatable {
        /// Its id.
        public var trial: String
        /// Its position in the sweep.
        public var number: Int?
        /// Its configuration.
        public var config: TrainingConfig?

        /// Creates a claim.
        public init(trial: String, number: Int?, config: TrainingConfig?) {
            self.trial = trial
            self.number = number
            self.config = config
        }
    }
}

import Sweeping
import Training

/// What the scheduler decided: messages to send, rows to record, files to move, things to report.
/// The I/O shell (`Coordinator`) performs them in order, with one rule: an `acknowledge` goes out
/// only once every `record` before it is on disk.
public enum SchedulerAction: Sendable, Equatable {
    /// Accept a worker's hello.
    case welcome(WorkerID)
    /// Train this trial (position `number` of the sweep).
    case assign(WorkerID, trial: String, number: Int, config: TrainingConfig)
    /// Stop training `trial`: at once, discarding it (`afterEpoch` nil), or after `afterEpoch` epochs,
    /// reporting the result cut there (early termination).
    case stop(WorkerID, trial: String, afterEpoch: Int?)
    /// Write this row and its epochs durably.
    case record(TrialRecord, epochs: [EpochMetrics])
    /// Keep this result durably until its row can be written (it waits for early-termination decisions
    /// about earlier trials); its worker is acknowledged once it is kept.
    case hold(HeldResult)
    /// Tell the worker its result of `trial` is safe: it may forget it.
    case acknowledge(WorkerID, trial: String)
    /// Keep the connection alive.
    case heartbeat(WorkerID)
    /// The sweep is over for this worker.
    case bye(WorkerID)
    /// These trials finished after earlier ones ended the sweep (its target reached, its epoch budget
    /// spent): they are not part of it; move their rows aside (never delete them).
    case moveBeyondEnd(Set<String>)
    /// Something to show or log.
    case event(SweepEvent)
}

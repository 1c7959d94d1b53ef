import Sweeping
import Training
import SweepCore

/// What the scheduler decided: messages to send, rows to record, files to move, things to report.
/// The I/O shell (`Coordinator`) performs them in order, with one rule: an `acknowledge` goes out
/// only once every `record` before it is on disk.
public enum SchedulerAction: Sendable, Equatable {
    /// Accept a worker's hello.
    case welcome(WorkerID)
    /// Train this trial, as the assignment says (resuming from its stored checkpoint, say).
    case assign(WorkerID, Assignment)
    /// Write the checkpoint of `trial` that `worker` just sent (after `epoch` epochs) durably, replacing
    /// the trial's earlier one, then tell the worker it is stored.
    case storeCheckpoint(WorkerID, trial: String, epoch: Int)
    /// The worker waiting at rung `epoch` of `trial` goes on.
    case proceed(WorkerID, trial: String, epoch: Int)
    /// Delete the stored checkpoint of this trial (it is recorded, or past the sweep's end).
    case removeCheckpoint(String)
    /// Turn the trial's final checkpoint into its model file (it ranks among the best `keep_models`),
    /// then delete the checkpoint.
    case keepModel(String)
    /// Delete the trial's model file (better trials pushed it out).
    case removeModel(String)
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

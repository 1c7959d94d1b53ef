import Sweeping
import Training
import SweepCore

/// What happened in a sweep, for progress displays and logs.
public enum SweepEvent: Sendable, Equatable {
    /// A worker said hello.
    case workerJoined(worker: String, host: String)
    /// A worker missed its heartbeats; its trial, if any, went back to the queue.
    case workerLost(worker: String, trial: String?)
    /// A trial was handed to a worker.
    case trialStarted(trial: String, number: Int, worker: String, attempt: Int)
    /// The trial just handed out resumes from its checkpoint after `fromEpoch` epochs.
    case resumed(trial: String, fromEpoch: Int, worker: String)
    /// A checkpoint of a running trial is stored.
    case checkpointStored(trial: String, epoch: Int, worker: String)
    /// A trial at a rung it may not pass yet was paused (its checkpoint kept, its worker freed).
    case paused(trial: String, rung: Int)
    /// A paused trial passed its rung and waits for a worker to continue it.
    case promoted(trial: String, rung: Int)
    /// A trial among the best `keep_models` has no model kept, and why (`sweep export` makes it).
    case noModel(trial: String, reason: String)
    /// An epoch of a running trial finished.
    case epoch(trial: String, worker: String, metrics: EpochMetrics)
    /// Early termination decided to stop a trial after this rung (epoch).
    case stopDecided(trial: String, rung: Int)
    /// A result was written durably (and acknowledged).
    case trialRecorded(TrialRecord)
    /// A result for an already recorded trial arrived and was dropped (then acknowledged).
    case duplicateResult(trial: String, worker: String)
    /// The sweep's end was settled by the trials in order up to `number`: its target was reached
    /// (`.targetReached`), or its epoch budget spent (`.budgetSpent`).
    case sweepEnded(reason: SweepOutcome, number: Int)
    /// A CURVE handshake was refused (key not authorised) or admitted.
    case authentication(accepted: Bool, key: String, address: String)
    /// A frame or message was dropped: malformed, oversized, another version, or out of place.
    case rejected(peer: String, reason: String)
    /// A worker's connection could not be accepted: the coordinator is out of file descriptors, with
    /// `workers` workers and an open-file limit of `openFileLimit` (one descriptor a worker).
    case coordinatorFull(workers: Int, openFileLimit: Int)
}

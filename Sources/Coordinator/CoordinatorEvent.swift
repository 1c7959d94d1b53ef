import Sweeping
import Training

/// What the coordinator did, for progress displays and logs.
public enum CoordinatorEvent: Sendable {
    /// A worker said hello.
    case workerJoined(worker: String, host: String)
    /// A worker missed its heartbeats; its trial, if any, went back to the queue.
    case workerLost(worker: String, trial: String?)
    /// A trial was handed to a worker.
    case trialStarted(trial: String, worker: String, attempt: Int)
    /// An epoch of a running trial finished.
    case epoch(trial: String, worker: String, metrics: EpochMetrics)
    /// A result was written durably and acknowledged.
    case trialRecorded(TrialRecord)
    /// A completed trial reached the metric's target: nothing more is handed out.
    case targetReached(trial: String)
    /// A result for an already recorded trial arrived and was dropped (then acknowledged).
    case duplicateResult(trial: String, worker: String)
    /// A CURVE handshake was refused (key not authorised) or admitted.
    case authentication(accepted: Bool, key: String, address: String)
    /// A frame was dropped: malformed, oversized, another version, or out of place.
    case rejected(peer: String, reason: String)
}

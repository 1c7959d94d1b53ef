import Sweeping
import SweepCore

/// What carries out the scheduler's actions: one method per kind of effect. The coordinator (frames
/// and durable writes), a sweep's setup (the file changes a resumed scheduler asks for before any
/// worker speaks) and the simulated fleet (`SweepSimulation`) each implement it, and `perform(_:)`
/// is the one place that reads a `SchedulerAction`: a new action is a new method here, and the
/// compiler names every implementation that lacks it.
///
/// `Failure` is what the effects may throw: `Never` for the coordinator and the fleet, which collect
/// writes for the next flush; a store error for the setup, which writes at once.
public protocol SchedulerEffects {
    /// What carrying out an action may throw.
    associatedtype Failure: Error = Never

    /// Accept the worker's hello.
    mutating func welcome(_ worker: WorkerID) throws(Failure)
    /// Send the worker this trial to train.
    mutating func assign(_ assignment: Assignment, to worker: WorkerID) throws(Failure)
    /// Tell the worker waiting at rung `epoch` of `trial` to go on.
    mutating func proceed(_ worker: WorkerID, trial: String, epoch: Int) throws(Failure)
    /// Tell the worker to stop `trial`: at once (`afterEpoch` nil) or after `afterEpoch` epochs.
    mutating func stop(_ worker: WorkerID, trial: String, afterEpoch: Int?) throws(Failure)
    /// Tell the worker its result of `trial` is safe (once every record before it is on disk).
    mutating func acknowledge(_ worker: WorkerID, trial: String) throws(Failure)
    /// Keep the worker's connection alive.
    mutating func heartbeat(_ worker: WorkerID) throws(Failure)
    /// Tell the worker the sweep is over for it.
    mutating func bye(_ worker: WorkerID) throws(Failure)
    /// Store the checkpoint of `trial` (after `epoch` epochs) that `worker` just sent, replacing the
    /// trial's earlier one, and tell the worker it is stored.
    mutating func storeCheckpoint(from worker: WorkerID, trial: String, epoch: Int) throws(Failure)
    /// Delete the stored checkpoint of `trial`.
    mutating func removeCheckpoint(_ trial: String) throws(Failure)
    /// Turn the final checkpoint of `trial` into its model file, then delete the checkpoint.
    mutating func keepModel(_ trial: String) throws(Failure)
    /// Delete the model file of `trial`.
    mutating func removeModel(_ trial: String) throws(Failure)
    /// Write the row and its epochs durably.
    mutating func record(_ record: TrialRecord, epochs: [EpochMetrics]) throws(Failure)
    /// Keep the result durably until its row can be written.
    mutating func hold(_ result: HeldResult) throws(Failure)
    /// Move the rows of these trials aside (past the sweep's end); never delete them.
    mutating func moveBeyondEnd(_ trials: Set<String>) throws(Failure)
    /// Show or log something that happened.
    mutating func report(_ event: SweepEvent) throws(Failure)
}

extension SchedulerEffects {
    /// Carries out `actions`, in order: the one interpretation of `SchedulerAction`.
    public mutating func perform(_ actions: [SchedulerAction]) throws(Failure) {
        for action in actions {
            switch action {
            case .welcome(let worker): try welcome(worker)
            case .assign(let worker, let assignment): try assign(assignment, to: worker)
            case .proceed(let worker, let trial, let epoch): try proceed(worker, trial: trial, epoch: epoch)
            case .stop(let worker, let trial, let afterEpoch): try stop(worker, trial: trial, afterEpoch: afterEpoch)
            case .acknowledge(let worker, let trial): try acknowledge(worker, trial: trial)
            case .heartbeat(let worker): try heartbeat(worker)
            case .bye(let worker): try bye(worker)
            case .storeCheckpoint(let worker, let trial, let epoch): try storeCheckpoint(from: worker, trial: trial, epoch: epoch)
            case .removeCheckpoint(let trial): try removeCheckpoint(trial)
            case .keepModel(let trial): try keepModel(trial)
            case .removeModel(let trial): try removeModel(trial)
            case .record(let record, let epochs): try self.record(record, epochs: epochs)
            case .hold(let result): try hold(result)
            case .moveBeyondEnd(let trials): try moveBeyondEnd(trials)
            case .event(let event): try report(event)
            }
        }
    }
}

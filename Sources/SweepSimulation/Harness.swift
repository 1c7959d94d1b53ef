import Scheduling
import Sweeping
import Training
import SweepCore

/// A scheduler driven by hand, as swift-nio's `EmbeddedChannel` drives a channel: inputs go in with
/// a virtual time, actions come out and are kept for inspection, and the store's side of them is
/// carried out in memory (records, held results, checkpoints and models as the results folder would
/// keep them). The workers' side is the caller's: a test's script, or a `Fleet`.
///
/// The harness checks the scheduler's promises as a store would rely on them (a checkpoint is stored
/// only once sent, a model kept only from a stored checkpoint) and stops the process when one is
/// broken: that is a bug in the scheduler, not bad input.
public struct Harness: SchedulerEffects {
    /// The scheduler under test.
    public var scheduler: Scheduler
    /// The virtual time inputs are handed in at.
    public var now: Duration = .zero
    /// Every action so far, in order (while `keepsActions`).
    public var actions: [SchedulerAction] = []
    /// Whether `actions` keeps them: a long benchmark run turns it off to measure the scheduler alone.
    public var keepsActions = true
    /// Inputs handed in so far.
    public private(set) var inputs = 0
    /// What was recorded, in order.
    public var records: [TrialRecord] = []
    /// Each recorded trial's epochs.
    public var epochs: [String: [EpochMetrics]] = [:]
    /// Results kept until their rows can be written, as `held.jsonl` would keep them, in the order held.
    public var held: [HeldResult] {
        get { heldSlots.compactMap { $0 } }
        set {
            heldSlots = newValue
            heldPlace = Dictionary(grouping: newValue.indices, by: { newValue[$0].trial })
        }
    }
    /// The held results with gaps where recorded ones were (a record finds its own in O(1), not by
    /// a scan of every held result: with thousands of workers and early termination, thousands wait).
    private var heldSlots: [HeldResult?] = []
    private var heldPlace: [String: [Int]] = [:]
    /// Stored checkpoints (each trial's finished epochs) and kept models, as `checkpoints/` and `models/` would hold them.
    public var checkpoints: [String: [EpochMetrics]] = [:]
    /// Trials whose model is kept.
    public var models: Set<String> = []
    /// The `warm_start:` trials the scheduler learnt before its first trial.
    public let priors: [Scheduler.Prior]
    /// The checkpoint each worker sent last, until the scheduler says to store it.
    private var sent: [WorkerID: [EpochMetrics]] = [:]

    /// A scheduler for `spec` resumed from what a results folder would hold, and what it did as it started.
    public init(_ spec: SweepSpec, records: [TrialRecord] = [], epochs: [String: [EpochMetrics]] = [:], held: [HeldResult] = [],
                checkpoints: [String: [EpochMetrics]] = [:], models: Set<String> = [], priors: [Scheduler.Prior] = [],
                options: SchedulerOptions = Harness.options, now: Duration = .zero) {
        scheduler = Scheduler(spec: spec, records: records, epochs: epochs, held: held, checkpoints: checkpoints, models: models,
                              priors: priors, options: options, now: now)
        self.priors = priors
        self.now = now
        self.records = records
        self.epochs = epochs
        self.held = held
        self.checkpoints = checkpoints
        self.models = models
        take(scheduler.startingActions())
    }

    /// Fast timings, so virtual seconds stay small: beat 100 ms, dead after 3 missed, farewell 1 s.
    public static var options: SchedulerOptions {
        var options = SchedulerOptions()
        options.heartbeat = .milliseconds(100)
        options.liveness = 3
        options.farewell = .seconds(1)
        return options
    }

    /// Sends one input now; returns what it caused.
    @discardableResult
    public mutating func send(_ input: SchedulerInput) -> [SchedulerAction] {
        if case .checkpoint(let worker, _, let epochs) = input { sent[worker] = epochs }
        inputs += 1
        let result = scheduler.handle(input, now: now)
        take(result)
        return result
    }

    /// Lets `duration` pass, ticking every 50 ms, while the workers named in `beating` send heartbeats
    /// (the others stay silent); returns what happened.
    @discardableResult
    public mutating func advance(_ duration: Duration, beating: [String] = []) -> [SchedulerAction] {
        var result: [SchedulerAction] = []
        let end = now + duration
        while now < end {
            now = min(now + .milliseconds(50), end)
            for name in beating { result += send(.heartbeat(WorkerID(name))) }
            result += send(.tick)
        }
        return result
    }

    private mutating func take(_ new: [SchedulerAction]) {
        if keepsActions { actions += new }
        perform(new)
    }

    // MARK: - The store's side of the actions

    public mutating func record(_ record: TrialRecord, epochs recorded: [EpochMetrics]) {
        records.append(record)
        epochs[record.id] = recorded
        if let places = heldPlace.removeValue(forKey: record.id) {
            for place in places { heldSlots[place] = nil }
            // Gaps are dropped once they are most of the slots: amortised O(1) a record.
            if heldPlace.count * 2 < heldSlots.count { held = heldSlots.compactMap { $0 } }
        }
    }

    public mutating func hold(_ result: HeldResult) {
        heldPlace[result.trial, default: []].append(heldSlots.count)
        heldSlots.append(result)
    }

    public mutating func moveBeyondEnd(_ trials: Set<String>) {
        records.removeAll { trials.contains($0.id) }
        for id in trials { epochs[id] = nil }
    }

    public mutating func storeCheckpoint(from worker: WorkerID, trial: String, epoch: Int) {
        precondition(sent[worker]?.count == epoch, "told to store a checkpoint that was not sent")
        checkpoints[trial] = sent.removeValue(forKey: worker)
    }

    public mutating func removeCheckpoint(_ trial: String) { checkpoints[trial] = nil }

    public mutating func keepModel(_ trial: String) {
        precondition(checkpoints[trial] != nil, "a model kept from no checkpoint")
        checkpoints[trial] = nil
        models.insert(trial)
    }

    public mutating func removeModel(_ trial: String) { models.remove(trial) }

    // The workers' side is the caller's (the actions are returned and kept), and events are kept
    // with the actions.
    public func welcome(_ worker: WorkerID) {}
    public func assign(_ assignment: Assignment, to worker: WorkerID) {}
    public func proceed(_ worker: WorkerID, trial: String, epoch: Int) {}
    public func stop(_ worker: WorkerID, trial: String, afterEpoch: Int?) {}
    public func acknowledge(_ worker: WorkerID, trial: String) {}
    public func heartbeat(_ worker: WorkerID) {}
    public func bye(_ worker: WorkerID) {}
    public func report(_ event: SweepEvent) {}

    // MARK: - Scripted workers

    /// A worker says hello and is ready; returns the trial it was given, if any.
    @discardableResult
    public mutating func join(_ name: String, running: SchedulerInput.RunningTrial? = nil) -> Assignment? {
        send(.hello(WorkerID(name), name: name, host: "h", running: running))
        if running != nil { return nil }
        return assignment(in: send(.ready(WorkerID(name))), to: name)
    }

    /// What a worker is given to train.
    public typealias Assignment = Scheduling.Assignment

    /// The trial handed to `name` in `actions`, if any.
    public func assignment(in actions: [SchedulerAction], to name: String) -> Assignment? {
        for case .assign(let worker, let assignment) in actions where worker == WorkerID(name) { return assignment }
        return nil
    }

    /// `name` trains `assignment` to the end (progress for each epoch, then the result) and says it is
    /// ready once acknowledged; returns the next assignment, if one came.
    @discardableResult
    public mutating func finish(_ name: String, _ assignment: Assignment) -> Assignment? {
        let result = FakeTrainer.run(assignment.point)
        for metrics in result.epochs { send(.progress(WorkerID(name), trial: assignment.trial, metrics: metrics)) }
        let reply = send(.result(WorkerID(name), trial: assignment.trial, number: assignment.number, outcome: result))
        guard reply.contains(.acknowledge(WorkerID(name), trial: assignment.trial)) else { return nil }
        return self.assignment(in: send(.ready(WorkerID(name))), to: name)
    }

    /// Events of one kind.
    public func events(_ match: (SweepEvent) -> Bool) -> [SweepEvent] {
        actions.compactMap { if case .event(let event) = $0, match(event) { return event } else { return nil } }
    }
}


import Foundation
import Scheduling
import Sweeping
import Training
import ResultsStore
import SweepCore

/// A sweep ready to run: its results directory locked, opened (and recovered), its spec recorded,
/// failed trials moved aside when they are to be retried, and its scheduler rebuilt from the CSVs.
public struct SweepSetup {
    /// The spec being run.
    public let spec: SweepSpec
    /// The open results store (holding the directory's lock).
    public let store: ResultStore
    /// Its checkpoints and kept models.
    public let checkpoints: CheckpointStore
    /// Where the old results went, when `fresh` moved them aside.
    public let movedAside: String?
    /// Failed trials moved to failed.csv to run again (`retryFailed`).
    public let retried: Int
    /// The decisions, resumed from what is recorded.
    public var scheduler: Scheduler
    /// What the scheduler said as it resumed (the sweep's end, say).
    public let startingEvents: [SweepEvent]
    /// The earlier trials `warm_start:` gave the scheduler to learn from.
    public let warmStart: WarmStart

    /// Opens `Results/<name>` (or `resultsDirectory`), after moving an old one aside if `fresh`. A
    /// folder that holds another sweep is refused, unless `extend` adds this one to it on purpose.
    public init(spec: SweepSpec, resultsDirectory: String?, fresh: Bool, extend: Bool = false, retryFailed: Bool = false,
                options: SchedulerOptions = SchedulerOptions(), warn: (String) -> Void) throws {
        self.spec = spec
        let directory = resultsDirectory ?? ("Results" as NSString).appendingPathComponent(spec.name)
        movedAside = fresh ? try ResultStore.moveAside(directory) : nil
        store = try ResultStore(directory: directory, layout: spec.layout, sweep: spec, extend: extend, warn: warn)
        if retryFailed {
            let failed = Set(store.records.filter { $0.status == .failed && spec.admits($0.point) }.map(\.id))
            retried = try store.moveAside(failed, to: .failed)
        } else {
            retried = 0
        }
        try store.writeSpec(spec.text)
        // Early termination compares trials epoch by epoch, so it needs the recorded epochs too.
        let epochs = spec.earlyTermination == nil ? [:]
            : ResultStore.readEpochs(ResultsDirectory(directory).epochs(spec.layout), layout: spec.layout)
        checkpoints = CheckpointStore(directory: directory)
        let warmStart = try WarmStart(spec: spec, own: directory)
        self.warmStart = warmStart
        // A stretch of population-based training is more than its configuration (its lineage is in
        // its id): a recorded one's checkpoint must hold its recorded configuration, one in flight
        // one of this sweep's (its values the space's, but for where its stretch ends).
        let recorded = Dictionary(store.records.map { ($0.id, $0.config) }, uniquingKeysWith: { first, _ in first })
        let belongs: (String, TrainingConfig) -> Bool = spec.population == nil ? { $1.trialID == $0 } : { trial, config in
            if let known = recorded[trial] { return known == config }
            return spec.admits(TrialPoint(config: config).with(lineage: Lineage(member: 0, generation: 0, parent: nil)))
        }
        scheduler = Scheduler(spec: spec, records: store.records, epochs: epochs, held: store.held,
                              checkpoints: checkpoints.checkpoints(warn: warn, belongs: belongs), models: checkpoints.models(),
                              priors: warmStart.priors, options: options, now: .zero)
        let starting = scheduler.startingActions()
        let (store, checkpoints) = (store, checkpoints)
        startingEvents = try withoutActuallyEscaping(warn) { warn throws(StoreError) in
            // Made and dropped in here: the effects must not outlive `warn`.
            var effects = StartingEffects(store: store, checkpoints: checkpoints, warn: warn)
            try effects.perform(starting)
            return effects.events
        }
    }

    /// Recorded trials that belong to this sweep.
    public var recordedCount: Int { scheduler.recordedCount }

    /// Whether anything is left to run.
    public var hasWork: Bool { scheduler.phase == .running }
}

/// What a resumed scheduler asks for before any worker speaks (rows recorded past the sweep's end
/// moved aside, checkpoints and models settled), done at once; its events are kept for the caller.
private struct StartingEffects: SchedulerEffects {
    typealias Failure = StoreError

    let store: ResultStore
    let checkpoints: CheckpointStore
    let warn: (String) -> Void
    var events: [SweepEvent] = []

    func moveBeyondEnd(_ trials: Set<String>) throws(StoreError) { _ = try store.moveAside(trials, to: .beyondEnd) }
    func removeCheckpoint(_ trial: String) throws(StoreError) { try checkpoints.remove(trial) }
    func removeModel(_ trial: String) throws(StoreError) { try checkpoints.removeModel(trial) }

    func keepModel(_ trial: String) {
        do {
            try checkpoints.keepModel(trial)
        } catch {
            warn("cannot keep the model of trial \(trial): \(error)")
        }
    }

    mutating func report(_ event: SweepEvent) { events.append(event) }

    // No worker has said hello yet and nothing has arrived, so the scheduler starts with none of
    // these: there is nothing to send, record or hold.
    func welcome(_ worker: WorkerID) {}
    func assign(_ assignment: Assignment, to worker: WorkerID) {}
    func proceed(_ worker: WorkerID, trial: String, epoch: Int) {}
    func stop(_ worker: WorkerID, trial: String, afterEpoch: Int?) {}
    func acknowledge(_ worker: WorkerID, trial: String) {}
    func heartbeat(_ worker: WorkerID) {}
    func bye(_ worker: WorkerID) {}
    func storeCheckpoint(from worker: WorkerID, trial: String, epoch: Int) {}
    func record(_ record: TrialRecord, epochs: [EpochMetrics]) {}
    func hold(_ result: HeldResult) {}
}

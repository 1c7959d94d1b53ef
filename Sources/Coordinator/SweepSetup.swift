import Foundation
import Scheduling
import Sweeping
import Training
import ResultsStore

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
            : ResultStore.readEpochs((directory as NSString).appendingPathComponent(spec.layout.epochFile), layout: spec.layout)
        checkpoints = CheckpointStore(directory: directory)
        scheduler = Scheduler(spec: spec, records: store.records, epochs: epochs, held: store.held,
                              checkpoints: checkpoints.checkpoints(warn: warn), models: checkpoints.models(),
                              options: options, now: .zero)
        var events: [SweepEvent] = []
        for action in scheduler.startingActions() {
            switch action {
            case .moveBeyondEnd(let ids): try store.moveAside(ids, to: .beyondEnd)
            case .removeCheckpoint(let id): try checkpoints.remove(id)
            case .removeModel(let id): try checkpoints.removeModel(id)
            case .keepModel(let id):
                do {
                    try checkpoints.keepModel(id)
                } catch {
                    warn("cannot keep the model of trial \(id): \(error)")
                }
            case .event(let event): events.append(event)
            default: break
            }
        }
        startingEvents = events
    }

    /// Recorded trials that belong to this sweep.
    public var recordedCount: Int { scheduler.recordedCount }

    /// Whether anything is left to run.
    public var hasWork: Bool { scheduler.phase == .running }
}

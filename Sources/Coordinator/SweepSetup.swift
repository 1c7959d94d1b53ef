import Foundation
import Sweeping
import Training

/// A sweep ready to run: its results directory locked, opened (and recovered), its spec recorded,
/// failed trials moved aside when they are to be retried.
public struct SweepSetup {
    /// The spec being run.
    public let spec: SweepSpec
    /// The open results store (holding the directory's lock).
    public let store: ResultStore
    /// Where the old results went, when `fresh` moved them aside.
    public let movedAside: String?
    /// Failed trials moved to failed.csv to run again (`retryFailed`).
    public let retried: Int

    /// Opens `Results/<name>` (or `resultsDirectory`), after moving an old one aside if `fresh`.
    public init(spec: SweepSpec, resultsDirectory: String?, fresh: Bool, retryFailed: Bool = false,
                warn: (String) -> Void) throws {
        self.spec = spec
        let directory = resultsDirectory ?? ("Results" as NSString).appendingPathComponent(spec.name)
        movedAside = fresh ? try ResultStore.moveAside(directory) : nil
        store = try ResultStore(directory: directory, warn: warn)
        if retryFailed {
            let failed = Set(store.records.filter { $0.status == .failed && spec.space.admits($0.config) }.map(\.id))
            retried = try store.moveAside(failed: failed)
        } else {
            retried = 0
        }
        try store.writeSpec(spec.text)
    }

    /// Recorded trials that belong to this sweep.
    public var recordedCount: Int { store.records.filter { spec.space.admits($0.config) }.count }

    /// The recorded trial of this sweep that reached `metric.target`, if one has.
    public var targetReachedBy: TrialRecord? {
        store.records.first { record in
            record.status == .completed && spec.space.admits(record.config)
                && spec.metric.reachesTarget(record.metric(spec.metric.name) ?? .nan)
        }
    }

    /// Whether anything is left to run: a position not yet recorded, and no target reached.
    public var hasWork: Bool {
        guard targetReachedBy == nil else { return false }
        for index in 0..<spec.space.count where !store.recordedIDs.contains(spec.space[index].id) { return true }
        return false
    }
}

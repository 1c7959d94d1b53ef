import Foundation
import Sweeping
import Training

/// A sweep ready to run: its results directory opened (and recovered), its spec recorded, and the
/// trials still to do worked out.
public struct SweepSetup {
    /// The spec being run.
    public let spec: SweepSpec
    /// The open results store.
    public let store: ResultStore
    /// Every trial of the spec, in order.
    public let trials: [Trial]
    /// Where the old results went, when `fresh` moved them aside.
    public let movedAside: String?

    /// Trials not yet in `trials.csv`.
    public var remaining: [Trial] { trials.filter { !store.recordedIDs.contains($0.id) } }

    /// Opens `Results/<name>` (or `resultsDirectory`), after moving an old one aside if `fresh`.
    public init(spec: SweepSpec, resultsDirectory: String?, fresh: Bool,
                warn: (String) -> Void) throws {
        self.spec = spec
        trials = try spec.trials()
        let directory = resultsDirectory ?? ("Results" as NSString).appendingPathComponent(spec.name)
        movedAside = fresh ? try ResultStore.moveAside(directory) : nil
        store = try ResultStore(directory: directory, warn: warn)
        try store.writeSpec(spec.text)
    }
}

import Foundation
import Scheduling
import Sweeping
import SweepCore
import ResultsStore

/// `warm_start:`: the trials earlier results folders recorded, read for a sweep to learn from before
/// its first trial. Each folder is read in its own layout (the sweep it keeps), its trials in sweep
/// order (`number`, then file order), the folders in the order given; a trial whose point this sweep
/// cannot produce, or that is recorded in this sweep's own folder, is left out and counted.
public struct WarmStart: Sendable {
    /// The trials learnt, in order, with their epochs.
    public var priors: [Scheduler.Prior] = []
    /// Each folder's trials left out, and the first few of their ids.
    public var outside: [(folder: String, count: Int, examples: [String])] = []

    /// Reads `spec.warmStart`'s folders; `own` is the folder this sweep records to (its trials are its own,
    /// not prior). Throws when a folder cannot be read at all.
    public init(spec: SweepSpec, own: String) throws {
        let ownPath = (own as NSString).standardizingPath
        for folder in spec.warmStart {
            guard (folder as NSString).standardizingPath != ownPath else {
                throw RunFailureText("warm_start: \(folder) is this sweep's own results folder; name an earlier sweep's")
            }
            let stored = SweepSpec.stored(in: folder)
            let layout = RecordLayout(stored: stored)
            let directory = ResultsDirectory(folder)
            let records = try ResultStore.readTrials(directory.trials, layout: layout)
            let epochs = ResultStore.readEpochs(directory.epochs(layout), layout: layout)
            let ordered = records.enumerated().sorted { a, b in
                let (x, y) = (a.element.number ?? Int.max, b.element.number ?? Int.max)
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
            var left: [String] = []
            for record in ordered {
                if spec.admits(record.point) {
                    // Judged by this sweep's constraints, not the earlier sweep's.
                    var judged = record
                    judged.judgeFeasibility(spec.objectives, last: epochs[record.id]?.last)
                    priors.append(Scheduler.Prior(record: judged, epochs: epochs[record.id] ?? []))
                } else {
                    left.append(record.id)
                }
            }
            if !left.isEmpty { outside.append((folder, left.count, Array(left.prefix(3)))) }
        }
    }

    /// One line for the person starting the sweep: what was learnt, and what was left out and why.
    public var summary: String? {
        guard !priors.isEmpty || !outside.isEmpty else { return nil }
        var line = "warm start: learning from \(priors.count) earlier trial\(priors.count == 1 ? "" : "s")"
        if !outside.isEmpty {
            let total = outside.reduce(0) { $0 + $1.count }
            line += "; \(total) outside this sweep's space left out ("
                + outside.map { "\($0.folder): \($0.count), e.g. \($0.examples.joined(separator: ", "))" }.joined(separator: "; ") + ")"
        }
        return line
    }
}

/// A warm-start folder that cannot be used, as one line.
struct RunFailureText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import Sweeping
import Training
import SweepCore
import ResultsStore
import SweepFiles

/// A results directory read the way `sweep rank` reads it: through `ResultStore`, never by column number.
public struct Results {
    /// The directory.
    public let directory: String

    /// The results in `directory`.
    public init(_ directory: String) { self.directory = directory }

    /// The files' columns, from the spec kept beside them (the built-in trainer's without one).
    public var layout: RecordLayout { SweepSpec.stored(in: directory)?.layout ?? .trainer }

    /// Every readable row of trials.csv ([] if there is none).
    public var trials: [TrialRecord] {
        (try? ResultStore.readTrials((directory as NSString).appendingPathComponent("trials.csv"), layout: layout)) ?? []
    }

    /// Each trial's epochs (from epochs.csv, or a program sweep's metrics.csv).
    public var epochs: [String: [EpochMetrics]] {
        let layout = layout
        return ResultStore.readEpochs((directory as NSString).appendingPathComponent(layout.epochFile), layout: layout)
    }

    /// What must be identical between two runs of the same trials: everything but wall time,
    /// worker, host, attempts and epochs trained (what faults cost), by trial id.
    public var outcomes: [String: [String]] {
        var rows: [String: [String]] = [:]
        for record in trials {
            var copy = record
            copy.seconds = 0
            copy.attempts = 0
            copy.epochsTrained = nil
            copy.worker = ""
            copy.host = ""
            rows[record.id] = copy.fields
        }
        return rows
    }

    /// Each trial's epoch figures without their wall times, by trial id.
    public var epochFigures: [String: [[Double]]] {
        epochs.mapValues { $0.map { [Double($0.epoch), $0.trainLoss, $0.testLoss, $0.testAccuracy] } }
    }
}

import Foundation
import Sweeping
import Training

/// Everything a report shows, read from a results directory (the CSVs and sweep.yaml only).
public struct ReportData: Sendable {
    /// The results directory.
    public var directory: String
    /// The sweep's name.
    public var name: String
    /// The spec's text, when sweep.yaml is there.
    public var specText: String?
    /// Trials in the spec (nil when it cannot be read).
    public var plannedTrials: Int?
    /// The ranking metric.
    public var metric: Metric
    /// Every recorded trial.
    public var records: [TrialRecord]
    /// Each trial's epochs.
    public var epochs: [String: [EpochMetrics]]
    /// The runs that produced them.
    public var runs: [ResultStore.Run]

    /// The columns of the trials (the built-in trainer's when there are none).
    public var layout: RecordLayout { records.first?.layout ?? .model }

    /// Reads `directory`.
    public init(directory: String) throws {
        self.directory = directory
        func file(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let spec = SweepSpec.stored(in: directory)
        let layout = spec?.layout ?? .model
        records = try ResultStore.readTrials(file("trials.csv"), layout: layout)
        epochs = ResultStore.readEpochs(file(layout.epochFile), layout: layout)
        runs = ResultStore.readRuns(file("runs.csv"))
        name = (directory as NSString).lastPathComponent
        metric = Metric()
        if let spec {
            specText = spec.text
            name = spec.name
            metric = spec.metric
            plannedTrials = spec.count
        }
    }

    /// Builds data directly (tests and fixtures).
    public init(directory: String, name: String, specText: String?, plannedTrials: Int?, metric: Metric,
                records: [TrialRecord], epochs: [String: [EpochMetrics]], runs: [ResultStore.Run]) {
        self.directory = directory
        self.name = name
        self.specText = specText
        self.plannedTrials = plannedTrials
        self.metric = metric
        self.records = records
        self.epochs = epochs
        self.runs = runs
    }
}

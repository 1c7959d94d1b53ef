import Foundation
import Sweeping
import Training
import SweepCore
import ResultsStore

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
    /// Every objective and the constraints (the ranking metric alone for a folder without its sweep file).
    public var objectives: Objectives
    /// Every recorded trial.
    public var records: [TrialRecord]
    /// Each trial's epochs.
    public var epochs: [String: [EpochMetrics]]
    /// The `warm_start:` folders' trials that lie in this sweep's space: learnt before its first trial,
    /// not run here (drawn as priors).
    public var priors: [TrialRecord] = []
    /// The runs that produced them.
    public var runs: [ResultStore.Run]
    /// What happened to the trials when (`timeline.csv`; empty in folders written before it was kept).
    public var timeline: [Timeline.Event] = []

    /// Where the wall-time charts start: when the first run began (or the first event, if earlier).
    var timeOrigin: Double { (runs.map(\.started) + timeline.map(\.time)).min() ?? 0 }
    /// For each parameter the sweep draws from a distribution, whether that distribution is on a log
    /// scale (`log_uniform_values`, `inv_log_uniform`, `log_normal`, …); listed values are absent.
    public var logScale: [String: Bool]

    /// How much each swept parameter matters for the best trials (nil without the sweep file).
    public var importance: Importance?

    /// The columns of the trials: the folder's (`RecordLayout(stored:)`).
    public let layout: RecordLayout

    /// Reads `directory`.
    public init(directory: String) throws {
        self.directory = directory
        let folder = ResultsDirectory(directory)
        let spec = SweepSpec.stored(in: directory)
        let layout = RecordLayout(stored: spec)
        self.layout = layout
        // The trials (and what is worked out from them alone) beside the epochs, the larger file.
        let (read, epochs) = bothAtOnce({ () -> Result<(records: [TrialRecord], importance: Importance?), any Error> in
            Result {
                let records = try ResultStore.readTrials(folder.trials, layout: layout)
                return (records, spec.map { Importance(spec: $0, records: records) })
            }
        }, { ResultStore.readEpochs(folder.epochs(layout), layout: layout) })
        (records, importance) = try read.get()
        self.epochs = epochs
        runs = ResultStore.readRuns(folder.runs)
        timeline = Timeline.read(folder.timeline)
        // One name everywhere: the one the folder keeps (a file without name: is called by its stem,
        // not by the stored copy's "sweep").
        name = FolderIdentity.name(of: directory)
        metric = Metric()
        objectives = Objectives(metrics: [metric])
        logScale = [:]
        if let spec {
            specText = spec.text
            metric = spec.metric
            objectives = spec.objectives
            // A relative folder is as the sweep named it, from where it ran: from here, or else from the
            // folder that holds `Results/` (where `sweep run` writes by default).
            for folder in spec.warmStart {
                let beside = ((((directory as NSString).standardizingPath as NSString).deletingLastPathComponent as NSString)
                    .deletingLastPathComponent as NSString).appendingPathComponent(folder)
                let path = folder.hasPrefix("/") || FileManager.default.fileExists(atPath: ResultsDirectory(folder).trials) ? folder : beside
                let stored = SweepSpec.stored(in: path)
                let records = (try? ResultStore.readTrials(ResultsDirectory(path).trials, layout: RecordLayout(stored: stored))) ?? []
                priors += records.filter { spec.admits($0.point) }.map { $0.judgingFeasibility(spec.objectives) }
            }
            // Trials of another sweep added on purpose (--extend) count on top of this one's.
            plannedTrials = spec.count == Int.max ? nil : spec.count + records.filter { !spec.admits($0.point) }.count
            logScale = ReportData.logScale(of: spec)
        }
    }

    /// Which of `spec`'s parameters are drawn from a distribution on a log scale (see `logScale`).
    public static func logScale(of spec: SweepSpec) -> [String: Bool] {
        var result: [String: Bool] = [:]
        for parameter in spec.parameters {
            if case .distribution(let distribution) = parameter.domain { result[parameter.name] = distribution.isLogScaled }
        }
        return result
    }

    /// Builds data directly (tests and fixtures).
    public init(directory: String, name: String, specText: String?, plannedTrials: Int?, metric: Metric,
                records: [TrialRecord], epochs: [String: [EpochMetrics]], runs: [ResultStore.Run],
                logScale: [String: Bool] = [:]) {
        self.logScale = logScale
        self.directory = directory
        self.name = name
        self.specText = specText
        self.plannedTrials = plannedTrials
        self.metric = metric
        objectives = Objectives(metrics: [metric])
        self.records = records
        self.epochs = epochs
        self.runs = runs
        // Records carry their layout; with none and no sweep given, the folder rule's.
        layout = records.first?.layout ?? RecordLayout(stored: nil)
    }
}

extension Distribution {
    /// Whether values spread evenly on a log scale: exp of a uniform or normal.
    var isLogScaled: Bool {
        switch family {
        case .logUniform, .inverseLogUniform, .logNormal: return true
        case .integerUniform, .uniform, .normal, .beta: return false
        }
    }
}

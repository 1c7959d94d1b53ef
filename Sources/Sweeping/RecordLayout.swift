import Training
import SweepCore

/// The columns of a sweep's `trials.csv` and its epochs file, which depend on what it trains: the
/// built-in trainer's (one column per hyperparameter; `epochs.csv` with its three figures), or a
/// program's (one column per flattened parameter, the metric's last and best values; `metrics.csv`
/// with one row per trial, epoch and figure, since a program may print any figures it likes). Both
/// files read straight into pandas (`pd.read_csv`); `metrics.csv` turns wide with
/// `df.pivot_table(index=["trial", "epoch"], columns="name", values="value")`.
public struct RecordLayout: Sendable {
    /// How the epochs file lays out an epoch's figures.
    public enum EpochTable: Sendable {
        /// `epochs.csv`: one row per epoch, a column per figure (the built-in trainer's three).
        case wide
        /// `metrics.csv`: one row per epoch and figure (`name`, `value`), for figures not known in advance.
        case long
    }

    /// Who trains the trials recorded.
    public let runner: RunnerKind
    /// The parameter columns, in file order.
    public let parameters: [String]
    /// Of those, the ones whose columns come at the end of the file, after `epochs_trained`: the
    /// built-in trainer's hyperparameters added after the first release (`Hyperparameter.isAdded`).
    let trailing: Int
    /// The sweep's metric when it has columns of its own (`<metric>` and `best_<metric>`); nil when
    /// the columns are the built-in trainer's fixed four.
    public let metric: String?
    /// A program sweep's objectives after its metric, each with a column of its last value.
    public let otherObjectives: [String]
    /// The sweep's parameters, to read a program's values back from their columns (the trainer's are
    /// read by each hyperparameter's kind).
    let sweptParameters: [Parameter]
    /// The epochs file's form.
    public let epochTable: EpochTable
    /// Population-based training's: each row is a member's stretch, with its `member`, `generation`
    /// and `parent` (the trial whose checkpoint it continued) after `feasible`.
    public private(set) var population = false

    /// The built-in trainer's layout: a column per hyperparameter, whatever the sweep varies.
    public static let trainer = RecordLayout(
        runner: .trainer,
        parameters: (Hyperparameter.allCases.filter { !$0.isAdded } + Hyperparameter.allCases.filter(\.isAdded)).map(\.rawValue),
        trailing: Hyperparameter.allCases.filter(\.isAdded).count, metric: nil, others: [], sweptParameters: [], epochTable: .wide)

    /// The layout of a sweep whose program is swept over `parameters` and reports `metric`.
    /// With several objectives, `others` are the ones after the first: a column each, their last value.
    public static func program(_ parameters: [Parameter], metric: String, others: [String] = []) -> RecordLayout {
        // An objective that is already a column (`seconds`) is read from it.
        RecordLayout(runner: .program, parameters: parameters.map(\.name), trailing: 0, metric: metric,
                     others: others.filter { !outcomeColumns.contains($0) },
                     sweptParameters: parameters, epochTable: .long)
    }

    /// The layout of the sweep `spec` runs.
    public init(_ spec: SweepSpec) {
        self = spec.runner.layout(parameters: spec.parameters, metric: spec.metric.name,
                                  others: spec.objectives.metrics.dropFirst().map(\.name))
        population = spec.method == .pbt
    }

    private init(runner: RunnerKind, parameters: [String], trailing: Int, metric: String?, others: [String],
                 sweptParameters: [Parameter], epochTable: EpochTable) {
        otherObjectives = others
        self.runner = runner
        self.parameters = parameters
        self.trailing = trailing
        self.metric = metric
        self.sweptParameters = sweptParameters
        self.epochTable = epochTable
    }

    /// The metric columns between the parameters and `best_epoch`, and the figure each records.
    public var metrics: [MetricColumn] {
        guard let metric else {
            return [.init("final_train_loss", last: "train_loss"), .init("final_test_loss", last: "test_loss"),
                    .init("final_test_accuracy", last: "test_accuracy"), .init("best_test_loss", best: "test_loss")]
        }
        return [.init(metric, last: metric), .init("best_" + metric, best: metric)] + otherObjectives.map { .init($0, last: $0) }
    }

    /// The learning curve the report draws for a trial: the built-in trainer's test loss with its
    /// train loss beside it; a program's metric alone, by the name it prints.
    public var curve: LearningCurve {
        guard let metric else {
            return LearningCurve(solid: "test_loss", dashed: "train_loss", axis: "loss", solidTitle: "test loss",
                                 dashedTitle: "train loss", legend: "solid: test loss · dashed: train loss")
        }
        return LearningCurve(solid: metric, dashed: nil, axis: metric, solidTitle: metric, dashedTitle: nil, legend: "\(metric) by epoch")
    }

    /// The metric columns' names.
    var metricColumns: [String] { metrics.map(\.name) }

    /// The epoch with the best value of the best column's figure, and that value: the built-in
    /// trainer's lowest finite test loss (`TrainingResult.best`), or a program metric's best
    /// non-NaN value in the goal's direction (an infinite value it printed counts). The first wins a tie.
    public func best(of epochs: [EpochMetrics], minimize: Bool) -> (epoch: Int, value: Double)? {
        guard let figure = metrics.first(where: \.isBest)?.figure else { return nil }
        // The built-in trainer's fixed column is the lowest test loss whatever the sweep's goal.
        let (finiteOnly, minimize) = metric == nil ? (true, true) : (false, minimize)
        var best: (epoch: Int, value: Double)?
        for epoch in epochs {
            guard let value = epoch.value(named: figure), finiteOnly ? value.isFinite : !value.isNaN else { continue }
            if best.map({ minimize ? value < $0.value : value > $0.value }) ?? true { best = (epoch.epoch, value) }
        }
        return best
    }

    /// `trials.csv`'s columns, in file order. Columns added after the first release go at the end,
    /// so a file with fewer of them is an older layout of the same file (`ResultStore` extends it).
    public var columns: [String] {
        ["trial", "status"] + parameters.dropLast(trailing) + metricColumns + RecordLayout.outcomeColumns + parameters.suffix(trailing)
            + ["feasible"] + (population ? RecordLayout.lineageColumns : [])
    }

    /// Population-based training's columns: a stretch's member, generation and parent.
    static let lineageColumns = ["member", "generation", "parent"]

    /// The columns every version of the file has had (`number`, `stopped_at`, `epochs_trained` and the
    /// trailing parameters came later).
    public var requiredColumns: [String] {
        ["trial", "status"] + parameters.dropLast(trailing) + metricColumns + RecordLayout.outcomeColumns.dropLast(3)
            + (population ? RecordLayout.lineageColumns : [])
    }

    static let outcomeColumns = ["best_epoch", "epochs_run", "seconds", "attempts", "worker", "host", "reason", "number",
                                 "stopped_at", "epochs_trained"]

    /// Names a program parameter cannot have: the other columns of `trials.csv`.
    package static func reservedNames(metric: String) -> Set<String> {
        Set(["trial", "status", metric, "best_" + metric, "feasible"] + outcomeColumns + lineageColumns)
    }

    /// The epochs file: `epochs.csv`, or a program sweep's `metrics.csv`.
    public var epochFile: String { epochTable == .long ? "metrics.csv" : "epochs.csv" }

    /// The epochs file's columns.
    public var epochColumns: [String] {
        epochTable == .long ? ["trial", "epoch", "name", "value"] : ["trial", "epoch", "train_loss", "test_loss", "test_accuracy", "seconds"]
    }

    /// A trial's epochs as rows of the epochs file (a program's: one per figure, names sorted, then `seconds`).
    public func epochRows(trial: String, _ epochs: [EpochMetrics]) -> [[String]] {
        var rows: [[String]] = []
        for e in epochs {
            if epochTable == .long {
                for name in e.extra.keys.sorted() { rows.append([trial, "\(e.epoch)", name, "\(e.extra[name]!)"]) }
                rows.append([trial, "\(e.epoch)", "seconds", "\(e.seconds)"])
            } else {
                rows.append([trial, "\(e.epoch)", "\(e.trainLoss)", "\(e.testLoss)", "\(e.testAccuracy)", "\(e.seconds)"])
            }
        }
        return rows
    }

    /// One row of the epochs file read: its trial, epoch and, for a program, the figure's name and
    /// value; nil if it is not a row of this file.
    package func epochRow(_ fields: [String]) -> (trial: String, epoch: Int, name: String?, metrics: EpochMetrics?, value: Double?)? {
        guard fields.count == epochColumns.count, let epoch = Int(fields[1]) else { return nil }
        if epochTable == .long {
            guard !fields[2].isEmpty, let value = Double(fields[3]) else { return nil }
            return (fields[0], epoch, fields[2], nil, value)
        }
        guard let train = Double(fields[2]), let test = Double(fields[3]), let accuracy = Double(fields[4]),
              let seconds = Double(fields[5]) else { return nil }
        return (fields[0], epoch, nil,
                EpochMetrics(epoch: epoch, trainLoss: train, testLoss: test, testAccuracy: accuracy, seconds: seconds), nil)
    }

    /// Rows of the epochs file gathered into each trial's epochs, in order.
    package func epochs(from rows: [[String]]) -> [String: [EpochMetrics]] {
        var result: [String: [EpochMetrics]] = [:]
        if epochTable == .wide {
            for fields in rows { if let row = epochRow(fields), let metrics = row.metrics { result[row.trial, default: []].append(metrics) } }
            return result
        }
        var figures: [String: [Int: [(name: String, value: Double)]]] = [:]
        for fields in rows {
            guard let row = epochRow(fields), let name = row.name, let value = row.value else { continue }
            figures[row.trial, default: [:]][row.epoch, default: []].append((name, value))
        }
        for (trial, byEpoch) in figures {
            result[trial] = byEpoch.keys.sorted().map { epoch in
                let values = byEpoch[epoch]!
                var metrics = EpochMetrics(epoch: epoch, seconds: values.last { $0.name == "seconds" }?.value ?? 0, named: values)
                metrics.epoch = epoch
                return metrics
            }
        }
        return result
    }

    /// `point`'s parameter fields: those before the metric columns, and the trailing ones after
    /// `epochs_trained`, each written as its runner writes it (`RunnerKind.cell`).
    func parameterFields(of point: TrialPoint) -> (leading: [String], trailing: [String]) {
        let fields = parameters.map { runner.cell(point[$0], column: $0) }
        return (Array(fields.dropLast(trailing)), Array(fields.suffix(trailing)))
    }

    /// The point a row's parameter columns hold (`field` reads a column of the row by name).
    func point(header: [String: Int], field: (String) throws(RecordError) -> String) throws(RecordError) -> TrialPoint {
        var values: [ParameterValue.Pair] = []
        values.reserveCapacity(parameters.count)
        for (index, name) in parameters.enumerated() {
            // A file of an earlier release has no column for a parameter added since: its default.
            let text = index >= parameters.count - trailing && header[name] == nil ? "" : try field(name)
            let parameter = index < sweptParameters.count ? sweptParameters[index] : nil
            guard let value = runner.value(ofCell: text, column: name, parameter: parameter) else {
                throw RecordError(runner.notAValue(text, column: name))
            }
            values.append(.init(name, value))
        }
        let point = runner.point(values)
        guard population else { return point }
        guard let member = Int(try field("member")), member >= 0, let generation = Int(try field("generation")), generation >= 0 else {
            throw RecordError("member '\(try field("member").prefix(20))' or generation '\(try field("generation").prefix(20))' "
                              + "is not a whole number from 0")
        }
        let parent = try field("parent")
        return point.with(lineage: Lineage(member: member, generation: generation, parent: parent.isEmpty ? nil : parent))
    }
}

/// A metric column of `trials.csv`: the figure it records, and whether its last or best value.
public struct MetricColumn: Equatable, Sendable {
    /// The column's name.
    public let name: String
    /// The epochs' figure it records (`EpochMetrics.value(named:)`).
    public let figure: String
    /// Whether it holds the figure's best value (its epoch is `best_epoch`) rather than the last epoch's.
    public let isBest: Bool

    init(_ name: String, last figure: String) { (self.name, self.figure, isBest) = (name, figure, false) }
    init(_ name: String, best figure: String) { (self.name, self.figure, isBest) = (name, figure, true) }
}

extension RecordLayout: Equatable {
    /// Layouts with the same columns are equal.
    public static func == (a: RecordLayout, b: RecordLayout) -> Bool {
        a.runner == b.runner && a.parameters == b.parameters && a.metric == b.metric && a.otherObjectives == b.otherObjectives
            && a.population == b.population
    }
}

/// The figures of a learning curve and how the report names them.
public struct LearningCurve: Sendable {
    /// The figure drawn solid, and the one drawn dashed beside it (nil: none).
    public let solid: String, dashed: String?
    /// The value axis's label, each line's name, and the legend's text.
    public let axis: String, solidTitle: String, dashedTitle: String?, legend: String
}

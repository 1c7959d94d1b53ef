import Training
import SweepCore

/// The columns of a sweep's `trials.csv` and its epochs file, which depend on what it trains: the
/// built-in trainer's (one column per hyperparameter; `epochs.csv` with its three figures), or a
/// program's (one column per flattened parameter, the metric's last and best values; `metrics.csv`
/// with one row per trial, epoch and figure, since a program may print any figures it likes). Both
/// files read straight into pandas (`pd.read_csv`); `metrics.csv` turns wide with
/// `df.pivot_table(index=["trial", "epoch"], columns="name", values="value")`.
public struct RecordLayout: Sendable {
    /// The parameter columns, in file order.
    public let parameters: [String]
    /// Of those, the ones whose columns come at the end of the file, after `epochs_trained`: the
    /// built-in trainer's hyperparameters added after the first release (`Hyperparameter.isAdded`).
    let trailing: Int
    /// A program sweep's metric (its columns are `<metric>` and `best_<metric>`); nil for the built-in trainer.
    public let metric: String?
    /// A program sweep's parameters, to read values back from their columns.
    let programParameters: [ProgramParameter]

    /// The built-in trainer's layout.
    public static let model = RecordLayout(
        parameters: (Hyperparameter.allCases.filter { !$0.isAdded } + Hyperparameter.allCases.filter(\.isAdded)).map(\.rawValue),
        trailing: Hyperparameter.allCases.filter(\.isAdded).count, metric: nil, programParameters: [])

    /// A program sweep's layout.
    public static func program(_ program: ProgramSpec, metric: String) -> RecordLayout {
        RecordLayout(parameters: program.parameters.map(\.name), trailing: 0, metric: metric, programParameters: program.parameters)
    }

    /// The layout of the sweep `spec` runs.
    public init(_ spec: SweepSpec) {
        self = spec.program.map { RecordLayout.program($0, metric: spec.metric.name) } ?? .model
    }

    private init(parameters: [String], trailing: Int, metric: String?, programParameters: [ProgramParameter]) {
        self.parameters = parameters
        self.trailing = trailing
        self.metric = metric
        self.programParameters = programParameters
    }

    /// Whether this is a program sweep's layout.
    public var isProgram: Bool { metric != nil }

    /// The metric columns between the parameters and `best_epoch`, and the figure each records.
    public var metrics: [MetricColumn] {
        guard let metric else {
            return [.init("final_train_loss", last: "train_loss"), .init("final_test_loss", last: "test_loss"),
                    .init("final_test_accuracy", last: "test_accuracy"), .init("best_test_loss", best: "test_loss")]
        }
        return [.init(metric, last: metric), .init("best_" + metric, best: metric)]
    }

    /// The metric columns' names.
    var metricColumns: [String] { metrics.map(\.name) }

    /// The epoch with the best value of the best column's figure, and that value: the built-in
    /// trainer's lowest finite test loss (`TrainingResult.best`), or a program metric's best
    /// non-NaN value in the goal's direction (an infinite value it printed counts). The first wins a tie.
    public func best(of epochs: [EpochMetrics], minimize: Bool) -> (epoch: Int, value: Double)? {
        guard let figure = metrics.first(where: \.isBest)?.figure else { return nil }
        // The built-in trainer's column is the lowest test loss whatever the sweep's goal.
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
    }

    /// The columns every version of the file has had (`number`, `stopped_at`, `epochs_trained` and the
    /// trailing parameters came later).
    public var requiredColumns: [String] {
        ["trial", "status"] + parameters.dropLast(trailing) + metricColumns + RecordLayout.outcomeColumns.dropLast(3)
    }

    static let outcomeColumns = ["best_epoch", "epochs_run", "seconds", "attempts", "worker", "host", "reason", "number",
                                 "stopped_at", "epochs_trained"]

    /// Names a program parameter cannot have: the other columns of `trials.csv`.
    static func reservedNames(metric: String) -> Set<String> {
        Set(["trial", "status", metric, "best_" + metric] + outcomeColumns)
    }

    /// The epochs file: `epochs.csv`, or a program sweep's `metrics.csv`.
    public var epochFile: String { isProgram ? "metrics.csv" : "epochs.csv" }

    /// The epochs file's columns.
    public var epochColumns: [String] {
        isProgram ? ["trial", "epoch", "name", "value"] : ["trial", "epoch", "train_loss", "test_loss", "test_accuracy", "seconds"]
    }

    /// A trial's epochs as rows of the epochs file (a program's: one per figure, names sorted, then `seconds`).
    public func epochRows(trial: String, _ epochs: [EpochMetrics]) -> [[String]] {
        var rows: [[String]] = []
        for e in epochs {
            if isProgram {
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
        if isProgram {
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
        if !isProgram {
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
    /// `epochs_trained`; a program's values as Python's `str` writes them (what the program got).
    func parameterFields(of point: TrialPoint) -> (leading: [String], trailing: [String]) {
        switch point {
        case .model(let config):
            return (Hyperparameter.allCases.filter { !$0.isAdded }.map { config[$0].description },
                    Hyperparameter.allCases.filter(\.isAdded).map { config[$0].description })
        case .program(let values):
            return (values.map(\.value.pythonText), [])
        }
    }

    /// The point a row's parameter columns hold (`field` reads a column of the row by name).
    func point(header: [String: Int], field: (String) throws(RecordError) -> String) throws(RecordError) -> TrialPoint {
        if isProgram {
            var values: [ProgramValue.Pair] = []
            for (index, name) in parameters.enumerated() {
                let text = try field(name)
                guard let value = programValue(text, of: index) else {
                    throw RecordError("\(name) '\(text.prefix(60))' is not a value of this sweep's parameter")
                }
                values.append(.init(name, value))
            }
            return .program(values)
        }
        var config = TrainingConfig()
        for parameter in Hyperparameter.allCases {
            // A file of an earlier release has no column for a hyperparameter added since: its default.
            let text = parameter.isAdded && header[parameter.rawValue] == nil ? "" : try field(parameter.rawValue)
            guard let value = parameter.parse(text) else {
                throw RecordError("\(parameter.rawValue) '\(text)' is not \(parameter.kind.article)")
            }
            config[parameter] = value
        }
        return .model(config)
    }

    /// A program parameter's value read back from its column: the value whose text it is.
    func programValue(_ text: String, of index: Int) -> ProgramValue? {
        let parameter = programParameters[index]
        switch parameter.domain {
        case .values(let values, _):
            // A line break in a value is written as a space (one record per line): match that too.
            return values.first { $0.pythonText == text } ?? values.first { CSV.oneLine($0.pythonText) == text }
        case .distribution(let distribution):
            if distribution.name == "int_uniform", let whole = Int(text) { return .int(whole) }
            return Double(text).map(ProgramValue.real)
        }
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
    public static func == (a: RecordLayout, b: RecordLayout) -> Bool { a.parameters == b.parameters && a.metric == b.metric }
}

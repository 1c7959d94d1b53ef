import Training
import SweepCore

/// Who trains a sweep's trials: the built-in trainer or the sweep's program. Both train a point of
/// named values; they differ in what a point holds (the trainer's every hyperparameter, a program's
/// swept parameters), how it is named (its id's canonical text), how a value is written in
/// `trials.csv`, and the layout of the records. This file is where `Sweeping` tells the two apart;
/// reading a sweep file's parameters is the other (`Parameter+Hyperparameter`, `Parameter+Program`).
public enum RunnerKind: String, Hashable, Sendable {
    /// The built-in trainer (`Training`).
    case trainer
    /// The sweep's program (`program:` / `command:`).
    case program

    /// Whether the sweep's metric may have any name: a program's prints what it likes; the trainer's
    /// is one of its figures.
    package var metricMayHaveAnyName: Bool { self == .program }

    /// Whether random and bayes search need `run_cap`: the trainer's sweeps are bounded so that a run
    /// ends and ranks; a program's, like W&B's, may run until it is stopped.
    package var drawsNeedRunCap: Bool { self == .trainer }

    /// The point these values (named, in the sweep's parameter order) make: a program's are the point;
    /// the trainer sets them on its default configuration, a grid's last-first and a draw's
    /// first-last, so that a name given twice takes the value it always took.
    public func point(_ values: [ParameterValue.Pair], method: SweepSpec.Method = .random) -> TrialPoint {
        switch self {
        case .program: return TrialPoint(runner: .program, values: values)
        case .trainer:
            var config = TrainingConfig()
            for pair in method == .grid ? values.reversed() : values {
                if let parameter = Hyperparameter(rawValue: pair.key), let value = parameter.value(pair.value) { config[parameter] = value }
            }
            return TrialPoint(config: config)
        }
    }

    /// The trainer's: its configuration's `key=value` list (`TrainingConfig.canonicalKey`, which ids
    /// recorded since the first release use); a program's: `name=json`, sorted by name (a parameter
    /// called `seed` left out when `includingSeed` is false).
    func canonicalKey(of point: TrialPoint, includingSeed: Bool) -> String {
        switch self {
        case .trainer: return TrainingConfig(point: point).canonicalKey(includingSeed: includingSeed)
        case .program:
            return point.values.filter { includingSeed || $0.key != "seed" }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value.jsonText)" }.joined(separator: ";")
        }
    }

    /// The epochs `point` runs to: the trainer's `epochs`; nil for a program, which runs until it exits.
    func epochs(of point: TrialPoint) -> Int? {
        guard self == .trainer, case .int(let epochs)? = point[Hyperparameter.epochs.rawValue] else { return nil }
        return epochs
    }

    /// Whether `point` is one that `parameters` produce: for the trainer, every swept hyperparameter
    /// takes a value its parameter admits and the rest are at their defaults; for a program, the same
    /// names in the same order, each a value its parameter admits. (For random search, whether the
    /// point was actually drawn is not checked: that would mean replaying every draw.)
    func admits(_ point: TrialPoint, parameters: [Parameter], byName: [String: Parameter]) -> Bool {
        guard point.runner == self else { return false }
        switch self {
        case .program:
            return point.values.count == parameters.count
                && zip(parameters, point.values).allSatisfy { $0.name == $1.key && $0.admits($1.value) }
        case .trainer:
            let defaults = TrainingConfig.defaultValues
            guard point.values.count == defaults.count else { return false }
            for (pair, fallback) in zip(point.values, defaults) {
                guard pair.key == fallback.key else { return false }
                if let parameter = byName[pair.key] {
                    if !parameter.admits(pair.value) { return false }
                } else if pair.value != fallback.value {
                    return false
                }
            }
            return true
        }
    }

    /// How `trials.csv` writes `value` of `column`: the trainer's in `HyperparameterValue`'s canonical
    /// text (`128,128`, `1e-05`), a program's as Python's `str` writes it (what the program got).
    public func cell(_ value: ParameterValue?, column: String) -> String {
        guard let value else { return "" }
        switch self {
        case .program: return value.pythonText
        case .trainer: return canonicalText(value, of: column)
        }
    }

    /// `value` of the parameter `name` as the folder's recorded definition (`sweep.json`) writes it:
    /// the trainer's in `HyperparameterValue`'s canonical text, a program's as JSON.
    func canonicalText(_ value: ParameterValue, of name: String) -> String {
        switch self {
        case .program: return value.jsonText
        case .trainer:
            guard let parameter = Hyperparameter(rawValue: name), let typed = parameter.value(value) else { return value.jsonText }
            return typed.description
        }
    }

    /// Whether bayes draws the parameter `name` from its prior for every trial instead of learning
    /// it: the built-in trainer's seed (a program's `seed` is learnt as any other parameter).
    public func isNuisance(_ name: String) -> Bool { self == .trainer && name == Hyperparameter.seed.rawValue }

    /// Whether `value` is what the parameter `name` is without the sweep (a program's never is).
    func isDefault(_ value: ParameterValue, of name: String) -> Bool {
        guard self == .trainer, let parameter = Hyperparameter(rawValue: name), let typed = parameter.value(value) else { return false }
        return typed == TrainingConfig.defaults[parameter]
    }

    /// The value a `trials.csv` cell of `column` holds, nil if it holds none of `parameter`'s: the
    /// trainer's read by the hyperparameter's kind (an empty cell of a column added since a file was
    /// written is its default); a program's matched against its listed values' text, or read as a number.
    func value(ofCell text: String, column: String, parameter: Parameter?) -> ParameterValue? {
        switch self {
        case .trainer:
            return Hyperparameter(rawValue: column).flatMap { $0.parse(text) }?.parameterValue
        case .program:
            guard let parameter else { return nil }
            switch parameter.domain {
            case .values(let choices, _):
                // A line break in a value is written as a space (one record per line): match that too.
                return (choices.first { $0.value.pythonText == text } ?? choices.first { CSV.oneLine($0.value.pythonText) == text })?.value
            case .distribution:
                if parameter.wholeNumbers, let whole = Int(text) { return .int(whole) }
                return Double(text).map(ParameterValue.real)
            }
        }
    }

    /// The layout of the records of a sweep over `parameters` with `metric`: the trainer's is the same
    /// whatever the sweep (a column per hyperparameter, its four metric columns, `epochs.csv`); a
    /// program's has a column per parameter, the metric's two and `metrics.csv`.
    /// A program's further objectives (`others`) get a column each, their last value.
    func layout(parameters: [Parameter], metric: String, others: [String]) -> RecordLayout {
        switch self {
        case .trainer: return .trainer
        case .program: return .program(parameters, metric: metric, others: others)
        }
    }

    /// A figure the runner derives rather than records: `seconds` (training time) for both; the
    /// trainer's `model_size` and `flops` (of the `epochs` run) from its configuration.
    public func figure(_ name: String, of point: TrialPoint, epochs: Int, seconds: Double?) -> Double? {
        switch name {
        case "seconds": return seconds
        case "model_size" where self == .trainer: return Double(TrainingConfig(point: point).modelSize)
        case "flops" where self == .trainer: return TrainingConfig(point: point).multiplyAdds(epochs: epochs)
        default: return nil
        }
    }

    /// Why a `trials.csv` cell is not a value of `column`.
    func notAValue(_ text: String, column: String) -> String {
        switch self {
        case .trainer: return "\(column) '\(text)' is not \(Hyperparameter(rawValue: column)?.kind.article ?? "a hyperparameter's value")"
        case .program: return "\(column) '\(text.prefix(60))' is not a value of this sweep's parameter"
        }
    }
}

extension TrialPoint {
    /// The built-in trainer's point for `config`: every hyperparameter, by name.
    public init(config: TrainingConfig) { self.init(runner: .trainer, values: config.namedValues) }

    /// The built-in trainer's configuration this point trains; nil for a program's point.
    public var trainingConfig: TrainingConfig? { runner == .trainer ? TrainingConfig(point: self) : nil }
}

extension TrainingConfig {
    /// The configuration of a trainer's point (its values are every hyperparameter, in order; one
    /// that is missing or of another kind keeps its default).
    init(point: TrialPoint) {
        self.init()
        let values = point.values
        for (index, parameter) in TrainingConfig.order.enumerated() {
            let pair = index < values.count && values[index].key == parameter.rawValue
                ? values[index] : values.first { $0.key == parameter.rawValue }
            if let pair, let value = parameter.value(pair.value) { self[parameter] = value }
        }
    }

    /// `Hyperparameter.allCases`, made once.
    static let order = Hyperparameter.allCases
    /// The default configuration's named values, made once.
    static let defaultValues = TrainingConfig().namedValues
}

extension TrainingConfig {
    /// Every hyperparameter as `key=value`, sorted by key, in `HyperparameterValue`'s canonical text:
    /// equal configs give equal strings on every machine. Data limits appear only when set.
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed (to group repeats of one configuration).
    public func canonicalKey(includingSeed: Bool) -> String {
        TrainingConfig.keyOrder.compactMap { parameter -> String? in
            if parameter == .seed && !includingSeed { return nil }
            let value = self[parameter]
            if !parameter.inCanonicalKeyAtDefault && value == TrainingConfig.defaults[parameter] { return nil }
            return "\(parameter.rawValue)=\(value)"
        }.joined(separator: ";")
    }

    private static let keyOrder = Hyperparameter.allCases.sorted { $0.rawValue < $1.rawValue }

    /// The default config, made once (ids are computed for every trial handed out).
    static let defaults = TrainingConfig()

    /// 16 hex digits of the FNV-1a 64-bit hash of `canonicalKey`.
    public var trialID: String { TrialPoint.hash(canonicalKey) }
}

extension Trial {
    /// The built-in trainer's configuration (nil for a program's trial).
    public var config: TrainingConfig? { point.trainingConfig }
}

extension TrialRecord {
    /// The built-in trainer's configuration (every default for a program's trial, which has none).
    public var config: TrainingConfig { point.trainingConfig ?? TrainingConfig() }
}

import Foundation
import Training
import Yams

/// A sweep file: the Weights & Biases sweep schema (a subset), so users' files carry over.
public struct SweepSpec: Sendable {
    /// How trials are chosen.
    public enum Method: String, Sendable { case grid, random }

    /// What the ranking optimises.
    public struct Metric: Equatable, Sendable {
        /// A `trials.csv` column: `test_loss` (the final epoch's), `best_test_loss` or `test_accuracy`.
        public var name: String
        /// Whether smaller is better.
        public var minimize: Bool

        /// Creates a metric.
        public init(name: String, minimize: Bool) {
            self.name = name
            self.minimize = minimize
        }
    }

    /// The sweep's name: its results go to `Results/<name>/`.
    public var name: String
    /// Grid or random search.
    public var method: Method
    /// The ranking metric.
    public var metric: Metric
    /// How many random trials to draw.
    public var runCap: Int?
    /// Seeds the random search itself (not the trials: `seed` is a parameter).
    public var randomSeed: UInt64
    /// The parameters, in file order.
    public var parameters: [Parameter]
    /// The file's text, kept to record the spec as run.
    public var text: String
    /// Where it came from, for messages.
    public var file: String

    /// The metric names a spec may rank by.
    public static let metricNames = ["test_loss", "best_test_loss", "test_accuracy"]

    /// Top-level keys: ours, and W&B keys that do not change what runs (accepted and ignored).
    static let knownKeys = ["name", "description", "method", "metric", "run_cap", "parameters", "random_seed",
                            "program", "project", "entity", "command"]

    /// Parses and validates a sweep file's text; every error names the key and line.
    public init(yaml: String, file: String) throws(SpecError) {
        self.text = yaml
        self.file = file
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SpecError(file: file, line: nil, key: nil, "the file is empty; a sweep needs at least 'parameters'")
            }
            root = node
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw SpecError.fromYams(error, file: file)
        } catch {
            throw SpecError(file: file, line: nil, key: nil, "not valid YAML: \(error)")
        }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, key: nil)
        for (keyNode, _) in top {
            let key = keyNode.string ?? ""
            guard SweepSpec.knownKeys.contains(key) else {
                let hint = Hyperparameter(rawValue: key) != nil ? " ('\(key)' belongs under 'parameters')" : ""
                throw reader.error(keyNode, key: key, "unknown key\(hint); expected one of \(SweepSpec.knownKeys.joined(separator: ", "))")
            }
        }

        let defaultName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        name = try top["name"].map { (node: Node) throws(SpecError) in try reader.string(node, key: "name") } ?? defaultName
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), name.first != "." else {
            throw reader.error(top["name"] ?? root, key: "name",
                               "'\(name)' cannot name a results directory; use letters, digits, '.', '_' and '-'")
        }

        let methodText = try top["method"].map { (node: Node) throws(SpecError) in try reader.string(node, key: "method") } ?? "grid"
        guard let method = Method(rawValue: methodText) else {
            throw reader.error(top["method"]!, key: "method", "'\(methodText)' is not supported; use grid or random")
        }
        self.method = method

        metric = Metric(name: "test_loss", minimize: true)
        if let node = top["metric"] {
            let mapping = try reader.mapping(node, key: "metric")
            for (keyNode, _) in mapping where !["name", "goal"].contains(keyNode.string ?? "") {
                throw reader.error(keyNode, key: "metric.\(keyNode.string ?? "")", "unknown key; expected name or goal")
            }
            if let nameNode = mapping["name"] {
                metric.name = try reader.string(nameNode, key: "metric.name")
                guard SweepSpec.metricNames.contains(metric.name) else {
                    throw reader.error(nameNode, key: "metric.name",
                                       "'\(metric.name)' is not a metric; use one of \(SweepSpec.metricNames.joined(separator: ", "))")
                }
                metric.minimize = metric.name != "test_accuracy"
            }
            if let goalNode = mapping["goal"] {
                switch try reader.string(goalNode, key: "metric.goal") {
                case "minimize": metric.minimize = true
                case "maximize": metric.minimize = false
                case let other: throw reader.error(goalNode, key: "metric.goal", "'\(other)' is not a goal; use minimize or maximize")
                }
            }
        }

        runCap = try top["run_cap"].map { (node: Node) throws(SpecError) in try reader.integer(node, key: "run_cap", range: 1...1_000_000) }
        randomSeed = try top["random_seed"].map { (node: Node) throws(SpecError) in UInt64(try reader.integer(node, key: "random_seed", range: 0...Int.max)) } ?? 0
        if method == .random && runCap == nil {
            throw reader.error(top["method"]!, key: "run_cap", "random search needs run_cap, the number of trials to draw")
        }

        guard let parametersNode = top["parameters"] else {
            throw reader.error(root, key: "parameters", "missing; a sweep needs at least one parameter")
        }
        var parameters: [Parameter] = []
        for (keyNode, valueNode) in try reader.mapping(parametersNode, key: "parameters") {
            parameters.append(try Parameter(key: keyNode, value: valueNode, method: method, reader: reader))
        }
        guard !parameters.isEmpty else {
            throw reader.error(parametersNode, key: "parameters", "is empty; give at least one parameter")
        }
        self.parameters = parameters
        // Every trial must be trainable: check them now, before anything is written or run.
        _ = try trials()
    }

    /// Reads and parses the sweep file at `path`.
    public init(contentsOf path: String) throws(SpecError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecError(file: path, line: nil, key: nil, "cannot read the sweep file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: path, line: nil, key: nil, "the sweep file is not UTF-8 text")
        }
        try self.init(yaml: text, file: path)
    }

    /// The trials this spec describes, in a fixed order, each config once.
    public func trials() throws(SpecError) -> [Trial] {
        var configs: [(TrainingConfig, [Hyperparameter: Int?])] = []
        switch method {
        case .grid:
            configs = [(TrainingConfig(), [:])]
            for parameter in parameters {
                let choices = parameter.choices
                var next: [(TrainingConfig, [Hyperparameter: Int?])] = []
                next.reserveCapacity(configs.count * choices.count)
                for (config, lines) in configs {
                    for choice in choices {
                        var config = config
                        choice.apply(&config)
                        var lines = lines
                        lines[parameter.name] = choice.line
                        next.append((config, lines))
                    }
                }
                configs = next
                if configs.count > 1_000_000 {
                    throw SpecError(file: file, line: parameter.line, key: "parameters",
                                    "the grid has more than 1,000,000 points; use method: random with run_cap")
                }
            }
        case .random:
            var random = SplitMix64(seed: randomSeed, stream: 0x5EED)
            var seen = Set<String>()
            var draws = 0
            while configs.count < runCap! && draws < runCap! * 100 {
                draws += 1
                var config = TrainingConfig()
                var lines: [Hyperparameter: Int?] = [:]
                for parameter in parameters {
                    let choice = parameter.draw(using: &random)
                    choice.apply(&config)
                    lines[parameter.name] = choice.line
                }
                if seen.insert(config.canonicalKey).inserted { configs.append((config, lines)) }
            }
        }
        var trials: [Trial] = []
        var ids = Set<String>()
        for (config, lines) in configs {
            do {
                try config.validate()
            } catch {
                let line = lines[error.parameter] ?? parameters.first { $0.name == error.parameter }?.line
                throw SpecError(file: file, line: line ?? nil, key: "parameters.\(error.parameter.rawValue)",
                                "\(error.requirement), got \(error.value)")
            }
            let trial = Trial(config: config)
            if ids.insert(trial.id).inserted { trials.append(trial) }
        }
        return trials
    }
}

extension SpecError {
    static func fromYams(_ error: YamlError, file: String) -> SpecError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return SpecError(file: file, line: mark.line, key: nil, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, _):
            return SpecError(file: file, line: nil, key: duplicates.first, "appears more than once in the same mapping")
        default:
            return SpecError(file: file, line: nil, key: nil, "not valid YAML: \(error)")
        }
    }
}

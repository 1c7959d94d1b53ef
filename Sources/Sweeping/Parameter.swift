import Foundation
import Training
import Yams

/// One entry under `parameters:`: a hyperparameter and the values it may take.
public struct Parameter: Sendable {
    /// A value of a hyperparameter, typed.
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case number(Double)
        case integer(Int)
        case flag(Bool)
        case augmentation(Augmentation)
        case widths([Int])

        public var description: String {
            switch self {
            case .number(let v): return "\(v)"
            case .integer(let v): return "\(v)"
            case .flag(let v): return "\(v)"
            case .augmentation(let v): return v.rawValue
            case .widths(let v): return v.map(String.init).joined(separator: ",")
            }
        }
    }

    /// One value and the line it was written on.
    public struct Choice: Sendable {
        public var value: Value
        public var line: Int?
        let parameter: Hyperparameter

        func apply(_ config: inout TrainingConfig) {
            switch (parameter, value) {
            case (.learningRate, .number(let v)): config.learningRate = v
            case (.momentum, .number(let v)): config.momentum = v
            case (.weightDecay, .number(let v)): config.weightDecay = v
            case (.l1, .number(let v)): config.l1 = v
            case (.maxNorm, .number(let v)): config.maxNorm = v
            case (.dropout, .number(let v)): config.dropout = v
            case (.nesterov, .flag(let v)): config.nesterov = v
            case (.augment, .augmentation(let v)): config.augment = v
            case (.hidden, .widths(let v)): config.hidden = v
            case (.epochs, .integer(let v)): config.epochs = v
            case (.batchSize, .integer(let v)): config.batchSize = v
            case (.seed, .integer(let v)): config.seed = UInt64(v)
            case (.trainLimit, .integer(let v)): config.trainLimit = v
            case (.testLimit, .integer(let v)): config.testLimit = v
            default: preconditionFailure("value \(value) was parsed for the wrong parameter \(parameter)")
            }
        }
    }

    /// Where the values come from.
    public enum Domain: Sendable {
        case values([Choice])
        case uniform(min: Double, max: Double)
        case integerUniform(min: Int, max: Int)
        case quantizedUniform(min: Double, max: Double, q: Double)
        case logUniform(min: Double, max: Double)
    }

    /// Which hyperparameter.
    public let name: Hyperparameter
    /// The line of its key.
    public let line: Int?
    /// Its values or distribution.
    public let domain: Domain

    private enum Kind { case real, whole, flag, augmentation, widths }

    private static func kind(_ name: Hyperparameter) -> Kind {
        switch name {
        case .learningRate, .momentum, .weightDecay, .l1, .maxNorm, .dropout: return .real
        case .epochs, .batchSize, .seed, .trainLimit, .testLimit: return .whole
        case .nesterov: return .flag
        case .augment: return .augmentation
        case .hidden: return .widths
        }
    }

    init(key keyNode: Node, value node: Node, method: SweepSpec.Method, reader: NodeReader) throws(SpecError) {
        let keyText = keyNode.string ?? ""
        guard let name = Hyperparameter(rawValue: keyText) else {
            throw reader.error(keyNode, key: "parameters.\(keyText)", "unknown parameter; expected one of "
                               + Hyperparameter.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.name = name
        self.line = keyNode.mark?.line
        let path = "parameters.\(keyText)"
        let spec = try reader.mapping(node, key: path)
        let allowed = ["value", "values", "distribution", "min", "max", "q"]
        for (key, _) in spec where !allowed.contains(key.string ?? "") {
            throw reader.error(key, key: "\(path).\(key.string ?? "")",
                               "unknown key; expected value, values, or distribution with min/max (and q)")
        }
        let kind = Parameter.kind(name)
        func value(_ node: Node, _ key: String) throws(SpecError) -> Choice {
            Choice(value: try Parameter.parse(node, kind: kind, key: key, reader: reader), line: node.mark?.line, parameter: name)
        }
        let distribution = try spec["distribution"].map { (node: Node) throws(SpecError) in try reader.string(node, key: "\(path).distribution") }

        if let single = spec["value"] {
            guard spec["values"] == nil, distribution == nil else {
                throw reader.error(single, key: path, "give either value, values, or a distribution, not several")
            }
            domain = .values([try value(single, "\(path).value")])
            return
        }
        if let list = spec["values"] {
            guard distribution == nil || distribution == "categorical" else {
                throw reader.error(list, key: path, "values go with distribution: categorical (or no distribution), not \(distribution!)")
            }
            guard let items = list.sequence else {
                throw reader.error(list, key: "\(path).values", "must be a list such as [0.01, 0.1], got \(reader.describe(list))")
            }
            guard !items.isEmpty else { throw reader.error(list, key: "\(path).values", "is empty; give at least one value") }
            var choices: [Choice] = []
            for item in items { choices.append(try value(item, "\(path).values")) }
            domain = .values(choices)
            return
        }
        guard let distribution else {
            throw reader.error(node, key: path, "needs value, values, or a distribution with min and max")
        }
        guard method == .random else {
            throw reader.error(spec["distribution"]!, key: "\(path).distribution",
                               "grid search cannot enumerate a '\(distribution)' distribution; give values, or use method: random")
        }
        guard kind == .real || kind == .whole else {
            throw reader.error(spec["distribution"]!, key: "\(path).distribution", "\(keyText) takes values, not a '\(distribution)' distribution")
        }
        guard let minNode = spec["min"], let maxNode = spec["max"] else {
            throw reader.error(spec["distribution"]!, key: path, "a '\(distribution)' distribution needs min and max")
        }
        let low = try reader.number(minNode, key: "\(path).min"), high = try reader.number(maxNode, key: "\(path).max")
        guard low <= high else { throw reader.error(maxNode, key: "\(path).max", "must be at least min (\(low)), got \(high)") }
        switch distribution {
        case "uniform" where kind == .real: domain = .uniform(min: low, max: high)
        case "int_uniform", "uniform" where kind == .whole:
            domain = .integerUniform(min: try reader.integer(minNode, key: "\(path).min", range: 0...Int(Int32.max)),
                                     max: try reader.integer(maxNode, key: "\(path).max", range: 0...Int(Int32.max)))
        case "q_uniform":
            guard let qNode = spec["q"] else { throw reader.error(spec["distribution"]!, key: path, "q_uniform needs q") }
            let q = try reader.number(qNode, key: "\(path).q")
            guard q > 0 else { throw reader.error(qNode, key: "\(path).q", "must be greater than 0, got \(q)") }
            domain = .quantizedUniform(min: low, max: high, q: q)
        case "log_uniform_values":
            guard low > 0 else { throw reader.error(minNode, key: "\(path).min", "log_uniform_values needs min > 0, got \(low)") }
            domain = .logUniform(min: low, max: high)
        case "categorical":
            throw reader.error(spec["distribution"]!, key: path, "categorical needs values")
        default:
            throw reader.error(spec["distribution"]!, key: "\(path).distribution",
                               "'\(distribution)' is not supported; use categorical, uniform, int_uniform, q_uniform or log_uniform_values")
        }
    }

    /// All values, for grid search.
    var choices: [Choice] {
        if case .values(let choices) = domain { return choices }
        preconditionFailure("grid search with a distribution is refused when parsing")
    }

    /// One random value, for random search.
    func draw(using random: inout SplitMix64) -> Choice {
        let u = random.nextUnitDouble()
        let value: Value
        switch domain {
        case .values(let choices): return choices[random.nextIndex(below: choices.count)]
        case .uniform(let low, let high): value = .number(low + u * (high - low))
        case .integerUniform(let low, let high):
            value = .integer(low + random.nextIndex(below: high - low + 1))
        case .quantizedUniform(let low, let high, let q):
            let x = ((low + u * (high - low)) / q).rounded() * q
            value = Parameter.kind(name) == .whole ? .integer(Int(x)) : .number(x)
        case .logUniform(let low, let high): value = .number(exp(log(low) + u * (log(high) - log(low))))
        }
        if Parameter.kind(name) == .whole, case .number(let x) = value {
            return Choice(value: .integer(Int(x.rounded())), line: line, parameter: name)
        }
        return Choice(value: value, line: line, parameter: name)
    }

    private static func parse(_ node: Node, kind: Kind, key: String, reader: NodeReader) throws(SpecError) -> Value {
        switch kind {
        case .real: return .number(try reader.number(node, key: key))
        case .whole: return .integer(try reader.integer(node, key: key, range: 0...Int(Int32.max)))
        case .flag:
            switch try reader.string(node, key: key).lowercased() {
            case "true", "yes", "on": return .flag(true)
            case "false", "no", "off": return .flag(false)
            case let other: throw reader.error(node, key: key, "must be true or false, got '\(other)'")
            }
        case .augmentation:
            let text = try reader.string(node, key: key)
            guard let augmentation = Augmentation(rawValue: text) else {
                throw reader.error(node, key: key, "'\(text)' is not an augmentation; use one of "
                                   + Augmentation.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return .augmentation(augmentation)
        case .widths:
            // "128,128", 128, or [128, 128].
            let parts: [String]
            if let items = node.sequence {
                parts = items.map { $0.string ?? "" }
            } else {
                parts = try reader.string(node, key: key).split(separator: ",", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
            }
            let widths = parts.compactMap(Int.init)
            guard !parts.isEmpty, widths.count == parts.count, widths.allSatisfy({ $0 > 0 && $0 <= 65_536 }) else {
                throw reader.error(node, key: key, "must be positive layer widths such as \"128,128\", got \(reader.describe(node))")
            }
            return .widths(widths)
        }
    }
}

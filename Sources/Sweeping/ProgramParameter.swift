import Yams
import SweepCore

/// One parameter of a program sweep: any name, any value a sweep file can hold, in any of the W&B
/// schema's forms. The program judges the values, so the built-in trainer's ranges do not apply.
/// Nested `parameters:` flatten as W&B flattens them: names joined with `.`, keys sorted at every
/// level (W&B's `HyperParameterSet.from_config`), and the program gets them nested again.
public struct ProgramParameter: SweptParameter {
    /// Where the values come from.
    public enum Domain: Sendable {
        /// `value`, `values`, `categorical`, `categorical_w_probabilities`.
        case values([ProgramValue], probabilities: [Double]?)
        /// A numeric distribution: `int_uniform` gives integers, the others reals.
        case distribution(Distribution)
    }

    /// The flattened name, e.g. `optimizer.lr`: a `trials.csv` column.
    public let name: String
    /// The keys it is nested under, then its own: `["optimizer", "lr"]`.
    public let path: [String]
    /// The line of its key.
    public let line: Int?
    /// Its values or distribution.
    public let domain: Domain
    /// The W&B form.
    public let form: String
    /// Each number of its form as the file wrote it (see `Parameter.written`).
    public let written: [String: String]

    /// How many grid points it contributes (nil: a distribution a grid cannot enumerate).
    public var gridCount: Int? {
        switch domain {
        case .values(let values, _): return values.count
        case .distribution(let distribution): return distribution.gridCount
        }
    }

    /// The `index`-th grid value.
    public func gridValue(at index: Int) -> ProgramValue {
        switch domain {
        case .values(let values, _): return values[index]
        case .distribution(let distribution): return typed(distribution.gridValue(at: index), distribution)
        }
    }

    /// The value at percentile u ∈ (0, 1), as `Parameter.value(atPercentile:)`.
    public func value(atPercentile u: Double) -> ProgramValue {
        switch domain {
        case .values(let values, let probabilities):
            return values[Parameter.categoricalIndex(atPercentile: u, count: values.count, probabilities: probabilities)]
        case .distribution(let distribution):
            return typed(distribution.value(atPercentile: u), distribution)
        }
    }

    /// Where its values come from.
    public var source: ValueSource {
        switch domain {
        case .values(let values, let probabilities): return .listed(count: values.count, probabilities: probabilities)
        case .distribution(let distribution): return .distribution(distribution)
        }
    }

    /// The position of `value` among its listed values.
    public func listedIndex(of value: ProgramValue) -> Int? {
        guard case .values(let values, _) = domain else { return nil }
        return values.firstIndex(of: value)
    }

    /// `value` as a number: an int or a real.
    public func number(of value: ProgramValue) -> Double? {
        switch value {
        case .int(let whole): return Double(whole)
        case .real(let real): return real
        default: return nil
        }
    }

    /// Whether `value` is one this parameter can take (a distribution's: in its support).
    public func admits(_ value: ProgramValue) -> Bool {
        switch domain {
        case .values(let values, _): return values.contains(value)
        case .distribution(let distribution):
            guard let x = number(of: value) else { return false }
            let support = distribution.support
            return x >= support.low && x <= support.high
        }
    }

    private func typed(_ x: Double, _ distribution: Distribution) -> ProgramValue {
        // W&B gives int_uniform as an int and every other distribution as a float.
        if distribution.name == "int_uniform", let whole = Int(exactly: x.rounded()) { return .int(whole) }
        return .real(x)
    }

    /// Reads a `parameters:` mapping (or a nested one under `prefix`), keys sorted as W&B sorts them.
    /// A parameter may not take the name of another `trials.csv` column (`reserved`).
    static func read(_ node: Node, prefix: [String], method: SweepSpec.Method, reserved: Set<String>,
                     reader: NodeReader) throws(SpecError) -> [ProgramParameter] {
        let key = prefix.isEmpty ? "parameters" : "parameters." + prefix.joined(separator: ".") + ".parameters"
        var entries: [(String, Node, Node)] = []
        for (keyNode, valueNode) in try reader.mapping(node, key: key) {
            guard let name = keyNode.string, !name.isEmpty, !name.contains("\n") else {
                throw reader.error(keyNode, key: key, "a parameter's name must be a non-empty string on one line")
            }
            entries.append((name, keyNode, valueNode))
        }
        guard !entries.isEmpty else { throw reader.error(node, key: key, "is empty; give at least one parameter") }
        // Every parameter is read, each one's mistakes recorded, before any is thrown.
        var problems = Problems()
        var parameters: [ProgramParameter] = []
        for (name, keyNode, valueNode) in entries.sorted(by: { $0.0 < $1.0 }) {
            let path = prefix + [name]
            let dotted = "parameters." + path.joined(separator: ".")
            guard let spec = problems.attempt({ () throws(SpecError) in try reader.mapping(valueNode, key: dotted) }) else { continue }
            if let nested = spec["parameters"] {
                for (other, _) in spec where other.string != "parameters" {
                    problems.record(reader.error(other, key: "\(dotted).\(other.string ?? "")",
                                                 "does not belong beside parameters (a nested group holds only parameters)"))
                }
                parameters += problems.attempt { () throws(SpecError) in
                    try read(nested, prefix: path, method: method, reserved: reserved, reader: reader)
                } ?? []
                continue
            }
            let name = path.joined(separator: ".")
            if reserved.contains(name) {
                problems.record(reader.error(keyNode, key: "parameters.\(name)", "is also the name of a trials.csv column "
                                             + "(\(reserved.sorted().joined(separator: ", "))); rename it"))
            }
            if let parameter = problems.attempt({ () throws(SpecError) in
                try ProgramParameter(path: path, key: keyNode, spec: spec, node: valueNode, method: method, reader: reader)
            }) {
                parameters.append(parameter)
            }
        }
        try problems.throwIfAny()
        return parameters
    }

    /// A warning when this is one of W&B's exponent forms with bounds that look like values.
    func exponentWarning(file: String) -> String? {
        guard case .distribution(let distribution) = domain, let warning = distribution.exponentFormWarning else { return nil }
        return SpecError(file: file, line: line, key: "parameters.\(name)", warning).description
    }

    private init(path: [String], key keyNode: Node, spec: Node.Mapping, node: Node, method: SweepSpec.Method,
                 reader: NodeReader) throws(SpecError) {
        self.path = path
        name = path.joined(separator: ".")
        line = keyNode.mark?.line
        let dotted = "parameters.\(name)"
        form = try Parameter.form(of: spec, at: node, path: dotted, reader: reader)
        written = Parameter.writtenNumbers(spec)
        switch form {
        case "constant":
            guard let single = spec["value"] else { throw reader.error(node, key: dotted, "constant needs value") }
            domain = .values([try ProgramParameter.value(single, key: "\(dotted).value", reader: reader, depth: 0)], probabilities: nil)
        case "categorical", "categorical_w_probabilities":
            guard let list = spec["values"] else { throw reader.error(node, key: dotted, "\(form) needs values") }
            guard let items = list.sequence else {
                throw reader.error(list, key: "\(dotted).values", "must be a list such as [0.01, 0.1], got \(reader.describe(list))")
            }
            guard !items.isEmpty else { throw reader.error(list, key: "\(dotted).values", "is empty; give at least one value") }
            var problems = Problems()
            var values: [ProgramValue] = []
            for item in items {
                if let value = problems.attempt({ () throws(SpecError) in
                    try ProgramParameter.value(item, key: "\(dotted).values", reader: reader, depth: 0)
                }) {
                    values.append(value)
                }
            }
            var probabilities: [Double]?
            if form == "categorical_w_probabilities" {
                guard let node = spec["probabilities"] else { throw reader.error(list, key: dotted, "\(form) needs probabilities") }
                probabilities = problems.attempt { () throws(SpecError) in
                    try Parameter.probabilities(node, count: items.count, key: "\(dotted).probabilities", reader: reader)
                }
                if method == .grid {
                    problems.record(reader.error(node, key: "\(dotted).probabilities",
                                                 "grid search tries every value; probabilities are for method: random or bayes"))
                }
            }
            try problems.throwIfAny()
            if form != "categorical_w_probabilities" && method == .grid {
                var seen = Set<ProgramValue>()
                values = values.filter { seen.insert($0).inserted }
            }
            domain = .values(values, probabilities: probabilities)
        default:
            domain = .distribution(try Parameter.distribution(form, spec: spec, at: node, path: dotted, method: method, reader: reader))
        }
    }

    /// A YAML value as the program will get it: YAML 1.1 scalars (as PyYAML, which W&B uses, reads
    /// `true`, `yes`, `1e-3`, `null`), lists and mappings.
    static func value(_ node: Node, key: String, reader: NodeReader, depth: Int) throws(SpecError) -> ProgramValue {
        guard depth < 16 else { throw reader.error(node, key: key, "nests too deeply for a parameter value") }
        switch node {
        case .scalar:
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(ProgramValue.bool) ?? .string(node.string ?? "")
            case Tag.Name.int.rawValue:
                return node.int.map(ProgramValue.int) ?? node.float.map(ProgramValue.real) ?? .string(node.string ?? "")
            case Tag.Name.float.rawValue: return node.float.map(ProgramValue.real) ?? .string(node.string ?? "")
            default: return .string(node.string ?? "")
            }
        case .sequence(let sequence):
            var items: [ProgramValue] = []
            for item in sequence { items.append(try value(item, key: key, reader: reader, depth: depth + 1)) }
            return .list(items)
        case .mapping(let mapping):
            var pairs: [ProgramValue.Pair] = []
            for (keyNode, valueNode) in mapping {
                pairs.append(ProgramValue.Pair(keyNode.string ?? "", try value(valueNode, key: key, reader: reader, depth: depth + 1)))
            }
            return .mapping(pairs)
        case .alias:
            throw reader.error(node, key: key, "YAML aliases are not supported in parameter values")
        }
    }
}

import Foundation
import Training
import Yams
import SweepCore

/// One entry under `parameters:`: a hyperparameter and where its values come from, in any of the
/// W&B schema's forms, checked against the hyperparameter's kind and range when the file is read.
public struct Parameter: SweptParameter {
    /// One listed value and the line it was written on.
    public struct Choice: Equatable, Sendable {
        /// The value.
        public var value: HyperparameterValue
        /// Its line in the sweep file.
        public var line: Int?
    }

    /// Where the values come from.
    public enum Domain: Sendable {
        /// `value`, `values`, `categorical` (uniform over the list) and `categorical_w_probabilities`.
        case values([Choice], probabilities: [Double]?)
        /// Every other distribution.
        case distribution(Distribution)
    }

    /// Which hyperparameter.
    public let name: Hyperparameter
    /// The line of its key.
    public let line: Int?
    /// Its values or distribution.
    public let domain: Domain
    /// The W&B form, as `sweep check` and messages name it: `constant`, `categorical`, `q_uniform`, …
    public let form: String
    /// Each number of its form (`min`, `max`, `q`, `mu`, `sigma`, `a`, `b`) as the file wrote it, so
    /// that `sweep check` shows `0.001` rather than the `0.0010000000000000002` its logarithm gives back.
    public let written: [String: String]

    // MARK: - Grid and random search

    /// How many grid points this parameter contributes (nil: a distribution a grid cannot enumerate).
    public var gridCount: Int? {
        switch domain {
        case .values(let choices, _): return choices.count
        case .distribution(let distribution): return distribution.gridCount
        }
    }

    /// The `index`-th grid value.
    public func gridValue(at index: Int) -> HyperparameterValue {
        switch domain {
        case .values(let choices, _): return choices[index].value
        case .distribution(let distribution): return typed(distribution.gridValue(at: index))
        }
    }

    /// The value at percentile u ∈ (0, 1): W&B's `ppf`, the inverse of the distribution function.
    public func value(atPercentile u: Double) -> HyperparameterValue {
        switch domain {
        case .values(let choices, let probabilities):
            return choices[Parameter.categoricalIndex(atPercentile: u, count: choices.count, probabilities: probabilities)].value
        case .distribution(let distribution):
            return typed(distribution.value(atPercentile: u))
        }
    }

    /// Where its values come from.
    public var source: ValueSource {
        switch domain {
        case .values(let choices, let probabilities): return .listed(count: choices.count, probabilities: probabilities)
        case .distribution(let distribution): return .distribution(distribution)
        }
    }

    /// The position of `value` among its listed values.
    public func listedIndex(of value: HyperparameterValue) -> Int? {
        guard case .values(let choices, _) = domain else { return nil }
        return choices.firstIndex { $0.value == value }
    }

    /// `value` as a number.
    public func number(of value: HyperparameterValue) -> Double? { value.number }

    /// Which of `count` listed values percentile u picks: W&B's, the first whose cumulative
    /// probability exceeds u, or with no probabilities, equal shares.
    static func categoricalIndex(atPercentile u: Double, count: Int, probabilities: [Double]?) -> Int {
        guard let probabilities else { return min(Int(u * Double(count)), count - 1) }
        var total = 0.0
        for (index, p) in probabilities.enumerated() {
            total += p
            if u < total { return index }
        }
        return count - 1
    }

    /// Whether `value` is one this parameter can give (a result's config checked against the sweep).
    public func admits(_ value: HyperparameterValue) -> Bool {
        switch domain {
        case .values(let choices, _): return choices.contains { $0.value == value }
        case .distribution(let distribution):
            guard let x = value.number else { return false }
            let support = distribution.support
            return x >= support.low && x <= support.high
        }
    }

    /// A distribution's number as this hyperparameter's kind (whole numbers were checked for when read).
    private func typed(_ x: Double) -> HyperparameterValue {
        guard name.kind == .whole else { return .real(x) }
        // In range by the checks made when the file was read; -1 (refused by `check`) otherwise.
        return .whole(Int(exactly: x.rounded()) ?? -1)
    }

    /// A warning when this is one of W&B's exponent forms with bounds that look like values (see
    /// `Distribution.exponentFormWarning`), as `file:line: parameters.name: …`.
    func exponentWarning(file: String) -> String? {
        guard case .distribution(let distribution) = domain, let warning = distribution.exponentFormWarning else { return nil }
        return SpecError(file: file, line: line, key: "parameters.\(name.rawValue)", warning).description
    }

    // MARK: - Reading

    /// The keys each form may have (W&B's schema, `additionalProperties: false`).
    static let formKeys: [String: [String]] = [
        "constant": ["value"],
        "categorical": ["values"],
        "categorical_w_probabilities": ["values", "probabilities"],
        "int_uniform": ["min", "max"],
        "uniform": ["min", "max"],
        "q_uniform": ["min", "max", "q"],
        "log_uniform": ["min", "max"],
        "log_uniform_values": ["min", "max"],
        "q_log_uniform": ["min", "max", "q"],
        "q_log_uniform_values": ["min", "max", "q"],
        "inv_log_uniform": ["min", "max"],
        "inv_log_uniform_values": ["min", "max"],
        "normal": ["mu", "sigma"],
        "q_normal": ["mu", "sigma", "q"],
        "log_normal": ["mu", "sigma"],
        "q_log_normal": ["mu", "sigma", "q"],
        "beta": ["a", "b"],
        "q_beta": ["a", "b", "q"],
    ]

    /// The distribution names, in the order messages list them.
    static let distributionNames = [
        "constant", "categorical", "categorical_w_probabilities", "int_uniform", "uniform", "q_uniform",
        "log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values", "log_uniform", "q_log_uniform",
        "inv_log_uniform", "normal", "q_normal", "log_normal", "q_log_normal", "beta", "q_beta",
    ]

    init(key keyNode: Node, value node: Node, method: SweepSpec.Method, reader: NodeReader) throws(SpecError) {
        let keyText = keyNode.string ?? ""
        guard let name = Hyperparameter(rawValue: keyText) else {
            let names = Hyperparameter.allCases.map(\.rawValue)
            throw reader.error(keyNode, key: "parameters.\(keyText)", "unknown parameter; "
                               + (Suggestion.didYouMean(keyText, in: names) ?? "expected one of " + names.joined(separator: ", ")))
        }
        self.name = name
        line = keyNode.mark?.line
        let path = "parameters.\(keyText)"
        let spec = try reader.mapping(node, key: path)
        if let nested = spec.first(where: { $0.key.string == "parameters" })?.key {
            throw reader.error(nested, key: "\(path).parameters",
                               "nested parameters are for sweeping your own program (program: or command:); "
                               + "the built-in trainer's \(keyText) takes value, values or a distribution")
        }

        let form = try Parameter.form(of: spec, at: node, path: path, reader: reader)
        self.form = form
        written = Parameter.writtenNumbers(spec)

        let kind = name.kind
        func choice(_ node: Node, _ key: String) throws(SpecError) -> Choice {
            let value = try Parameter.read(node, as: name, key: key, reader: reader)
            do {
                try name.check(value)
            } catch {
                throw reader.error(node, key: path, "\(error.requirement), got \(error.value)")
            }
            return Choice(value: value, line: node.mark?.line)
        }
        switch form {
        case "constant", "categorical", "categorical_w_probabilities":
            if form == "constant" {
                guard let single = spec["value"] else { throw reader.error(node, key: path, "constant needs value") }
                domain = .values([try choice(single, "\(path).value")], probabilities: nil)
                return
            }
            guard let list = spec["values"] else { throw reader.error(node, key: path, "\(form) needs values") }
            guard let items = list.sequence else {
                throw reader.error(list, key: "\(path).values", "must be a list such as [0.01, 0.1], got \(reader.describe(list))")
            }
            guard !items.isEmpty else { throw reader.error(list, key: "\(path).values", "is empty; give at least one value") }
            // Every listed value is checked, and the probabilities too, before any mistake is thrown.
            var problems = Problems()
            var choices: [Choice] = []
            for item in items {
                if let choice = problems.attempt({ () throws(SpecError) in try choice(item, "\(path).values") }) { choices.append(choice) }
            }
            var probabilities: [Double]?
            if form == "categorical_w_probabilities" {
                guard let node = spec["probabilities"] else { throw reader.error(list, key: path, "\(form) needs probabilities") }
                probabilities = problems.attempt { () throws(SpecError) in
                    try Parameter.probabilities(node, count: items.count, key: "\(path).probabilities", reader: reader)
                }
                if method == .grid {
                    problems.record(reader.error(node, key: "\(path).probabilities",
                                                 "grid search tries every value; probabilities are for method: random or bayes"))
                }
            }
            try problems.throwIfAny()
            if form != "categorical_w_probabilities" && method == .grid {
                // A grid tries each value once: a repeated value would be the same trial again.
                var seen = Set<HyperparameterValue>()
                choices = choices.filter { seen.insert($0.value).inserted }
            }
            domain = .values(choices, probabilities: probabilities)
            return
        default:
            break
        }

        // A distribution: numbers only.
        let distributionKey = spec["distribution"] ?? node
        guard kind == .real || kind == .whole else {
            throw reader.error(distributionKey, key: path, "\(keyText) takes \(kind.article) from value or values, "
                               + "not a \(form) distribution")
        }
        let distribution = try Parameter.distribution(form, spec: spec, at: node, path: path, method: method, reader: reader)
        try Parameter.checkFits(distribution, name, grid: method == .grid, at: distributionKey, key: path, written: written, reader: reader)
        domain = .distribution(distribution)
    }

    /// The W&B form of a parameter's mapping, named or inferred as W&B infers it, with every key
    /// checked against the form's (W&B's `additionalProperties: false`).
    static func form(of spec: Node.Mapping, at node: Node, path: String, reader: NodeReader) throws(SpecError) -> String {
        // Keys no form has come first, all of them: the form is not guessed past one (a misspelt `max`
        // would make a uniform a mistake of another kind).
        var problems = Problems()
        for (key, _) in spec where !Parameter.anyFormKeys.contains(key.string ?? "") {
            let stray = key.string ?? ""
            problems.record(reader.error(key, key: "\(path).\(stray)", "unknown key; "
                                         + (Suggestion.didYouMean(stray, in: Parameter.anyFormKeys)
                                            ?? "a parameter takes " + Parameter.anyFormKeys.joined(separator: ", "))))
        }
        try problems.throwIfAny()
        // Which form: W&B's rules, with the distribution inferred when it is not named.
        let form: String
        if let distributionNode = spec["distribution"] {
            form = try reader.string(distributionNode, key: "\(path).distribution")
            guard Parameter.formKeys[form] != nil else {
                throw reader.error(distributionNode, key: "\(path).distribution", "'\(form.prefix(60))' is not a distribution; "
                                   + (Suggestion.didYouMean(form, in: Parameter.distributionNames)
                                      ?? "use one of " + Parameter.distributionNames.joined(separator: ", ")))
            }
        } else if spec["value"] != nil {
            form = "constant"
        } else if spec["values"] != nil {
            form = spec["probabilities"] != nil ? "categorical_w_probabilities" : "categorical"
        } else if let low = spec["min"], let high = spec["max"] {
            // W&B: int_uniform when both bounds are integers, else uniform.
            form = low.int != nil && high.int != nil ? "int_uniform" : "uniform"
        } else {
            throw reader.error(node, key: path, "needs value, values, min and max, or a distribution")
        }
        let allowed = Set(Parameter.formKeys[form]! + ["distribution"])
        for (key, _) in spec where !allowed.contains(key.string ?? "") {
            let stray = key.string ?? ""
            var hint = ""
            if stray == "q", Parameter.formKeys["q_" + form] != nil { hint = "; use distribution: q_\(form)" }
            if stray == "probabilities", form == "categorical" { hint = "; use distribution: categorical_w_probabilities" }
            problems.record(reader.error(key, key: "\(path).\(stray)", "does not belong to a \(form) parameter (it takes "
                                         + Parameter.formKeys[form]!.joined(separator: ", ") + ")\(hint)"))
        }
        try problems.throwIfAny()
        return form
    }

    /// Every key some form takes, in the order messages list them.
    static let anyFormKeys = ["distribution", "value", "values", "probabilities", "min", "max", "q", "mu", "sigma", "a", "b"]

    static let numberKeys: Set<String> = ["min", "max", "q", "mu", "sigma", "a", "b"]

    /// The numbers of a parameter's mapping as written (see `written`).
    static func writtenNumbers(_ spec: Node.Mapping) -> [String: String] {
        var written: [String: String] = [:]
        // One pass: looking a key up in a Yams mapping compares nodes, which costs more than the pass.
        for (key, value) in spec {
            guard let key = key.string, Parameter.numberKeys.contains(key), let text = value.scalar?.string, text.utf8.count <= 40 else { continue }
            written[key] = text
        }
        return written
    }

    /// The distribution of a parameter of a numeric `form` (not `constant` or `categorical`), its
    /// bounds checked, and on a grid, its enumerability.
    static func distribution(_ form: String, spec: Node.Mapping, at node: Node, path: String, method: SweepSpec.Method,
                             reader: NodeReader) throws(SpecError) -> Distribution {
        func number(_ key: String, default fallback: Double? = nil) throws(SpecError) -> Double {
            guard let node = spec[key] else {
                if let fallback { return fallback }
                throw reader.error(spec["distribution"] ?? node, key: path, "a \(form) distribution needs \(key)")
            }
            return try reader.number(node, key: "\(path).\(key)")
        }
        let distributionKey = spec["distribution"] ?? node
        let family: Distribution.Family
        // Each number is read before any mistake is thrown, so a bad min and a bad max are two lines.
        var problems = Problems()
        var q: Double?
        if form.hasPrefix("q_") {
            q = problems.attempt { () throws(SpecError) in
                let q = try number("q", default: 1)
                guard q > 0 else { throw reader.error(spec["q"]!, key: "\(path).q", "must be greater than 0, got \(reader.describe(spec["q"]!))") }
                return q
            }
        }
        func pair<T>(_ first: () throws(SpecError) -> T, _ second: () throws(SpecError) -> T) throws(SpecError) -> (T, T) {
            let a = problems.attempt(first), b = problems.attempt(second)
            try problems.throwIfAny()
            guard let a, let b else { throw reader.error(node, key: path, "cannot be read") }  // not reached: a mistake was thrown
            return (a, b)
        }
        switch form {
        case "int_uniform":
            let (low, high) = try pair({ () throws(SpecError) in
                try Parameter.integer(spec["min"], key: "\(path).min", form: form, at: distributionKey, reader: reader)
            }, { () throws(SpecError) in
                try Parameter.integer(spec["max"], key: "\(path).max", form: form, at: distributionKey, reader: reader)
            })
            guard low < high else {
                throw reader.error(spec["max"]!, key: "\(path).max", "must be greater than min (\(low)), got \(high)")
            }
            family = .integerUniform(min: low, max: high)
        case "normal", "q_normal", "log_normal", "q_log_normal":
            let (mu, sigma) = try pair({ () throws(SpecError) in try number("mu", default: 0) },
                                       { () throws(SpecError) in try number("sigma", default: 1) })
            guard sigma >= 0 else { throw reader.error(spec["sigma"]!, key: "\(path).sigma", "must be 0 or more, got \(sigma)") }
            family = form.contains("log") ? .logNormal(mu: mu, sigma: sigma) : .normal(mu: mu, sigma: sigma)
        case "beta", "q_beta":
            let (a, b) = try pair({ () throws(SpecError) in try number("a", default: 1) },
                                  { () throws(SpecError) in try number("b", default: 1) })
            for (key, value) in [("a", a), ("b", b)] where value <= 0 {
                throw reader.error(spec[key]!, key: "\(path).\(key)", "must be greater than 0, got \(value)")
            }
            family = .beta(a: a, b: b)
        default:  // the min/max forms
            let (low, high) = try pair({ () throws(SpecError) in try number("min") }, { () throws(SpecError) in try number("max") })
            guard low < high else {
                throw reader.error(spec["max"]!, key: "\(path).max", "must be greater than min (\(low)), got \(high)")
            }
            if form.hasSuffix("_values"), low <= 0 {
                throw reader.error(spec["min"]!, key: "\(path).min", "\(form) needs min > 0 (the values' logarithms are used), got \(low)")
            }
            switch form {
            case "uniform", "q_uniform": family = .uniform(min: low, max: high)
            case "log_uniform", "q_log_uniform": family = .logUniform(minExponent: low, maxExponent: high)
            case "log_uniform_values", "q_log_uniform_values": family = .logUniform(minExponent: log(low), maxExponent: log(high))
            case "inv_log_uniform": family = .inverseLogUniform(minExponent: low, maxExponent: high)
            default: family = .inverseLogUniform(minExponent: -log(high), maxExponent: -log(low))  // inv_log_uniform_values
            }
        }
        let distribution = Distribution(name: form, family: family, q: q)
        if method == .grid {
            guard let count = distribution.gridCount else {
                throw reader.error(distributionKey, key: "\(path).distribution",
                                   "grid search cannot enumerate a '\(form)' distribution; give values, "
                                   + "int_uniform or q_uniform, or use method: random")
            }
            guard count > 0 else {
                throw reader.error(distributionKey, key: path, "this q_uniform gives no values (numpy's arange(min, max, q) is empty)")
            }
        }
        return distribution
    }

    /// A distribution must give only values the hyperparameter accepts: whole numbers where it counts,
    /// and nothing outside its range (a normal can give any number; a uniform up to 1.0 can give 1.0).
    private static func checkFits(_ distribution: Distribution, _ name: Hyperparameter, grid: Bool, at node: Node,
                                  key: String, written: [String: String], reader: NodeReader) throws(SpecError) {
        if name.kind == .whole && !distribution.givesWholeNumbers {
            throw reader.error(node, key: key, "\(name.rawValue) takes whole numbers; a \(distribution.name) distribution "
                               + "gives fractions (use int_uniform, or a q_ distribution with a whole q)")
        }
        let bounds = name.bounds!
        // A grid enumerates values (numpy's arange stops short of max); a random draw can reach the ends.
        let support = grid ? { let (low, high) = distribution.gridSupport; return (low, true, high, true) }()
                           : distribution.support
        guard bounds.contains(low: support.low, lowAttainable: support.lowAttainable,
                              high: support.high, highAttainable: support.highAttainable) else {
            let range = grid ? "[\(Distribution.display(support.low, written: written["min"])), \(Distribution.display(support.high))]"
                : distribution.rangeText(written: written)
            // W&B's exponent forms take min and max as logarithms; when the same numbers read as values
            // would fit, they were almost certainly meant as values.
            var hint = ""
            if let exponents = distribution.exponents, exponents.min > 0,
               bounds.contains(low: exponents.min, lowAttainable: true, high: exponents.max, highAttainable: true) {
                hint = "; did you mean \(distribution.name)_values? (\(distribution.name)'s min and max are natural-log exponents)"
            }
            throw reader.error(node, key: key, "\(name.rawValue) \(bounds.requirement), but this \(distribution.name) "
                               + "distribution gives values in \(range)\(hint)")
        }
    }

    private static func integer(_ node: Node?, key: String, form: String, at fallback: Node,
                                reader: NodeReader) throws(SpecError) -> Int {
        guard let node else { throw reader.error(fallback, key: key, "\(form) needs \(key.split(separator: ".").last!)") }
        guard let scalar = node.scalar, node.int != nil, let value = Int(NodeReader.withoutUnderscores(scalar.string)) else {
            throw reader.error(node, key: key, "\(form) takes whole numbers, got \(reader.describe(node))")
        }
        return value
    }

    static func probabilities(_ node: Node, count: Int, key: String, reader: NodeReader) throws(SpecError) -> [Double] {
        guard let items = node.sequence else {
            throw reader.error(node, key: key, "must be a list of numbers, one per value, got \(reader.describe(node))")
        }
        var result: [Double] = []
        for item in items {
            let p = try reader.number(item, key: key)
            guard p >= 0 else { throw reader.error(item, key: key, "must be 0 or more, got \(p)") }
            result.append(p)
        }
        guard result.count == count else {
            throw reader.error(node, key: key, "has \(result.count) entries for \(count) values; give one per value")
        }
        let sum = result.reduce(0, +)
        guard abs(sum - 1) <= 1e-8 + 1e-5 else {  // numpy.isclose(sum, 1), as W&B checks
            throw reader.error(node, key: key, "must add up to 1, got \(sum)")
        }
        return result
    }

    /// Reads one listed value as `name`'s kind.
    static func read(_ node: Node, as name: Hyperparameter, key: String, reader: NodeReader) throws(SpecError) -> HyperparameterValue {
        switch name.kind {
        case .real: return .real(try reader.number(node, key: key))
        case .whole:
            let x = try reader.number(node, key: key)
            guard x.rounded() == x, let whole = Int(exactly: x) else {
                throw reader.error(node, key: key, "must be a whole number, got \(reader.describe(node))")
            }
            return .whole(whole)
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
        case .optimizer:
            let text = try reader.string(node, key: key)
            guard let optimizer = OptimizerKind(rawValue: text) else {
                throw reader.error(node, key: key, "'\(text)' is not an optimizer; use one of "
                                   + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return .optimizer(optimizer)
        case .path:
            let text = try reader.string(node, key: key)
            guard !text.isEmpty, !text.contains("\n") else { throw reader.error(node, key: key, "must name a file") }
            return .text(text)
        case .widths:
            // "128,128", 128, or [128, 128].
            var widths: [Int]?
            if let items = node.sequence {
                let parsed = items.compactMap { $0.scalar.flatMap { Int($0.string) } }
                widths = parsed.count == items.count && !items.isEmpty ? parsed : nil
            } else if let scalar = node.scalar {
                widths = HyperparameterValue.parseWidths(scalar.string)
            }
            guard let widths else {
                throw reader.error(node, key: key, "must be layer widths such as \"128,128\", got \(reader.describe(node))")
            }
            return .widths(widths)
        }
    }
}

import Sweeping
import Foundation
import Yams
import SweepCore

// Reading a parameter's W&B form, whoever runs the sweep: the form's keys, its distribution, its
// probabilities. What a value may be is the runner's: `Parameter+Hyperparameter.swift` (the built-in
// trainer's kinds and ranges) and `Parameter+Program.swift` (anything a sweep file can hold).

extension Parameter {

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

    /// The values of a `constant`, `categorical` or `categorical_w_probabilities` parameter, each read
    /// by its runner's `choice` (with the key it is reported under), and the probabilities; nil for a
    /// distribution's form. Every listed value is checked, and the probabilities too, before any
    /// mistake is thrown; a grid tries each value once (a repeated value would be the same trial again).
    static func listed(_ form: String, spec: Node.Mapping, at node: Node, path: String, method: SweepSpec.Method, reader: NodeReader,
                       choice: (Node, String) throws(SpecError) -> Choice) throws(SpecError) -> Domain? {
        switch form {
        case "constant":
            guard let single = spec["value"] else { throw reader.error(node, key: path, "constant needs value") }
            return .values([try choice(single, "\(path).value")], probabilities: nil)
        case "categorical", "categorical_w_probabilities":
            break
        default:
            return nil
        }
        guard let list = spec["values"] else { throw reader.error(node, key: path, "\(form) needs values") }
        guard let items = list.sequence else {
            throw reader.error(list, key: "\(path).values", "must be a list such as [0.01, 0.1], got \(reader.describe(list))")
        }
        guard !items.isEmpty else { throw reader.error(list, key: "\(path).values", "is empty; give at least one value") }
        var problems = Problems()
        var choices: [Choice] = []
        for item in items {
            if let read = problems.attempt({ () throws(SpecError) in try choice(item, "\(path).values") }) { choices.append(read) }
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
            var seen = Set<ParameterValue>()
            choices = choices.filter { seen.insert($0.value).inserted }
        }
        return .values(choices, probabilities: probabilities)
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

    static func integer(_ node: Node?, key: String, form: String, at fallback: Node,
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
}

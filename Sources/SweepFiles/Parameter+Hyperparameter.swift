import Sweeping
import Foundation
import Training
import Yams
import SweepCore

// Reading a parameter of the built-in trainer's sweep: the name is a hyperparameter's, and every
// value is checked against its kind and range when the file is read, then kept as a `ParameterValue`.

extension Parameter {
    /// Reads the built-in trainer's parameter `keyNode: node`.
    init(key keyNode: Node, value node: Node, method: SweepSpec.Method, reader: NodeReader) throws(SpecError) {
        let keyText = keyNode.string ?? ""
        guard let name = Hyperparameter(rawValue: keyText) else {
            let names = Hyperparameter.allCases.map(\.rawValue)
            throw reader.error(keyNode, key: "parameters.\(keyText)", "unknown parameter; "
                               + (Suggestion.didYouMean(keyText, in: names) ?? "expected one of " + names.joined(separator: ", ")))
        }
        let path = "parameters.\(keyText)"
        let spec = try reader.mapping(node, key: path)
        if let nested = spec.first(where: { $0.key.string == "parameters" })?.key {
            throw reader.error(nested, key: "\(path).parameters",
                               "nested parameters are for sweeping your own program (program: or command:); "
                               + "the built-in trainer's \(keyText) takes value, values or a distribution")
        }

        let form = try Parameter.form(of: spec, at: node, path: path, reader: reader)
        let written = Parameter.writtenNumbers(spec)
        func made(_ domain: Domain) -> Parameter {
            Parameter(name: keyText, path: [keyText], line: keyNode.mark?.line, domain: domain, form: form, written: written,
                      wholeNumbers: name.kind == .whole)
        }

        let kind = name.kind
        func choice(_ node: Node, _ key: String) throws(SpecError) -> Choice {
            let value = try Parameter.read(node, as: name, key: key, reader: reader)
            do {
                try name.check(value)
            } catch {
                throw reader.error(node, key: path, "\(error.requirement), got \(error.value)")
            }
            return Choice(value: value.parameterValue, line: node.mark?.line)
        }
        if let listed = try Parameter.listed(form, spec: spec, at: node, path: path, method: method, reader: reader, choice: choice) {
            self = made(listed)
            return
        }

        // A distribution: numbers only.
        let distributionKey = spec["distribution"] ?? node
        guard kind == .real || kind == .whole else {
            throw reader.error(distributionKey, key: path, "\(keyText) takes \(kind.article) from value or values, "
                               + "not a \(form) distribution")
        }
        let distribution = try Parameter.distribution(form, spec: spec, at: node, path: path, method: method, reader: reader)
        try Parameter.checkFits(distribution, name, grid: method == .grid, at: distributionKey, key: path, written: written, reader: reader)
        self = made(.distribution(distribution))
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

import Yams
import Sweeping

/// Typed reads of YAML nodes whose errors carry the file, line and key.
struct NodeReader {
    let file: String

    func error(_ node: Node, key: String?, _ message: String) -> SpecError {
        SpecError(file: file, line: node.mark?.line, key: key, message)
    }

    func mapping(_ node: Node, key: String?) throws(SpecError) -> Node.Mapping {
        guard let mapping = node.mapping else {
            throw error(node, key: key, "must be a mapping of keys to values, got \(describe(node))")
        }
        return mapping
    }

    func string(_ node: Node, key: String) throws(SpecError) -> String {
        guard let scalar = node.scalar else { throw error(node, key: key, "must be a single value, got \(describe(node))") }
        return scalar.string
    }

    func number(_ node: Node, key: String) throws(SpecError) -> Double {
        guard let scalar = node.scalar, let value = Double(NodeReader.withoutUnderscores(scalar.string)), value.isFinite else {
            throw error(node, key: key, "must be a number, got \(describe(node))")
        }
        return value
    }

    func integer(_ node: Node, key: String, range: ClosedRange<Int>) throws(SpecError) -> Int {
        let value = try number(node, key: key)
        // Double(Int.max) rounds up to 2⁶³, which no Int holds: compare through Int(exactly:).
        guard value.rounded() == value, let whole = Int(exactly: value), range.contains(whole) else {
            throw error(node, key: key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \(describe(node))")
        }
        return whole
    }

    /// A number's text without its digit separators (see `String.withoutDigitSeparators`).
    static func withoutUnderscores(_ text: String) -> String { text.withoutDigitSeparators }

    /// A short, one-line rendering of what was found, for messages.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.string.isEmpty { return "nothing" }
            let flat = scalar.string.map { $0.isNewline ? " " : String($0) }.joined()
            return "'\(flat.prefix(60))\(flat.count > 60 ? "…" : "")'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// A parameter's value, whoever runs the trial: what a W&B sweep file can hold (YAML scalars, lists
/// and mappings). The built-in trainer reads its hyperparameters from these (`TrainingConfig(values:)`);
/// a program gets them rendered exactly as W&B's agent renders them (Python's `str` in flags,
/// `json.dumps` for `${args_json}`), so it sees the same argv under `sweep` as under `wandb agent`.
public enum ParameterValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case real(Double)
    case string(String)
    case list([ParameterValue])
    /// Keys in file order (Python dicts keep insertion order).
    case mapping([Pair])

    /// One key and value of a mapping.
    public struct Pair: Hashable, Sendable {
        public var key: String
        public var value: ParameterValue
        public init(_ key: String, _ value: ParameterValue) {
            self.key = key
            self.value = value
        }
    }

    /// Python's `str(value)`: `True`, `None`, `0.001`, `1e-05`, `[1, 'a']`, `{'k': 2}`.
    public var pythonText: String {
        switch self {
        case .string(let text): return text
        default: return pythonRepr
        }
    }

    /// Python's `repr(value)`, which `str` uses inside lists and dicts.
    public var pythonRepr: String {
        switch self {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .real(let number): return ParameterValue.pythonFloat(number)
        case .string(let text): return ParameterValue.pythonQuoted(text)
        case .list(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .mapping(let pairs):
            return "{" + pairs.map { ParameterValue.pythonQuoted($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        }
    }

    /// Python's `json.dumps(value)` with its default separators (`, ` and `: `) and `ensure_ascii`.
    public var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .real(let number):
            if number.isNaN { return "NaN" }
            if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
            return ParameterValue.pythonFloat(number)
        case .string(let text): return ParameterValue.jsonQuoted(text)
        case .list(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .mapping(let pairs):
            return "{" + pairs.map { ParameterValue.jsonQuoted($0.key) + ": " + $0.value.jsonText }.joined(separator: ", ") + "}"
        }
    }

    /// Python's `float.__repr__`: the shortest digits that round-trip, in fixed notation for
    /// exponents −4…15 and scientific (`1e-05`, `1.5e+16`) otherwise.
    static func pythonFloat(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also gives the shortest round-tripping digits; only the layout differs.
        let (negative, digits, exponent) = shortestDigits(x)
        var text: String
        if exponent >= -4 && exponent < 16 {
            if exponent < 0 {
                text = "0." + String(repeating: "0", count: -exponent - 1) + digits
            } else if digits.count > exponent + 1 {
                let cut = digits.index(digits.startIndex, offsetBy: exponent + 1)
                text = digits[..<cut] + "." + digits[cut...]
            } else {
                text = digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
            }
        } else {
            let mantissa = digits.count > 1 ? String(digits.prefix(1)) + "." + digits.dropFirst() : digits
            let sign = exponent < 0 ? "-" : "+"
            let magnitude = abs(exponent)
            text = mantissa + "e" + sign + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        return (negative ? "-" : "") + text
    }

    /// The significant digits (no leading or trailing zeros) and decimal exponent of `x`'s shortest form.
    private static func shortestDigits(_ x: Double) -> (negative: Bool, digits: String, exponent: Int) {
        var text = abs(x).description  // e.g. "0.001", "1e-05", "1.5e+16", "123.25"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        exponent += whole.count - 1
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (x < 0, digits, exponent)
    }

    /// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
    static func pythonQuoted(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote { out += "\\" + String(quote) }
                else if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\x" + hex(scalar.value, width: 2) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        out.append(quote)
        return out
    }

    /// `json.dumps(str)` with `ensure_ascii`: non-ASCII as `\uXXXX` (surrogate pairs beyond the BMP).
    static func jsonQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value > 0x7E {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + hex(0xD800 + (v >> 10), width: 4) + "\\u" + hex(0xDC00 + (v & 0x3FF), width: 4)
                    } else {
                        out += "\\u" + hex(scalar.value, width: 4)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// Just enough JSON for a metrics line: one object, its numeric members kept in order, anything
/// else checked and skipped. Depth is bounded, so no line can exhaust the stack.
struct JSONScanner {
    private let bytes: [UInt8]
    private var at = 0
    private static let maximumDepth = 32

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool {
        mutating get {
            skipSpace()
            return at == bytes.count
        }
    }

    /// The top-level object's numeric members, or nil if the text is not an object.
    mutating func object() -> [(String, Double)]? {
        skipSpace()
        guard peek == UInt8(ascii: "{") else { return nil }
        at += 1
        var members: [(String, Double)] = []
        skipSpace()
        if peek == UInt8(ascii: "}") { at += 1; return members }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard peek == UInt8(ascii: ":") else { return nil }
            at += 1
            skipSpace()
            if let number = number() {
                members.append((key, number))
            } else if peek == UInt8(ascii: "\""), let text = string() {
                // `sweep train --json` and others write non-finite numbers as strings.
                if let special = JSONScanner.nonFinite[text.lowercased()] { members.append((key, special)) }
            } else if !skipValue(depth: 1) {
                return nil
            }
            skipSpace()
            if peek == UInt8(ascii: ",") { at += 1; continue }
            if peek == UInt8(ascii: "}") { at += 1; return members }
            return nil
        }
    }

    private static let nonFinite: [String: Double] = ["nan": .nan, "inf": .infinity, "-inf": -.infinity,
                                                       "infinity": .infinity, "-infinity": -.infinity]

    private var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { at += 1 }
    }

    private mutating func literal(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard at + utf8.count <= bytes.count, Array(bytes[at..<at + utf8.count]) == utf8 else { return false }
        at += utf8.count
        return true
    }

    /// A JSON number, or Python's bare `NaN`, `Infinity`, `-Infinity`.
    private mutating func number() -> Double? {
        if literal("NaN") { return .nan }
        if literal("Infinity") { return .infinity }
        if literal("-Infinity") { return -.infinity }
        let start = at
        if peek == UInt8(ascii: "-") { at += 1 }
        while let byte = peek, (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { at += 1 }
        guard at > start, let value = Double(String(decoding: bytes[start..<at], as: UTF8.self)) else {
            at = start
            return nil
        }
        return value
    }

    private mutating func string() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        at += 1
        var out: [UInt8] = []
        while let byte = peek {
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { return nil }
                at += 1
                switch escaped {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard at + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16)
                    else { return nil }
                    at += 4
                    out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                default: out.append(escaped)
                }
            default:
                if byte < 0x20 { return nil }
                out.append(byte)
            }
        }
        return nil
    }

    private mutating func skipValue(depth: Int) -> Bool {
        guard depth <= JSONScanner.maximumDepth, let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let isObject = byte == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            at += 1
            skipSpace()
            if peek == close { at += 1; return true }
            while true {
                skipSpace()
                if isObject {
                    guard string() != nil else { return false }
                    skipSpace()
                    guard peek == UInt8(ascii: ":") else { return false }
                    at += 1
                    skipSpace()
                }
                if number() == nil, !skipValue(depth: depth + 1) { return false }
                skipSpace()
                if peek == UInt8(ascii: ",") { at += 1; continue }
                if peek == close { at += 1; return true }
                return false
            }
        default: return number() != nil
        }
    }
}

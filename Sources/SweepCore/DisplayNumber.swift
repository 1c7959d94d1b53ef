import Foundation

/// Numbers as people read them, wherever people read them (terminal tables, `sweep check`, `status`,
/// the report's labels, legends and ticks): at most four significant digits, or the text as the sweep
/// file typed it when that is short already. CSV and JSON keep full precision; a person never sees
/// `0.0012345678901234` or a value cut mid-way.
public enum DisplayNumber {
    /// `x` with at most `digits` significant digits and no trailing zeros: `0.001235`, `12.5`,
    /// `123500`, and `1.5e-5` or `2.5e7` far from 1.
    public static func number(_ x: Double, digits: Int = 4) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : x < 0 ? "-inf" : "inf" }
        if x == 0 { return "0" }
        // Rounding first gives the exponent of what is shown (9.9996 shows as 10, not 10.00).
        let scientific = formatted(x, "%.\(digits - 1)e")
        let parts = scientific.split(separator: "e")
        let exponent = Int(parts[1])!
        if exponent < -4 || exponent >= 7 {
            return trimmed(String(parts[0])) + "e\(exponent)"
        }
        let decimals = max(0, digits - 1 - exponent)
        return trimmed(formatted(Double(scientific) ?? x, "%.\(decimals)f"))
    }

    /// `x` by a printf format of one double, through the C library: a report formats tens of
    /// thousands of numbers, and Foundation's `String(format:)` costs several times as much.
    private static func formatted(_ x: Double, _ format: String) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let count = withVaList([x]) { vsnprintf(buffer.baseAddress, 64, format, $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(min(max(count, 0), 63))).bindMemory(to: UInt8.self),
                          as: UTF8.self)
        }
    }

    /// A CSV value as a label: a number longer than `digits` significant digits rounded to them,
    /// anything else (a short number as written, a whole number, a word, `128,128`) unchanged.
    public static func value(_ text: String, digits: Int = 4) -> String {
        guard Int(text) == nil, let x = Double(text), x.isFinite, significantDigits(text) > digits else { return text }
        return number(x, digits: digits)
    }

    /// Labels of `texts` that stay distinct: four significant digits, more only where four would show
    /// two different values alike (listed values 0.12341 and 0.12342).
    public static func distinctLabels(_ texts: [String]) -> [String] {
        for digits in 4...17 {
            let labels = texts.map { value($0, digits: digits) }
            if Set(labels).count == Set(texts).count { return labels }
        }
        return texts
    }

    /// Significant digits written in a decimal number's text (`0.00120` has three, `1e-05` one).
    public static func significantDigits(_ text: String) -> Int {
        let mantissa = text.utf8.split(whereSeparator: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }).first ?? []
        let digits = mantissa.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.drop { $0 == UInt8(ascii: "0") }
        // Trailing zeros after a decimal point are still digits written, but say nothing new.
        return mantissa.contains(UInt8(ascii: ".")) ? digits.reversed().drop { $0 == UInt8(ascii: "0") }.count : digits.count
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var text = Substring(text)
        while text.hasSuffix("0") { text = text.dropLast() }
        if text.hasSuffix(".") { text = text.dropLast() }
        return String(text)
    }
}

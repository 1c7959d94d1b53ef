/// The little CSV this project writes and reads: RFC 4180 quoting, "\n" line ends, UTF-8, and one
/// record per line (a line break inside a field is written as a space), so that a damaged line can
/// be set aside without disturbing its neighbours.
public enum CSV {
    /// One record as a line, with its "\n".
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\n"
    }

    /// A field, quoted if it holds a comma, quote or carriage return; line feeds become spaces.
    public static func quote(_ field: String) -> String {
        // One pass over the bytes first: nearly every field (a number, an id) needs nothing, and
        // Foundation's searches cost a microsecond each, which the coordinator pays on every cell.
        var special = false, lineFeed = false
        for byte in field.utf8 {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\r"): special = true
            case UInt8(ascii: "\n"): lineFeed = true
            default: continue
            }
        }
        guard special || lineFeed else { return field }
        let field = oneLine(field)
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `field` as a record keeps it: each line feed a space.
    public static func oneLine(_ field: String) -> String {
        field.contains("\n") ? field.replacingOccurrences(of: "\n", with: " ") : field
    }

    /// The fields of one line (without its "\n"); nil if its quotes do not balance.
    public static func fields(_ line: Substring) -> [String]? {
        var fields: [String] = []
        var field = ""
        var inQuotes = false, afterQuote = false
        for scalar in line.unicodeScalars {
            if inQuotes {
                if scalar == "\"" { inQuotes = false; afterQuote = true } else { field.unicodeScalars.append(scalar) }
                continue
            }
            switch scalar {
            case "\"":
                if afterQuote { field.append("\"") }  // a doubled quote inside a quoted field
                inQuotes = true
                afterQuote = false
            case ",":
                fields.append(field); field = ""; afterQuote = false
            case "\r":
                afterQuote = false
            default:
                field.unicodeScalars.append(scalar); afterQuote = false
            }
        }
        if inQuotes { return nil }
        fields.append(field)
        return fields
    }

    /// Every complete line of `text` split into fields (a line whose quotes do not balance is
    /// skipped); anything after the last "\n" is a torn tail and is left out.
    public static func parse(_ text: String) -> [[String]] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // after the last "\n": empty, or a torn tail
        return lines.compactMap(fields)
    }
}

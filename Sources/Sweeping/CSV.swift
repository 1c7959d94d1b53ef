/// The little CSV this project writes and reads: RFC 4180 quoting, "\n" line ends, UTF-8.
public enum CSV {
    /// One record as a line, with its "\n".
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\n"
    }

    /// A field, quoted if it holds a comma, quote or line break.
    public static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits complete lines into records. Returns the records and the byte length of the complete
    /// part: anything after the last "\n" that ends a record (outside quotes) is a torn tail.
    public static func parse(_ text: String) -> (records: [[String]], completeBytes: Int) {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false, afterQuote = false
        var consumed = 0, complete = 0
        for scalar in text.unicodeScalars {
            consumed += String(scalar).utf8.count
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
                record.append(field); field = ""; afterQuote = false
            case "\n":
                record.append(field); field = ""; afterQuote = false
                records.append(record); record = []
                complete = consumed
            case "\r":
                afterQuote = false
            default:
                field.unicodeScalars.append(scalar); afterQuote = false
            }
        }
        return (records, complete)
    }
}

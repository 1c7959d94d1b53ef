extension String {
    /// The text for one cell of a terminal table: line breaks, tabs and other control characters
    /// written as escapes (`\n`, `\t`, `\u{1B}`), so a value cannot break the table's rows or columns.
    public var terminalCell: String {
        guard contains(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) else { return self }
        var text = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                text += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}

/// A mistake in a sweep file, with where it is and what to do about it.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The sweep file, as given.
    public var file: String
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// The dotted key path, e.g. `parameters.dropout.values`.
    public var key: String?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int?, key: String?, _ message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `file:line: key: message`, the form editors jump to, always on one line (whatever the file held).
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key.prefix(120)): " }
        text += message
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}

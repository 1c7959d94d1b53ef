/// A mistake in a sweep file, with where it is and what to do about it; when one reading found
/// several, the first (by line) with the others in `also`, so that a person fixes them in one round.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The sweep file, as given.
    public var file: String
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// The dotted key path, e.g. `parameters.dropout.values`.
    public var key: String?
    /// What is wrong.
    public var message: String
    /// The file could not be read at all (missing, a directory, not permitted): EX_NOINPUT, not a mistake in it.
    public var unreadable = false
    /// The other mistakes the same reading found, in file order.
    public internal(set) var also: [SpecError] = []

    /// The most lines a person is shown; the rest are counted.
    public static let mostShown = 20

    /// Creates an error.
    public init(file: String, line: Int?, key: String?, _ message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// Every mistake found, this one first, each without others attached.
    public var problems: [SpecError] {
        var first = self
        first.also = []
        return [first] + also
    }

    /// One line per mistake (`description`), at most `limit`, then how many more there were.
    public func lines(limit: Int = SpecError.mostShown) -> [String] {
        let all = problems
        guard all.count > limit else { return all.map(\.description) }
        return all.prefix(limit).map(\.description) + ["… and \(all.count - limit) more"]
    }

    /// `errors` (each possibly holding others) as one error: the first by line, the rest in `also`,
    /// in file order; nil when there are none.
    package static func combining(_ errors: [SpecError]) -> SpecError? {
        // Stable: mistakes on one line keep the order they were found in.
        let flat = errors.flatMap(\.problems).enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }.map(\.element)
        guard var first = flat.first else { return nil }
        first.also = Array(flat.dropFirst())
        return first
    }

    /// `file:line: key: message`, the form editors jump to, always on one line (whatever the file held).
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key.prefix(120)): " }
        text += message
        // Only text with a line break (or beyond ASCII, where the other breaks are) needs the walk.
        guard text.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 >= 0x80 }) else { return text }
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}

/// An upper bound on how deeply a YAML text nests, read line by line before the YAML composer
/// (which recurses once per level) sees it: block indentation levels, `- ` entries opened on one
/// line, and `[`/`{` flow brackets outside quotes and comments. Overcounts rather than under.
/// Reads bytes: every character that matters is ASCII.
enum NestingScan {
    /// The first line whose nesting may exceed `limit`, or nil.
    static func firstLineDeeperThan(_ limit: Int, in text: String) -> Int? {
        let (space, tab, dash, question, hash) = (UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "-"),
                                                   UInt8(ascii: "?"), UInt8(ascii: "#"))
        let (single, double, backslash) = (UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "\\"))
        var indents: [Int] = []
        var flow = 0
        var quote: UInt8?  // inside a quoted scalar that may span lines
        var blockScalarParent: Int?  // inside a `|` or `>` block scalar under this indentation
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let indent = line.prefix { $0 == space || $0 == tab }.count
            let content = line.dropFirst(indent)
            if let parent = blockScalarParent {
                if content.isEmpty || indent > parent { continue }
                blockScalarParent = nil
            }
            if quote == nil && flow == 0 {
                if content.isEmpty || content.first == hash { continue }
                while let last = indents.last, last > indent { indents.removeLast() }
                if indents.last != indent { indents.append(indent) }
            }
            // `- - - x` opens one sequence per dash on a single line.
            var rest = content[...]
            var dashes = 0
            while let first = rest.first, first == dash || first == question,
                  rest.count == 1 || rest.dropFirst().first == space || rest.dropFirst().first == tab {
                dashes += 1
                rest = rest.dropFirst().drop { $0 == space || $0 == tab }
            }
            var deepest = flow
            var previous = space
            var lastSignificant: UInt8?
            for byte in rest {
                if let open = quote {
                    if byte == open && (open == single || previous != backslash) { quote = nil }
                    previous = byte
                    continue
                }
                if byte == hash && (previous == space || previous == tab) { break }  // a comment
                switch byte {
                case double, single: quote = byte
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flow += 1
                    deepest = max(deepest, flow)
                case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
                default: break
                }
                if byte != space && byte != tab { lastSignificant = byte }
                previous = byte
            }
            if indents.count + dashes + deepest > limit { return lineNumber }
            // A block scalar header (`key: |`, `- >-`, `|2`) ends its line: what follows is text.
            if quote == nil, flow == 0, let last = lastSignificant, isBlockScalarHeader(rest, last: last) {
                blockScalarParent = indent
            }
        }
        return nil
    }

    /// Whether a line's last token is `|` or `>` with optional indentation and chomping indicators.
    private static func isBlockScalarHeader(_ line: Substring.UTF8View.SubSequence, last: UInt8) -> Bool {
        let indicators = Set("|>-+0123456789".utf8)
        guard indicators.contains(last) else { return false }
        let token = line.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            .prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        return token.allSatisfy(indicators.contains)
            && (token.contains(UInt8(ascii: "|")) || token.contains(UInt8(ascii: ">")))
    }
}

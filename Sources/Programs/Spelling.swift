/// "Did you mean …?": the closest of a few names to a misspelled one.
public enum Spelling {
    /// The name in `names` closest to `word` by edit distance (insertions, deletions, substitutions
    /// and swaps of neighbours, ignoring case), if it is close enough to be what was meant: at most 2
    /// edits, and at most a third of the word's length. Ties go to the earlier name.
    public static func suggestion<Names: Sequence>(for word: String, among names: Names) -> String? where Names.Element == String {
        let limit = min(2, max(1, word.count / 3))
        var best: (name: String, distance: Int)?
        for name in names where name != word {
            let distance = editDistance(word.lowercased(), name.lowercased())
            if distance <= limit && distance < (best?.distance ?? Int.max) { best = (name, distance) }
        }
        return best?.name
    }

    /// The optimal-string-alignment distance (Damerau–Levenshtein without repeated edits of one part).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var before = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { current[j] = min(current[j], before[j - 2] + 1) }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[y.count]
    }
}

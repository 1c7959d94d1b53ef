/// "did you mean …?" for a misspelled key, name or value: the candidates closest to what was typed
/// by Damerau–Levenshtein distance (optimal string alignment: an insertion, deletion, substitution
/// or swap of two neighbours costs 1; letter case is free), within 1 for words of 3 to 5 characters
/// and 2 beyond (never more than a third of the word); a two-letter word only by a letter it dropped
/// (`mx` for `max`, but `lr` is not taken for `l1`).
public enum Suggestion {
    /// The closest candidates to `typed` (all at the smallest distance, in the candidates' order), or
    /// none when nothing is close.
    public static func closest(to typed: String, in candidates: [String]) -> [String] {
        let word = Array(typed.lowercased().unicodeScalars)
        guard word.count >= 2 else { return [] }
        let allowed = word.count >= 6 ? 2 : 1
        var best: [String] = []
        var bestDistance = allowed + 1
        for candidate in candidates {
            let other = Array(candidate.lowercased().unicodeScalars)
            // Lengths further apart than the allowance cannot be within it: skip before any work, so a
            // hostile file's megabyte-long key costs nothing here.
            guard abs(other.count - word.count) <= allowed, candidate != typed else { continue }
            // Two letters are too few to guess a changed letter from (`lr` is not `l1`); a dropped one (`mx`) is clear.
            if word.count == 2 && other.count != 3 { continue }
            let distance = Suggestion.distance(word, other, cap: allowed)
            if distance > allowed { continue }
            if distance < bestDistance {
                bestDistance = distance
                best = [candidate]
            } else if distance == bestDistance, !best.contains(candidate) {
                best.append(candidate)
            }
        }
        return best
    }

    /// "did you mean momentum?" for a message, or nil when nothing is close.
    public static func didYouMean(_ typed: String, in candidates: [String]) -> String? {
        didYouMean(closest(to: typed, in: candidates))
    }

    /// "did you mean a or b?" for candidates `closest` found, or nil when there are none.
    public static func didYouMean(_ close: [String]) -> String? {
        close.isEmpty ? nil : "did you mean " + close.prefix(3).joined(separator: " or ") + "?"
    }

    /// The optimal-string-alignment distance between `a` and `b`, or `cap + 1` once it must exceed `cap`.
    public static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], cap: Int) -> Int {
        if a.isEmpty || b.isEmpty { return min(max(a.count, b.count), cap + 1) }
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowBest = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, twoBack[j - 2] + 1)
                }
                current[j] = value
                rowBest = min(rowBest, value)
            }
            if rowBest > cap { return cap + 1 }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return min(previous[b.count], cap + 1)
    }
}

import Sweeping
import Foundation
import SweepCore

/// How one parameter is laid out along a chart's axis, in at most `maxSlots` slots whatever the
/// number of trials: listed values as they are when they fit; numbers with more distinct values
/// than that in bins (log bins with round edges for a log-distributed parameter, else quantile
/// bins); other values as the most frequent ones and an `other` slot. A chart draws one mark per
/// slot, so its size is bounded by its pixels, not by the trials.
struct ParameterAxis: Sendable {
    /// At most this many slots.
    static let maxSlots = 12
    /// At most this many bins for a binned number.
    static let maxBins = 10

    /// The parameter.
    let name: String
    /// One label per slot: the value, or a bin's range.
    let labels: [String]
    /// Binned numbers: the bins' edges (one more than the slots), increasing; bin i is
    /// [edges[i], edges[i + 1]), the last one closed. Empty for the other layouts.
    let edges: [Double]
    /// The scale a binned axis is drawn on (nil for slots spaced evenly).
    let scale: ScaleKind?
    /// Each value's slot.
    private let slots: [String: Int]

    /// Linear or logarithmic.
    enum ScaleKind { case linear, log }

    /// The axis of `values` (one per trial, as the CSV has them). `log` says whether the sweep
    /// draws the parameter on a log scale (nil: not known; then numbers spanning decades that
    /// crowd at the low end are taken as log).
    init(name: String, values: [String], log: Bool?) {
        self.name = name
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        let numbers = counts.keys.compactMap { text in Double(text).flatMap { $0.isFinite ? $0 : nil } }
        if counts.count <= ParameterAxis.maxSlots {
            let ordered = counts.keys.sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
            labels = DisplayNumber.distinctLabels(ordered)
            edges = []
            scale = nil
            slots = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
        } else if numbers.count == counts.count {
            let sorted = values.map { Double($0)! }.sorted()
            let (low, high) = (sorted.first!, sorted.last!)
            let isLog = low > 0 && (log ?? (high / low >= 100 && sorted[sorted.count / 2] < low + (high - low) / 10))
            var edges = isLog ? ParameterAxis.logEdges(low: low, high: high) : []
            if edges.count < 4 { edges = ParameterAxis.quantileEdges(sorted) }
            self.edges = edges
            scale = isLog ? .log : .linear
            labels = edges.indices.dropLast().map { i in
                "\(DisplayNumber.number(edges[i], digits: 3))–\(DisplayNumber.number(edges[i + 1], digits: 3))"
            }
            var slots: [String: Int] = [:]
            for text in counts.keys { slots[text] = ParameterAxis.bin(of: Double(text)!, edges: edges) }
            self.slots = slots
        } else {
            // Words (or numbers mixed with words): the most frequent, then the rest as one slot.
            let kept = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(ParameterAxis.maxSlots - 1).map(\.key)
                .sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
            var slots = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            for text in counts.keys where slots[text] == nil { slots[text] = kept.count }
            self.slots = slots
            labels = DisplayNumber.distinctLabels(kept) + ["other (\(counts.count - kept.count) values)"]
            edges = []
            scale = nil
        }
    }

    /// The number of slots.
    var count: Int { labels.count }

    /// Whether the slots are bins of numbers.
    var isBinned: Bool { !edges.isEmpty }

    /// The slot of `value` (one the axis was built from; others go to the last slot).
    func slot(_ value: String) -> Int { slots[value] ?? count - 1 }

    /// A binned slot's range as a title says it: `[0.001, 0.002)`.
    func range(_ slot: Int) -> String {
        "[\(DisplayNumber.number(edges[slot])), \(DisplayNumber.number(edges[slot + 1]))\(slot == count - 1 ? "]" : ")")"
    }

    /// The bin of `x`: the number of inner edges at or below it.
    static func bin(of x: Double, edges: [Double]) -> Int {
        var (low, high) = (1, edges.count - 1)  // search the inner edges, edges[1..<count-1]
        while low < high {
            let middle = (low + high) / 2
            if edges[middle] <= x { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }

    /// Edges at round values of a log scale (1, 2, 5 per decade, or as dense as fits), covering
    /// [low, high] in at most `maxBins` bins; fewer than four edges when the range is too narrow.
    static func logEdges(low: Double, high: Double) -> [Double] {
        let first = Int(floor(log10(low))), last = Int(ceil(log10(high)))
        let patterns: [(multipliers: [Double], decades: Int)] = [([1, 1.5, 2, 3, 5, 7], 1), ([1, 2, 5], 1), ([1, 3], 1), ([1], 1)]
            + (2...max(2, (last - first) / 2 + 1)).map { ([1], $0) }
        for pattern in patterns {
            var nice: [Double] = []
            for decade in stride(from: first - first.modulo(pattern.decades), through: last + pattern.decades, by: pattern.decades) {
                // From text, so an edge is the double a sweep file's `0.001` is (labels and bins agree with it).
                nice += pattern.multipliers.map { Double("\($0)e\(decade)")! }
            }
            guard let lowEdge = nice.last(where: { $0 <= low }), let highEdge = nice.first(where: { $0 >= high }) else { continue }
            let edges = [lowEdge] + nice.filter { $0 > low && $0 < high } + [highEdge]
            if edges.count - 1 <= maxBins { return edges }
        }
        return [low, high]
    }

    /// Edges at the quantiles of `sorted` (about equal counts per bin), rounded to a tenth of a
    /// bin's width so labels are short: at most `maxBins` bins.
    static func quantileEdges(_ sorted: [Double]) -> [Double] {
        let (low, high) = (sorted.first!, sorted.last!)
        let step = pow(10, floor(log10((high - low) / Double(maxBins))))
        guard step.isNormal else { return [low, high] }  // a range too narrow (or wide) for a double to step through
        func round(_ x: Double, _ rule: FloatingPointRoundingRule) -> Double {
            // Through text, so 0.19 is the double 0.19 is, not 19 × 0.01.
            Double(DisplayNumber.number((x / step).rounded(rule) * step, digits: 15))!
        }
        var inner: [Double] = []
        for i in 1..<maxBins {
            let edge = round(sorted[i * sorted.count / maxBins], .toNearestOrAwayFromZero)
            if edge > low && edge < high && edge != inner.last { inner.append(edge) }
        }
        return [round(low, .down)] + inner + [round(high, .up)]
    }
}

private extension Int {
    /// The non-negative remainder.
    func modulo(_ n: Int) -> Int { (self % n + n) % n }
}

/// A numeric axis drawn linearly or logarithmically from `low` to `high`, with round ticks.
struct ParameterScale {
    let kind: ParameterAxis.ScaleKind
    /// The domain's ends, in log10 units on a log scale.
    let low: Double, high: Double
    /// The pixels they map to.
    let start: Double, end: Double

    init(_ low: Double, _ high: Double, kind: ParameterAxis.ScaleKind, range: (Double, Double)) {
        self.kind = kind
        (self.low, self.high) = kind == .log ? (log10(low), log10(high)) : (low, high)
        (start, end) = range
    }

    private func transformed(_ x: Double) -> Double { kind == .log ? log10(x) : x }

    func callAsFunction(_ x: Double) -> Double {
        high > low ? start + (transformed(x) - low) / (high - low) * (end - start) : (start + end) / 2
    }

    /// The value halfway along [a, b] on this scale (a bin's centre).
    func middle(_ a: Double, _ b: Double) -> Double { kind == .log ? (a * b).squareRoot() : (a + b) / 2 }

    /// Two to about seven round values inside the domain: powers of ten (or 1, 2, 5 per decade
    /// over a narrow range) on a log scale.
    var ticks: [Double] {
        guard kind == .log else { return LinearScale.niceTicks(low: low, high: high) }
        let inside = { (x: Double) in log10(x) >= low - 1e-9 && log10(x) <= high + 1e-9 }
        let decades = Array(Int(floor(low))...Int(ceil(high)))
        var ticks = decades.map { Double("1e\($0)")! }.filter(inside)
        if ticks.count > 7 { ticks = ticks.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
        if ticks.count >= 3 { return ticks }
        for multipliers in [[1, 2, 5], [1, 2, 3, 5, 7]] {
            ticks = decades.flatMap { d in multipliers.map { Double("\($0)e\(d)")! } }.filter(inside)
            if ticks.count >= 3 { return ticks }
        }
        return LinearScale.niceTicks(low: pow(10, low), high: pow(10, high))
    }
}

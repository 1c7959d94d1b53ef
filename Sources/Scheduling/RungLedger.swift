import Sweeping

/// Early-termination decisions, taken in sweep order so that they never depend on timing: the
/// decision for the trial at position k at rung r compares it only with the trials at positions
/// before k that reached r (in its bracket, when asha has several). Each rung keeps a frontier (the
/// next position to decide there) and the values of the trials decided so far; a position whose
/// standing at the rung is not known yet (it has not reached it, or an earlier rung of its is
/// undecided) holds the frontier until it is.
struct RungLedger {
    /// A rung: an epoch of one bracket.
    struct Key: Hashable, Comparable {
        var epoch: Int
        var bracket: Int

        static func < (a: Key, b: Key) -> Bool { (a.epoch, a.bracket) < (b.epoch, b.bracket) }
    }

    /// How a position stands at a rung.
    enum Standing {
        /// Not known yet: the frontier waits here.
        case unknown
        /// Takes no part at this rung (a repeated draw, stopped or ended before it, or the rung is
        /// not one of its rungs).
        case absent
        /// Reached the rung with this value (signed, smaller is better) and this best value so far.
        /// `recorded` is its recorded outcome here (`true`: stopped at this rung), for trials whose
        /// rows are already written: the decision is not taken again, only counted.
        case reached(value: Double, best: Double, recorded: Bool?)
        /// With several objectives: reached the rung with these values and these bests so far (each
        /// signed, smaller is better).
        case reachedSeveral(values: [Double], best: [Double], recorded: Bool?)
    }

    /// A decision: stop (or not) the trial at `position` after the rung at epoch `rung`.
    struct Decision: Equatable {
        var position: Int
        var rung: Int
        var stop: Bool
    }

    private struct Rung {
        var frontier = 0
        /// Values of the positions decided so far, ascending.
        var values: [Double] = []
        /// With several objectives, the values of the positions decided so far, in the order decided.
        var vectors: [[Double]] = []
    }

    let rule: EarlyTermination
    private var rungs: [Key: Rung] = [:]
    private var order: [Key] = []
    /// `warm_start:` trials' values by epoch: every rung at that epoch starts with them.
    private var priors: [Int: Rung] = [:]

    init(rule: EarlyTermination) { self.rule = rule }

    /// Makes sure decisions are kept for these rungs of `bracket` (the rungs of a newly opened trial).
    mutating func track(_ epochs: [Int], bracket: Int) {
        for epoch in epochs {
            let key = Key(epoch: epoch, bracket: bracket)
            guard rungs[key] == nil else { continue }
            rungs[key] = Rung(frontier: 0, values: priors[epoch]?.values ?? [], vectors: priors[epoch]?.vectors ?? [])
            order.insert(key, at: order.firstIndex { $0 > key } ?? order.count)
        }
    }

    /// A `warm_start:` trial's value (and with several objectives, values) at `epoch`: an earlier trial
    /// of every rung at that epoch, opened now or later.
    mutating func addPrior(epoch: Int, value: Double, vector: [Double]?) {
        func add(_ rung: inout Rung) {
            rung.values.insert(value, at: rung.values.firstIndex { $0 > value } ?? rung.values.count)
            if let vector { rung.vectors.append(vector) }
        }
        add(&priors[epoch, default: Rung()])
        for key in order where key.epoch == epoch { add(&rungs[key]!) }
    }

    /// Takes every decision that has become possible, lowest rungs first (a position's decision at a
    /// rung needs its decisions at the lower ones), until none is left; `standing` is asked about
    /// positions below `limit` only (and answers `absent` for a position of another bracket), and
    /// must reflect the decisions already returned.
    mutating func advance(limit: Int, standing: (Int, Key) -> Standing, apply: (Decision) -> Void) {
        var progressed = true
        while progressed {
            progressed = false
            for key in order {
                while rungs[key]!.frontier < limit {
                    let position = rungs[key]!.frontier
                    switch standing(position, key) {
                    case .unknown:
                        break
                    case .absent:
                        rungs[key]!.frontier += 1
                        progressed = true
                        continue
                    case .reached(let value, let best, let recorded):
                        let stop = recorded ?? decide(value: value, best: best, earlier: rungs[key]!.values)
                        let values = rungs[key]!.values, kept = rule.rungValue(metric: value, bestSoFar: best)
                        rungs[key]!.values.insert(kept, at: values.firstIndex { $0 > kept } ?? values.count)
                        rungs[key]!.frontier += 1
                        progressed = true
                        if recorded == nil { apply(Decision(position: position, rung: key.epoch, stop: stop)) }
                        continue
                    case .reachedSeveral(let values, let best, let recorded):
                        let stop = recorded ?? decide(values: values, best: best, earlier: rungs[key]!.vectors)
                        rungs[key]!.vectors.append(zip(values, best).map { rule.rungValue(metric: $0, bestSoFar: $1) })
                        rungs[key]!.frontier += 1
                        progressed = true
                        if recorded == nil { apply(Decision(position: position, rung: key.epoch, stop: stop)) }
                        continue
                    }
                    break
                }
            }
        }
    }

    /// The rule, given the values at this rung of the earlier trials that reached it (ascending).
    func decide(value: Double, best: Double, earlier: [Double]) -> Bool {
        switch rule.rule {
        case .hyperband(let strict):
            // W&B: the threshold is the value at index ⌊n/eta⌋ of all n sorted values at the band, the
            // trial's own included; stop if its value there (strict) or its best so far is worse.
            var all = earlier
            all.insert(value, at: all.firstIndex { $0 > value } ?? all.count)
            let index = min(Int((1.0 / rule.eta) * Double(all.count)), all.count - 1)
            return (strict ? value : best) > all[index]
        case .asha(let bootstrapCount, _):
            // Optuna's bootstrap_count: among the first b to reach the rung (itself counted), stopped.
            if earlier.count < bootstrapCount { return true }
            // Ray Tune's ASHA: stop if worse than the 1/eta quantile (numpy's linear percentile) of
            // the values recorded at the rung before it (each its best so far when not strict).
            guard !earlier.isEmpty else { return false }
            return rule.rungValue(metric: value, bestSoFar: best) > RungLedger.percentile(earlier, 100 / rule.eta)
        case .median(let minTrials):
            // Optuna's MedianPruner: the trial's best so far against the median at this epoch.
            guard earlier.count >= minTrials else { return false }
            return best > RungLedger.percentile(earlier, 50)
        }
    }

    /// The rule with several objectives, given the values at this rung of the earlier trials that reached
    /// it (in the order decided): MO-ASHA's ordering (Schmucker et al. 2021), deterministic. The trial and
    /// the earlier ones are ordered by Pareto front, within a front by hypervolume contribution (largest
    /// first; the reference point is the worst of each objective pushed 10 % out), then the earlier
    /// first; the trial goes on if it is among the top 1/eta. Hyperband keeps the ⌊n/eta⌋ + 1 best of the n
    /// (its own single-metric threshold, W&B's index); asha keeps max(1, ⌊n/eta⌋) after its bootstrap.
    /// Median is refused for several objectives when the file is read.
    func decide(values: [Double], best: [Double], earlier: [[Double]]) -> Bool {
        let own = zip(values, best).map { rule.rungValue(metric: $0, bestSoFar: $1) }
        let all = earlier + [own]
        let n = all.count
        switch rule.rule {
        case .hyperband(let strict):
            // Not strict: judged on its best so far, as the single-metric rule.
            let judged = strict ? values : best
            var mixed = all
            mixed[n - 1] = judged
            let place = RungLedger.paretoOrder(mixed).firstIndex(of: n - 1)!
            return place > min(Int((1.0 / rule.eta) * Double(n)), n - 1)
        case .asha(let bootstrapCount, _):
            if earlier.count < bootstrapCount { return true }
            let position = RungLedger.paretoOrder(all).firstIndex(of: n - 1)!
            return position >= max(1, Int(Double(n) / rule.eta))
        case .median:
            return false  // refused for several objectives by the sweep file's reader
        }
    }

    /// Indices of `vectors` (each coordinate smaller-is-better) best first: by Pareto front, within a
    /// front by exclusive hypervolume contribution (largest first), then by index.
    static func paretoOrder(_ vectors: [[Double]]) -> [Int] {
        let fronts = Pareto.fronts(vectors)
        var contribution = [Double](repeating: 0, count: vectors.count)
        let finite = vectors.filter { $0.allSatisfy(\.isFinite) }
        let reference = Pareto.referencePoint(finite, dimensions: vectors.first?.count ?? 0)
        for front in Set(fronts) {
            let members = vectors.indices.filter { fronts[$0] == front }
            guard members.count > 1 else { continue }
            // One reference for every front (the worst finite value of each objective, pushed out), so
            // that a point's contribution does not depend on which front it is in. Each front's order is
            // independent of the others', so visiting the fronts in any order gives the same result.
            for (member, value) in zip(members, Pareto.contributions(members.map { vectors[$0] }, reference: reference)) {
                contribution[member] = value
            }
        }
        return vectors.indices.sorted { a, b in
            if fronts[a] != fronts[b] { return fronts[a] < fronts[b] }
            if contribution[a] != contribution[b] { return contribution[a] > contribution[b] }
            return a < b
        }
    }

    /// numpy's `percentile` with linear interpolation, of ascending `values`.
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let position = q / 100 * Double(values.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, values.count - 1)
        let fraction = position - Double(below)
        if values[below] == values[above] { return values[below] }
        return values[below] + (values[above] - values[below]) * fraction
    }
}

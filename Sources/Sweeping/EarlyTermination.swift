import Foundation
import Training
import SweepCore

/// A sweep file's `early_terminate:` block: when a trial is stopped before its last epoch, with the
/// epoch as the unit of W&B's "iterations". Which trials are compared with which is the scheduler's
/// business (deterministically: trial k only with the trials before it); this says where the
/// decisions are taken (the rungs) and by what rule.
public struct EarlyTermination: Equatable, Sendable {
    /// How a trial at a rung is judged.
    public enum Rule: Equatable, Sendable {
        /// W&B's hyperband: stopped if its metric at the rung (`strict`) or its best so far is worse than
        /// the value in position ⌊n/eta⌋ of the n sorted values at that rung.
        case hyperband(strict: Bool)
        /// Asynchronous successive halving (Li et al. 2018, as Ray Tune's ASHA): stopped if its metric
        /// at the rung is worse than the (1 − 1/eta) quantile of the earlier trials' values there, the
        /// earlier trials of its own bracket when there are several. With `bootstrapCount` b (Optuna's
        /// `bootstrap_count`), the first b trials to reach a rung are stopped there: nobody goes on
        /// before b trials have set the bar, so the first (random) trials do not all run to the end.
        /// Not `strict` (W&B's key, as for hyperband): a trial's value at a rung is its best so far, for
        /// judging it and for judging later trials, so one noisy epoch neither stops nor promotes it.
        case asha(bootstrapCount: Int, strict: Bool)
        /// The median stopping rule (Golovin et al. 2017, as Optuna's MedianPruner): from `min_iter` on,
        /// stopped at an epoch if its metric is worse than the median of the earlier trials' values
        /// at that epoch, once at least `minTrials` earlier trials reached it.
        case median(minTrials: Int)
    }

    /// The rule.
    public var rule: Rule
    /// The reduction factor (hyperband, asha).
    public var eta: Double
    /// The rungs of hyperband and asha: epochs at which decisions are taken, ascending.
    package var rungs: [Int] = []
    /// The median rule decides at every epoch from this one on.
    package var everyEpochFrom: Int?
    /// asha's brackets (Ray Tune's `brackets`, default 1): bracket b's rungs are the rule's from the
    /// b-th on, so a trial of a later bracket is first judged later, which hedges against stopping
    /// slow starters. Each trial is in one bracket, drawn as Ray draws it (see `bracketWeights`).
    public package(set) var brackets = 1
    /// The name as written (`hyperband`, `asha`, `median`).
    public var type: String

    /// The value a trial holds at a rung, both given signed so that smaller is better: what later
    /// trials there are compared with, and what bayes learns from a trial stopped or promoted there.
    /// Its metric at the rung, or its best so far under asha that is not strict.
    public func rungValue(metric: Double, bestSoFar: Double) -> Double {
        if case .asha(_, strict: false) = rule { return bestSoFar }
        return metric
    }

    /// Whether a trial waiting for a decision at a rung pauses (hyperband, asha: few rungs, each a real
    /// cut) rather than training on meanwhile (the median rule decides at every epoch).
    public var pausesAtRungs: Bool {
        if case .median = rule { return false }
        return true
    }

    /// The rungs that matter for a trial of `epochs` epochs in `bracket`, ascending: a decision at its
    /// last epoch saves nothing, so there is none.
    public func rungs(forEpochs epochs: Int, bracket: Int = 0) -> [Int] {
        if let from = everyEpochFrom { return from < epochs ? Array(from..<epochs) : [] }
        return rungs.dropFirst(bracket).filter { $0 < epochs }
    }

    /// The chance of each bracket, as Ray Tune's ASHA allocates trials: a softmax of the brackets'
    /// numbers of rungs (with 3 rungs: 0.665, 0.245, 0.090). One bracket: [1].
    public var bracketWeights: [Double] {
        let sizes = (0..<brackets).map { Double(rungs.count - $0) }
        let top = sizes.max() ?? 0
        let raw = sizes.map { exp($0 - top) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// The bracket of the trial at `position`: a draw of its own from `randomSeed`, so the same
    /// position is in the same bracket however the sweep runs.
    public func bracket(at position: Int, randomSeed: UInt64) -> Int {
        guard brackets > 1 else { return 0 }
        var random = SplitMix64(seed: randomSeed, stream: EarlyTermination.bracketStream, index: UInt64(position))
        var left = random.nextOpenUnit()
        for (bracket, weight) in bracketWeights.enumerated() {
            if left < weight { return bracket }
            left -= weight
        }
        return brackets - 1
    }

    /// The random stream brackets are drawn from ("B4AC").
    static let bracketStream: UInt64 = 0xB4AC

    /// The last epoch a rule decides at (epochs are capped at 100,000): W&B's hyperband bands past it are
    /// never reached, so they are not kept.
    public static let maximumEpoch = 100_000

    /// A rule read from a sweep file, before its reader sets what the file says (`SweepFiles`).
    package init(type: String) {
        self.type = type
        rule = .median(minTrials: 5)
        eta = 3
    }
}

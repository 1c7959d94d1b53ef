import Foundation
import Training
import Yams

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
    private var rungs: [Int] = []
    /// The median rule decides at every epoch from this one on.
    private var everyEpochFrom: Int?
    /// asha's brackets (Ray Tune's `brackets`, default 1): bracket b's rungs are the rule's from the
    /// b-th on, so a trial of a later bracket is first judged later, which hedges against stopping
    /// slow starters. Each trial is in one bracket, drawn as Ray draws it (see `bracketWeights`).
    public private(set) var brackets = 1
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

    static let keys: [String: [String]] = [
        "hyperband": ["type", "min_iter", "max_iter", "s", "eta", "strict"],
        "asha": ["type", "min_iter", "max_iter", "eta", "brackets", "bootstrap_count", "strict"],
        "median": ["type", "min_iter", "min_trials"],
    ]

    /// The most rungs a rule may have (W&B computes 100 hyperband bands; epochs are capped at 100,000).
    public static let maximumEpoch = 100_000

    /// Reads `early_terminate:`.
    init(_ node: Node, reader: NodeReader) throws(SpecError) {
        let mapping = try reader.mapping(node, key: "early_terminate")
        guard let typeNode = mapping["type"] else {
            throw reader.error(node, key: "early_terminate.type", "missing; use hyperband, asha or median")
        }
        type = try reader.string(typeNode, key: "early_terminate.type")
        guard let allowed = EarlyTermination.keys[type] else {
            throw reader.error(typeNode, key: "early_terminate.type", "'\(type.prefix(40))' is not supported; use hyperband, asha or median")
        }
        for (keyNode, _) in mapping where !allowed.contains(keyNode.string ?? "") {
            throw reader.error(keyNode, key: "early_terminate.\(keyNode.string ?? "")",
                               "does not belong to type \(type) (it takes \(allowed.dropFirst().joined(separator: ", ")))")
        }
        let limit = EarlyTermination.maximumEpoch
        func whole(_ key: String) throws(SpecError) -> Int? {
            try mapping[key].map { (node: Node) throws(SpecError) in try reader.integer(node, key: "early_terminate.\(key)", range: 1...limit) }
        }
        eta = try mapping["eta"].map { (node: Node) throws(SpecError) in try reader.number(node, key: "early_terminate.eta") } ?? 3
        guard eta > 1, eta <= 1000 else {
            throw reader.error(mapping["eta"]!, key: "early_terminate.eta", "must be greater than 1 (and at most 1000), got \(eta)")
        }
        let minIter = try whole("min_iter")
        let maxIter = try whole("max_iter")
        // W&B's `strict` (default true): judge a trial by its metric at the rung, not its best so far.
        var strict = true
        if let strictNode = mapping["strict"] {
            switch try reader.string(strictNode, key: "early_terminate.strict").lowercased() {
            case "true", "yes", "on": strict = true
            case "false", "no", "off": strict = false
            case let other: throw reader.error(strictNode, key: "early_terminate.strict", "must be true or false, got '\(other.prefix(40))'")
            }
        }
        switch type {
        case "hyperband":
            rule = .hyperband(strict: strict)
            if let maxIter {
                guard let sNode = mapping["s"] else {
                    throw reader.error(mapping["max_iter"]!, key: "early_terminate.s", "max_iter needs s, the number of bands below it")
                }
                let s = try reader.integer(sNode, key: "early_terminate.s", range: 1...100)
                guard minIter == nil else {
                    throw reader.error(mapping["min_iter"]!, key: "early_terminate.min_iter", "give min_iter, or max_iter with s, not both")
                }
                // W&B: max_iter / eta, / eta², … for s steps, while at least 1, truncated to whole epochs.
                var band = Double(maxIter)
                var bands: [Int] = []
                for _ in 0..<s {
                    band /= eta
                    if band < 1 { break }
                    bands.append(Int(band))
                }
                rungs = Array(Set(bands)).sorted()
            } else if let minIter {
                if mapping["s"] != nil {
                    throw reader.error(mapping["s"]!, key: "early_terminate.s", "s goes with max_iter, not min_iter")
                }
                // W&B: min_iter, min_iter·eta, min_iter·eta², … truncated to whole epochs.
                var band = Double(minIter)
                var bands: [Int] = []
                while band <= Double(limit) {
                    bands.append(Int(band))
                    band *= eta
                }
                rungs = Array(Set(bands)).sorted()
            } else {
                throw reader.error(node, key: "early_terminate", "hyperband needs min_iter, or max_iter with s")
            }
            guard !rungs.isEmpty else {
                throw reader.error(node, key: "early_terminate", "these settings give no band of at least one epoch; "
                                   + "raise max_iter or lower s or eta")
            }
        case "asha":
            let bootstrap = try mapping["bootstrap_count"].map { (node: Node) throws(SpecError) in
                try reader.integer(node, key: "early_terminate.bootstrap_count", range: 0...1_000_000)
            } ?? 0
            rule = .asha(bootstrapCount: bootstrap, strict: strict)
            let first = minIter ?? 1
            let top = maxIter ?? limit
            var rung = Double(first)
            var rungs: [Int] = []
            while rung < Double(top) {
                rungs.append(Int(rung))
                rung *= eta
            }
            self.rungs = Array(Set(rungs)).sorted()
            guard !self.rungs.isEmpty else {
                throw reader.error(mapping["max_iter"] ?? node, key: "early_terminate.max_iter",
                                   "must be greater than min_iter (\(first)), got \(top)")
            }
            if let bracketsNode = mapping["brackets"] {
                brackets = try reader.integer(bracketsNode, key: "early_terminate.brackets", range: 1...100)
                // Ray makes a bracket per requested one; a bracket without a rung would never stop anything.
                guard brackets <= self.rungs.count else {
                    throw reader.error(bracketsNode, key: "early_terminate.brackets",
                                       "at most \(self.rungs.count) here (one per rung: \(self.rungs.map(String.init).joined(separator: ", "))), got \(brackets)")
                }
            }
        default:  // median
            let minTrials = try mapping["min_trials"].map { (node: Node) throws(SpecError) in
                try reader.integer(node, key: "early_terminate.min_trials", range: 1...1_000_000)
            } ?? 5
            rule = .median(minTrials: minTrials)
            everyEpochFrom = minIter ?? 1
        }
    }
}

import SweepCore

/// Population-based training's decisions (Jaderberg et al., 2017; the rules of Ray Tune's
/// `PopulationBasedTraining`), made deterministic: at each boundary every member is ranked by the
/// value it reached there, the lower `quantileFraction` of the population copies a member of the
/// upper one (exploit) and perturbs the copied values (explore). Each decision is a function of the
/// population's values at that boundary, in member order, and of the sweep's seed alone — never of
/// which member got there first — so a rerun on any number of workers gives the same schedules.
public struct PopulationRule: Sendable, Equatable {
    /// Members trained side by side.
    public var populationSize: Int
    /// Epochs between two boundaries.
    public var perturbationInterval: Int
    /// The share of the population at each end: the worst copy the best (Ray's default 0.25; at most 0.5).
    public var quantileFraction: Double = 0.25
    /// The chance that explore draws a value afresh from the parameter's distribution instead of moving it.
    public var resampleProbability: Double = 0.25
    /// What explore multiplies a number by (one of them, each as likely).
    public var perturbationFactors: [Double] = [1.2, 0.8]
    /// The sweep's `random_seed`.
    public var seed: UInt64

    /// A rule; the defaults are Ray's.
    public init(populationSize: Int, perturbationInterval: Int, quantileFraction: Double = 0.25, resampleProbability: Double = 0.25,
                perturbationFactors: [Double] = [1.2, 0.8], seed: UInt64) {
        self.populationSize = populationSize
        self.perturbationInterval = perturbationInterval
        self.quantileFraction = quantileFraction
        self.resampleProbability = resampleProbability
        self.perturbationFactors = perturbationFactors
        self.seed = seed
    }

    /// Stretches in a member's run of `epochs` epochs: one per interval, the last one shorter if the
    /// interval does not divide the run.
    public func generations(of epochs: Int) -> Int { max(1, (epochs + perturbationInterval - 1) / max(perturbationInterval, 1)) }

    /// The epoch generation `generation`'s stretch of a run of `epochs` epochs ends at.
    public func end(of generation: Int, epochs: Int) -> Int { min(epochs, (generation + 1) * perturbationInterval) }

    /// What a member does after a boundary.
    public enum Decision: Hashable, Sendable {
        /// Go on from its own checkpoint with its own values.
        case keep
        /// Go on from `donor`'s checkpoint with `donor`'s values, explored.
        case exploit(donor: Int)
    }

    /// The members at the bottom and at the top of the population, by `values` (signed: smaller is
    /// better; nil, a member with no finite value, counts as the worst). Members are ordered from worst
    /// to best, ties by member number (the lower number counts as worse), and each end holds
    /// ⌈n × quantileFraction⌉ members, at most ⌊n / 2⌋ (Ray's rule).
    public func quantiles(_ values: [Double?]) -> (lower: [Int], upper: [Int]) {
        guard values.count > 1 else { return ([], []) }
        // A value that is not finite (a diverged member's NaN) is no value: it counts as the worst.
        let values = values.map { $0.flatMap { $0.isFinite ? $0 : nil } }
        let order = values.indices.sorted { a, b in
            // Worst first: a missing value, then larger values.
            switch (values[a], values[b]) {
            case (nil, nil): return a < b
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?): return x != y ? x > y : a < b
            }
        }
        var count = Int((Double(values.count) * quantileFraction).rounded(.up))
        count = min(count, values.count / 2)
        return (Array(order.prefix(count)), Array(order.suffix(count)))
    }

    /// The decision for `member` after boundary `generation` (1 for the first), given every member's
    /// value there.
    public func decision(for member: Int, generation: Int, values: [Double?]) -> Decision {
        let (lower, upper) = quantiles(values)
        return decision(for: member, generation: generation, lower: lower, upper: upper)
    }

    /// The decision for `member` after boundary `generation`, given the boundary's `quantiles` (worked
    /// out once for the whole population).
    public func decision(for member: Int, generation: Int, lower: [Int], upper: [Int]) -> Decision {
        guard lower.contains(member), !upper.isEmpty else { return .keep }
        var random = stream(member: member, generation: generation, purpose: 0)
        return .exploit(donor: upper[Int(random.next() % UInt64(upper.count))])
    }

    /// `point`'s values of `parameters` explored for `member` after boundary `generation`: each one
    /// drawn afresh with probability `resampleProbability`, else a listed value moved to a neighbour
    /// (one up or one down, as likely, kept at the ends) and a number multiplied by one of
    /// `perturbationFactors` and kept inside its distribution's range (whole numbers stay whole).
    /// Values of other parameters, and constants, are kept.
    public func explore(_ point: TrialPoint, parameters: [Parameter], member: Int, generation: Int) -> TrialPoint {
        var random = stream(member: member, generation: generation, purpose: 1)
        var values = point.values
        for parameter in parameters where parameter.mutates {
            guard let index = values.firstIndex(where: { $0.key == parameter.name }) else { continue }
            // Three draws a parameter whatever is decided, so one parameter's choice never shifts another's.
            let resample = Self.unit(random.next()), direction = random.next(), fresh = Self.unit(random.next())
            let old = values[index].value
            if resample < resampleProbability {
                values[index].value = parameter.value(atPercentile: fresh)
            } else {
                // No factors (a rule made in code; a sweep file needs one) leaves a number where it is.
                let factor = perturbationFactors.isEmpty ? 1 : perturbationFactors[Int(direction / 2 % UInt64(perturbationFactors.count))]
                values[index].value = parameter.moved(old, up: direction % 2 == 0, factor: factor, fresh: fresh)
            }
        }
        return TrialPoint(runner: point.runner, values: values)
    }

    /// The random stream of one decision: a function of the seed, the boundary and the member only.
    private func stream(member: Int, generation: Int, purpose: UInt64) -> SplitMix64 {
        SplitMix64(seed: seed, stream: 0x5042_5400 + purpose, index: UInt64(truncatingIfNeeded: generation) &* 1_000_003 &+ UInt64(truncatingIfNeeded: member))
    }

    /// 64 random bits as a number in (0, 1).
    static func unit(_ bits: UInt64) -> Double { (Double(bits >> 11) + 0.5) / Double(1 << 53) }
}

extension Parameter {
    /// Whether explore changes it: more than one value to move between.
    var mutates: Bool {
        switch domain {
        case .values(let choices, _): return choices.count > 1
        case .distribution: return true
        }
    }

    /// `value` moved by explore: a listed value to the next one `up` or down (kept at the ends; one
    /// not listed is drawn afresh at `fresh`); a number times `factor`, inside the distribution's
    /// range, whole if the parameter's values are.
    func moved(_ value: ParameterValue, up: Bool, factor: Double, fresh: Double) -> ParameterValue {
        switch domain {
        case .values(let choices, _):
            guard let index = listedIndex(of: value) else { return self.value(atPercentile: fresh) }
            return choices[min(max(index + (up ? 1 : -1), 0), choices.count - 1)].value
        case .distribution(let distribution):
            guard let x = number(of: value) else { return self.value(atPercentile: fresh) }
            let support = distribution.support
            var moved = x * factor
            // An end the distribution never reaches (a beta's 0 and 1) is kept out of, just inside it.
            let low = support.lowAttainable ? support.low : support.low.nextUp
            let high = support.highAttainable ? support.high : support.high.nextDown
            moved = min(max(moved, low), high)
            if wholeNumbers || distribution.givesWholeNumbers {
                // Whole numbers round, and a step that rounds back to the value moves by one instead.
                var whole = moved.rounded()
                if whole == x && factor != 1 { whole = x + (factor > 1 ? 1 : -1) }
                return .int(Int(min(max(whole, low.rounded(.up)), high.rounded(.down))))
            }
            // A q_ distribution's values stay on its steps.
            if let q = distribution.q { moved = min(max((moved / q).rounded() * q, low), high) }
            return .real(moved)
        }
    }
}

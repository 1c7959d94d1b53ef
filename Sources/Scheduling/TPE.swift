import Foundation
import Sweeping
import Training
import SweepCore

/// `method: bayes`: the Tree-structured Parzen Estimator (Bergstra et al., "Algorithms for
/// Hyper-Parameter Optimization", NeurIPS 2011), as Optuna's `TPESampler` runs it by default
/// (independent per parameter; 10 random start-up trials; 24 candidates; γ(n) = min(⌈n/10⌉, 25);
/// recent trials weighted fully, older ones on a ramp; a prior kernel of weight 1; Optuna's bandwidths
/// with its "magic clip"; pruned trials ranked after completed ones, deeper first).
///
/// Numbers are modelled in each parameter's percentile space: a value is the point u ∈ (0, 1) where
/// its distribution function puts it (a log-uniform's u is its logarithm, rescaled), so every W&B
/// distribution — uniform, log, inverse-log, normal, beta, quantised or not — is one bounded,
/// continuous axis, and the prior is the distribution itself. Listed values are categorical.
///
/// The built-in trainer's `seed` is not a hyperparameter but the run's luck: when a bayes sweep draws
/// it (`seed: {distribution: int_uniform, …}`, each trial its own initialisation, order and masks, as
/// every Optuna or W&B trial has), it is drawn from its prior for every proposal and never learnt, so
/// the model neither chases seeds that happened to do well nor counts them as evidence.
///
/// Deterministic: a proposal is a function of the history it is given and of its own random stream
/// (`random_seed` and the trial's position), never of timing.
public struct TPE: Sendable {
    /// One parameter as the model sees it.
    public enum Axis: Sendable {
        /// Listed values: a coordinate is the index of the value.
        case choices(Int, probabilities: [Double]?)
        /// A distribution: a coordinate is the value's percentile u ∈ (0, 1).
        case distribution(Distribution)
        /// A nuisance parameter (the trainer's `seed`): coordinates as the axis it wraps, but every
        /// proposal draws it from that axis's prior, whatever the history.
        indirect case nuisance(Axis)
    }

    /// One finished trial the model learns from.
    public struct Observation: Sendable, Equatable {
        /// Its coordinate on each axis (nil where its value is not one the axis knows).
        public var coordinates: [Double?]
        /// Its rank key, smaller is better: completed trials (`depth` = +∞) before stopped ones, deeper
        /// stops first, then by the metric (signed so that smaller is better; +∞ for a diverged trial).
        public var depth: Double
        /// The metric, signed so that smaller is better.
        public var loss: Double
        /// With several objectives, each one's value (signed, smaller is better; `loss` is the first).
        public var losses: [Double]?
        /// How far it is from meeting the sweep's constraints (0: feasible, or no constraints).
        public var violation: Double

        /// An observation.
        public init(coordinates: [Double?], depth: Double, loss: Double, losses: [Double]? = nil, violation: Double = 0) {
            self.coordinates = coordinates
            self.depth = depth
            self.loss = loss
            self.losses = losses
            self.violation = violation
        }
    }

    /// The sweep's parameters as axes.
    public let axes: [Axis]
    /// Random trials before the model is used (Optuna's `n_startup_trials`).
    public var startupTrials = 10
    /// Candidates drawn from the good-trials model per parameter (Optuna's `n_ei_candidates`).
    public var candidates = 24
    /// The weight of the prior kernel.
    public var priorWeight = 1.0

    /// A model over these axes.
    public init(axes: [Axis]) { self.axes = axes }

    /// The proposal after `history` (in sweep order): with fewer than `startupTrials` observations,
    /// nil (the caller draws at random); otherwise, on each axis, the coordinate maximising l(x)/g(x)
    /// among candidates drawn from l (a choice's index, or a percentile).
    ///
    /// `running` are the coordinates of trials proposed but not learnt from: Optuna's constant liar
    /// (`TPESampler(constant_liar=True)`, its default) counts them among the bad trials, so that two
    /// workers are not sent to the same spot, and leaves them out of γ's n.
    public func propose(after history: [Observation], running: [[Double?]] = [], random: inout SplitMix64) -> [Double]? {
        guard history.count >= startupTrials else { return nil }
        let n = history.count
        // Optuna's γ: ⌈n/10⌉, capped at 25 with one objective (`default_gamma`), not with several
        // (`default_gamma_multiobjective`).
        let tenth = Int((0.1 * Double(n)).rounded(.up))
        let below = history.first?.losses == nil ? min(tenth, 25) : tenth
        let good = TPE.good(history, count: below)
        let goodIndices = history.indices.filter { good.contains($0) }
        let badIndices = history.indices.filter { !good.contains($0) }
        var proposal: [Double] = []
        for (position, axis) in axes.enumerated() {
            switch axis {
            case .nuisance(.choices(let count, let probabilities)):
                proposal.append(Double(CategoricalEstimator(observations: [], choices: count, prior: probabilities,
                                                            priorWeight: 1).sample(&random)))
            case .nuisance:
                // A distribution's prior is uniform in percentile space.
                proposal.append(min(max(random.nextOpenUnit(), 1e-12), 1 - 1e-12))
            case .choices(let count, let probabilities):
                guard count > 1 else {
                    proposal.append(0)
                    continue
                }
                func index(_ observation: Int) -> Int? { choiceIndex(history[observation].coordinates[position], count) }
                let l = CategoricalEstimator(observations: goodIndices.compactMap(index), choices: count, prior: probabilities,
                                             priorWeight: priorWeight)
                let g = CategoricalEstimator(observations: badIndices.compactMap(index) + running.compactMap { choiceIndex($0[position], count) },
                                             choices: count, prior: probabilities, priorWeight: priorWeight)
                var best = (score: -Double.infinity, choice: 0)
                for _ in 0..<candidates {
                    let choice = l.sample(&random)
                    let score = l.logProbability(choice) - g.logProbability(choice)
                    if score > best.score { best = (score, choice) }
                }
                proposal.append(Double(best.choice))
            case .distribution:
                func u(_ observation: Int) -> Double? { history[observation].coordinates[position] }
                let l = ParzenEstimator(observations: goodIndices.compactMap(u), priorWeight: priorWeight)
                let g = ParzenEstimator(observations: badIndices.compactMap(u) + running.compactMap { $0[position] }, priorWeight: priorWeight)
                var best = (score: -Double.infinity, point: 0.5)
                for _ in 0..<candidates {
                    let point = l.sample(&random)
                    let score = l.logDensity(point) - g.logDensity(point)
                    if score > best.score { best = (score, point) }
                }
                // Back to a value through the distribution's quantile function, kept inside (0, 1).
                proposal.append(min(max(best.point, 1e-12), 1 - 1e-12))
            }
        }
        return proposal
    }
}

/// A choice's index from a coordinate, nil where it is not one of `count` choices.
private func choiceIndex(_ coordinate: Double?, _ count: Int) -> Int? {
    coordinate.flatMap { Int(exactly: $0) }.flatMap { (0..<count).contains($0) ? $0 : nil }
}

extension TPE {
    /// The `count` observations the good-trials model l(x) is fitted to, as Optuna's TPE splits them:
    /// feasible ones before any infeasible one (those by their violation, smallest first); among the
    /// feasible, completed ones before stopped ones, deeper stops first; within a group, by the loss
    /// with one objective, and with several by non-domination rank, the last rank that does not fit
    /// whole cut by greedy hypervolume subset selection (Ozaki et al. 2022; Optuna's `_solve_hssp`).
    /// Ties keep chronological order.
    static func good(_ history: [Observation], count: Int) -> Set<Int> {
        var chosen: [Int] = []
        let feasible = history.indices.filter { history[$0].violation == 0 }
        // Feasible groups by depth, completed (+∞) first, deeper stops next.
        let depths = Set(feasible.map { history[$0].depth }).sorted(by: >)
        for depth in depths where chosen.count < count {
            let group = feasible.filter { history[$0].depth == depth }
            chosen += TPE.best(of: group, in: history, count: count - chosen.count)
        }
        if chosen.count < count {
            let infeasible = history.indices.filter { history[$0].violation != 0 }
                .sorted { history[$0].violation != history[$1].violation ? history[$0].violation < history[$1].violation : $0 < $1 }
            chosen += infeasible.prefix(count - chosen.count)
        }
        return Set(chosen)
    }

    /// The best `count` of `group` (indices into `history`): by loss, or with several objectives by
    /// non-domination rank and then hypervolume subset selection within the rank that does not fit.
    private static func best(of group: [Int], in history: [Observation], count: Int) -> [Int] {
        guard group.count > count else { return group }
        guard history[group[0]].losses != nil else {
            return Array(group.sorted { history[$0].loss != history[$1].loss ? history[$0].loss < history[$1].loss : $0 < $1 }.prefix(count))
        }
        // Every observation of a multi-objective sweep has its vector (`BayesSearcher` sees to it); a
        // stray one without is read as its loss alone rather than trapped on.
        return Pareto.best(group.map { history[$0].losses ?? [history[$0].loss] }, count: count).map { group[$0] }
    }

    /// A model over `parameters`; `nuisance` says which to draw from the prior.
    public init(parameters: [Parameter], nuisance: (Parameter) -> Bool = { _ in false }) {
        self.init(axes: parameters.map { parameter in
            let axis: Axis = switch parameter.domain {
            case .values(let choices, let probabilities): .choices(choices.count, probabilities: probabilities)
            case .distribution(let distribution): .distribution(distribution)
            }
            return nuisance(parameter) ? .nuisance(axis) : axis
        })
    }

    /// A trial's coordinates: the index of a listed value, or a number's percentile.
    public static func coordinates(of values: [ParameterValue?], parameters: [Parameter]) -> [Double?] {
        zip(parameters, values).map { parameter, value in
            guard let value else { return nil }
            switch parameter.domain {
            case .values: return parameter.listedIndex(of: value).map(Double.init)
            case .distribution(let distribution): return parameter.number(of: value).map { distribution.percentile(of: $0) }
            }
        }
    }

    /// The values at `coordinates` (from `propose`), one per parameter.
    public static func values(at coordinates: [Double], parameters: [Parameter]) -> [ParameterValue] {
        zip(parameters, coordinates).map { parameter, coordinate in
            switch parameter.domain {
            case .values: return parameter.gridValue(at: Int(coordinate))
            case .distribution: return parameter.value(atPercentile: coordinate)
            }
        }
    }
}

/// Optuna's observation weights: all 1 below 25; above, the oldest on a ramp from 1/n up, the newest 25 at 1.
func tpeWeights(_ count: Int) -> [Double] {
    guard count >= 25 else { return Array(repeating: 1, count: count) }
    let ramp = count - 25
    let steps: [Double] = ramp == 1 ? [1.0 / Double(count)]
        : (0..<ramp).map { 1.0 / Double(count) + (1 - 1.0 / Double(count)) * Double($0) / Double(ramp - 1) }
    return steps + Array(repeating: 1, count: 25)
}

/// A mixture of truncated normals on [0, 1], one per observation and one wide prior kernel, with
/// Optuna's univariate bandwidths: each kernel as wide as the larger gap to its neighbours (the prior
/// mean and the ends counted), clipped to [1/min(100, n + 2), 1].
struct ParzenEstimator {
    var means: [Double] = []
    var sigmas: [Double] = []
    var weights: [Double] = []
    /// log(weight) − log(σ·√(2π)·mass on [0, 1]) of each kernel: the density's constant part.
    private var logScales: [Double] = []

    init(observations: [Double], priorWeight: Double) {
        let observed = observations.map { min(max($0, 0), 1) }
        var sigmas: [Double] = []
        if !observed.isEmpty {
            let withPrior = observed + [0.5]
            let order = withPrior.indices.sorted { withPrior[$0] < withPrior[$1] }
            let sorted: [Double] = [0.0] + order.map { withPrior[$0] } + [1.0]
            var sortedSigmas: [Double] = []
            for index in 1..<(sorted.count - 1) {
                let left: Double = sorted[index] - sorted[index - 1]
                let right: Double = sorted[index + 1] - sorted[index]
                sortedSigmas.append(max(left, right))
            }
            // Optuna's consider_endpoints = False: the outermost kernels look inwards only.
            if sorted.count >= 4 {
                sortedSigmas[0] = sorted[2] - sorted[1]
                sortedSigmas[sortedSigmas.count - 1] = sorted[sorted.count - 2] - sorted[sorted.count - 3]
            }
            var byPosition = [Double](repeating: 0, count: withPrior.count)
            for (rank, index) in order.enumerated() { byPosition[index] = sortedSigmas[rank] }
            let minimum = 1 / min(100, Double(observed.count + 2))
            sigmas = byPosition.prefix(observed.count).map { min(max($0, minimum), 1) }
        }
        means = observed + [0.5]
        self.sigmas = sigmas + [1]
        let raw = tpeWeights(observed.count) + [priorWeight]
        let total = raw.reduce(0, +)
        weights = raw.map { $0 / total }
        let root = (2 * Double.pi).squareRoot()
        logScales = weights.indices.map { index in
            let (mu, sigma) = (means[index], self.sigmas[index])
            let mass = Probability.normalCDF((1 - mu) / sigma) - Probability.normalCDF((0 - mu) / sigma)
            return log(weights[index]) - log(sigma * root * max(mass, 1e-300))
        }
    }

    /// One draw: a kernel by weight, then a point from its normal truncated to [0, 1] (by inversion).
    func sample(_ random: inout SplitMix64) -> Double {
        var pick = random.nextOpenUnit()
        var kernel = weights.count - 1
        for (index, weight) in weights.enumerated() {
            if pick < weight { kernel = index; break }
            pick -= weight
        }
        let (mu, sigma) = (means[kernel], sigmas[kernel])
        let low = Probability.normalCDF((0 - mu) / sigma), high = Probability.normalCDF((1 - mu) / sigma)
        let p = low + random.nextOpenUnit() * (high - low)
        return min(max(mu + sigma * Probability.normalQuantile(p), 0), 1)
    }

    /// The log density at `x`.
    func logDensity(_ x: Double) -> Double {
        // Two passes over the kernels rather than an array of terms: no allocation per candidate.
        func term(_ index: Int) -> Double {
            let z = (x - means[index]) / sigmas[index]
            return logScales[index] - 0.5 * z * z
        }
        var top = -Double.infinity
        for index in weights.indices { top = max(top, term(index)) }
        var sum = 0.0
        for index in weights.indices {
            // exp is exactly 0 below −746 (checked for glibc's exp over [−2000, −746]): adding it would
            // change nothing, and narrow kernels far from x make most terms that small.
            let scaled = term(index) - top
            if scaled >= -746 { sum += exp(scaled) }
        }
        return top + log(sum)
    }
}

/// Optuna's categorical estimator: each observed kernel puts 1 on its choice plus the prior's share on
/// every choice; the prior kernel is the prior alone (uniform, or the sweep file's probabilities).
struct CategoricalEstimator {
    var probabilities: [Double]

    init(observations: [Int], choices: Int, prior: [Double]?, priorWeight: Double) {
        let base = prior ?? Array(repeating: 1 / Double(choices), count: choices)
        let kernels = Double(observations.count + 1)
        let weights = tpeWeights(observations.count)
        var total = [Double](repeating: 0, count: choices)
        // Each observed kernel's row (one-hot plus prior share, normalised), times its weight.
        for (position, choice) in observations.enumerated() {
            var row = base.map { priorWeight * $0 / kernels }
            row[choice] += 1
            let sum = row.reduce(0, +)
            for index in 0..<choices { total[index] += weights[position] * row[index] / sum }
        }
        for index in 0..<choices { total[index] += priorWeight * base[index] }
        let sum = total.reduce(0, +)
        probabilities = total.map { $0 / sum }
    }

    func sample(_ random: inout SplitMix64) -> Int {
        var pick = random.nextOpenUnit()
        for (index, p) in probabilities.enumerated() {
            if pick < p { return index }
            pick -= p
        }
        return probabilities.count - 1
    }

    func logProbability(_ choice: Int) -> Double { log(max(probabilities[choice], 1e-300)) }
}

extension TPE {
    /// A model over `spec`'s parameters, drawing from the prior the ones its runner says are noise
    /// (`RunnerKind.isNuisance`: the built-in trainer's seed).
    public init(spec: SweepSpec) { self.init(parameters: spec.parameters) { spec.runner.isNuisance($0.name) } }

    /// A trial's coordinates among `spec`'s parameters.
    func coordinates(of point: TrialPoint, in spec: SweepSpec) -> [Double?] {
        TPE.coordinates(of: spec.parameters.map { point[$0.name] }, parameters: spec.parameters)
    }

    /// The point at `coordinates` (from `propose`) of `spec`'s parameters.
    func point(at coordinates: [Double], in spec: SweepSpec) -> TrialPoint {
        spec.space.point(TPE.values(at: coordinates, parameters: spec.parameters))
    }
}

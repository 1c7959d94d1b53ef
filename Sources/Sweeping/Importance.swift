import Foundation
import SweepCore

/// How much each parameter matters for reaching a sweep's best trials: PED-ANOVA (Watanabe, Bansal and
/// Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter Importance in Arbitrary Subspaces", IJCAI
/// 2023), as Optuna 5.1's `PedAnovaImportanceEvaluator` computes it with its defaults: the top 10 % of
/// the completed trials against all of them (γ' = 0.1, γ = 1), each parameter's values counted on a
/// 50-step grid (a listed parameter's on its choices), Parzen estimators with Scott's bandwidth and a
/// prior of weight 1, and the Pearson divergence of the top's density from all trials', normalised
/// to sum to 1.
///
/// Why PED-ANOVA rather than fANOVA: it needs no random forest, so it is a closed form of the trials
/// (the same numbers for a results folder, whatever ran it) and linear in the trials and parameters.
///
/// Each parameter also gets a noise level: its importance with its values shuffled among the trials
/// (32 shuffles of a fixed stream), mean + 2 sd. A parameter at or under it is within noise: what the
/// top trials hold of it is what chance alone gives with this many trials.
public struct Importance: Sendable, Equatable {
    /// One parameter's figures.
    public struct Entry: Sendable, Equatable {
        /// The parameter's name.
        public var name: String
        /// Its share of the importance (the shares sum to 1; all 0 when nothing matters).
        public var importance: Double
        /// Its noise level, in the same units: the share a shuffled copy of it gets (mean + 2 sd).
        public var noise: Double
        /// Whether its importance is at or under its noise level.
        public var withinNoise: Bool { importance <= noise }
    }

    /// One parameter as PED-ANOVA reads it.
    public enum Axis: Sendable, Equatable {
        /// Listed values: a coordinate is the choice's index.
        case choices(Int)
        /// A distribution: a coordinate is the value's percentile u ∈ [0, 1].
        case percentile
    }

    /// The parameters, most important first (ties in the order given).
    public var entries: [Entry]
    /// The trials it read (completed, with every objective finite).
    public var trials: Int
    /// How many of them are the top.
    public var top: Int

    /// Grid steps of a distribution's axis (Optuna's `n_steps`).
    static let steps = 50
    /// Shuffles for a noise level.
    static let shuffles = 32
    /// The stream the shuffles draw from ("1A2E").
    static let stream: UInt64 = 0x1A2E

    /// The importance of `axes` (named `names`) for `coordinates` (one row per trial, a coordinate per
    /// axis, nil where the trial has none) scored by `values` (one vector per trial, each signed so
    /// that smaller is better: one objective is sorted, several are split as multi-objective TPE splits).
    public init(names: [String], axes: [Axis], coordinates: [[Double?]], values: [[Double]]) {
        precondition(names.count == axes.count && coordinates.count == values.count)
        trials = values.count
        let topCount = Int((0.1 * Double(values.count)).rounded(.up))
        let topTrials = Importance.topTrials(values, count: topCount)
        top = topTrials.count
        let isTop = Set(topTrials)
        var random = SplitMix64(seed: 0, stream: Importance.stream, index: 0)
        var raw: [Double] = [], noise: [Double] = []
        for (position, axis) in axes.enumerated() {
            // The trials that have this parameter (Optuna's active regime).
            let rows = coordinates.indices.filter { coordinates[$0][position] != nil }
            let cells = rows.map { Importance.cell(coordinates[$0][position]!, axis) }
            let inTop = rows.map { isTop.contains($0) }
            raw.append(Importance.divergence(cells: cells, inTop: inTop, axis: axis, allTop: isTop.count, allTrials: values.count))
            var nulls: [Double] = []
            var shuffled = cells
            for _ in 0..<Importance.shuffles {
                // Fisher–Yates with our own draws: the same shuffle whatever the standard library's does.
                for index in stride(from: shuffled.count - 1, to: 0, by: -1) {
                    shuffled.swapAt(index, Int(random.next() % UInt64(index + 1)))
                }
                nulls.append(Importance.divergence(cells: shuffled, inTop: inTop, axis: axis, allTop: isTop.count, allTrials: values.count))
            }
            let mean = nulls.reduce(0, +) / Double(nulls.count)
            let sd = (nulls.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(nulls.count - 1, 1))).squareRoot()
            noise.append(mean + 2 * sd)
        }
        let total = raw.reduce(0, +)
        let scale = total > 0 ? 1 / total : 0
        entries = names.indices.map { Entry(name: names[$0], importance: raw[$0] * scale, noise: noise[$0] * scale) }
            .enumerated().sorted { $0.element.importance != $1.element.importance ? $0.element.importance > $1.element.importance : $0.offset < $1.offset }
            .map(\.element)
    }

    /// The top `count` trials: with one objective, every trial at or under the `count`-th smallest value
    /// (Optuna's quantile filter keeps ties); with several, `Pareto.best`.
    static func topTrials(_ values: [[Double]], count: Int) -> [Int] {
        guard count > 0 else { return [] }
        guard values.first?.count == 1 else { return Pareto.best(values, count: count) }
        let cutoff = values.map { $0[0] }.sorted()[count - 1]
        return values.indices.filter { values[$0][0] <= cutoff }
    }

    /// A coordinate's cell: a choice's index, or the nearest of the grid's 50 steps over [0, 1] (a
    /// midpoint goes to the lower step, as Optuna's does).
    static func cell(_ coordinate: Double, _ axis: Axis) -> Int {
        switch axis {
        case .choices(let count): return min(max(Int(coordinate), 0), count - 1)
        case .percentile:
            let step = (coordinate * Double(steps - 1) - 0.5).rounded(.up)
            return min(max(Int(step.isFinite ? step : 0), 0), steps - 1)
        }
    }

    /// PED-ANOVA's term for one parameter: (|top here| / |top|)² / (|here| / |all|) × the Pearson
    /// divergence of the top's density from all's, times (|top| / |all|)².
    static func divergence(cells: [Int], inTop: [Bool], axis: Axis, allTop: Int, allTrials: Int) -> Double {
        let size: Int
        switch axis {
        case .choices(let count): size = count
        case .percentile: size = steps
        }
        guard size > 1, allTop > 0, allTrials > 0 else { return 0 }
        var all = [Double](repeating: 0, count: size), top = all
        for (cell, isTop) in zip(cells, inTop) {
            all[cell] += 1
            if isTop { top[cell] += 1 }
        }
        let topCount = top.reduce(0, +), allCount = all.reduce(0, +)
        guard topCount > 0, allCount >= 2 else { return 0 }  // Optuna's regimes need 2 trials
        let pdfTop = density(counts: top, axis: axis), pdfAll = density(counts: all, axis: axis)
        var pearson = 0.0
        for cell in 0..<size {
            let p = pdfTop[cell] + 1e-12, q = pdfAll[cell] + 1e-12
            pearson += q * (p / q - 1) * (p / q - 1)
        }
        let alpha = topCount / Double(allTop), beta = allCount / Double(allTrials)
        let quantile = Double(allTop) / Double(allTrials)
        return alpha * alpha / beta * pearson * quantile * quantile
    }

    /// Optuna's `ScottParzenEstimator` on the grid: a kernel per occupied cell weighted by its count and
    /// a prior kernel of weight 1; numbers as discretised truncated normals of Scott's bandwidth (at
    /// least 0.5 / 1.64 cells), the prior centred and 51 cells wide; choices as Optuna's categorical kernels.
    static func density(counts: [Double], axis: Axis) -> [Double] {
        let size = counts.count
        let occupied = counts.indices.filter { counts[$0] > 0 }
        let weights = occupied.map { counts[$0] }
        let total = weights.reduce(0, +) + 1  // the prior's weight, 1
        var pdf = [Double](repeating: 0, count: size)
        switch axis {
        case .choices:
            let kernels = Double(occupied.count + 1)
            for (cell, weight) in zip(occupied, weights) {
                // The kernel's row: 1/kernels everywhere (the prior's share), +1 on its choice, normalised.
                let rowSum = Double(size) / kernels + 1
                for index in 0..<size { pdf[index] += weight / total * ((1 / kernels + (index == cell ? 1 : 0)) / rowSum) }
            }
            for index in 0..<size { pdf[index] += 1 / total / Double(size) }
        case .percentile:
            let observations = occupied.map(Double.init)
            let weightSum = weights.reduce(0, +)
            let mean = zip(observations, weights).map { $0 * $1 }.reduce(0, +) / weightSum
            let variance = zip(observations, weights).map { ($0 - mean) * ($0 - mean) * $1 }.reduce(0, +) / max(1, weightSum - 1)
            // numpy's searchsorted on the cumulative weights: the first at or over ⌊W/4⌋ (left), the
            // first over ⌊3W/4⌋ (right).
            var cumulative: [Double] = []
            for weight in weights { cumulative.append((cumulative.last ?? 0) + weight) }
            let q1 = cumulative.firstIndex { $0 >= (weightSum / 4).rounded(.down) } ?? (cumulative.count - 1)
            let q3 = cumulative.firstIndex { $0 > (weightSum * 3 / 4).rounded(.down) } ?? cumulative.count
            let iqr = observations[min(observations.count - 1, q3)] - observations[q1]
            let scott = 1.059 * min(iqr / 1.34, variance.squareRoot()) * pow(weightSum, -0.2)
            let sigma = max(scott, 0.5 / 1.64)
            let high = Double(size - 1)
            for (mu, weight) in zip(observations, weights) {
                add(to: &pdf, mu: mu, sigma: sigma, weight: weight / total, high: high)
            }
            add(to: &pdf, mu: high / 2, sigma: high + 1, weight: 1 / total, high: high)
        }
        return pdf
    }

    /// Adds `weight` times a normal(mu, sigma) discretised on the cells 0…high (each cell's mass over
    /// [k − ½, k + ½], truncated to [−½, high + ½]).
    private static func add(to pdf: inout [Double], mu: Double, sigma: Double, weight: Double, high: Double) {
        func cdf(_ x: Double) -> Double { Probability.normalCDF((x - mu) / sigma) }
        let accepted = cdf(high + 0.5) - cdf(-0.5)
        guard accepted > 0 else { return }
        var below = cdf(-0.5)
        for index in pdf.indices {
            let above = cdf(Double(index) + 0.5)
            pdf[index] += weight * (above - below) / accepted
            below = above
        }
    }
}

extension Importance {
    /// The importance of `spec`'s parameters that vary (a listed parameter with several values, or a
    /// distribution) for `records`: the completed, feasible ones with every objective finite, scored by
    /// `objectives` (the sweep's own by default).
    public init(spec: SweepSpec, records: [TrialRecord], objectives: Objectives? = nil) {
        let objectives = objectives ?? spec.objectives
        let parameters = spec.parameters.filter { parameter in
            switch parameter.domain {
            case .values(let choices, _): choices.count > 1
            case .distribution: true
            }
        }
        var coordinates: [[Double?]] = [], values: [[Double]] = []
        for record in records where record.status == .completed && record.feasible != false {
            let signed = objectives.signed(record)
            guard signed.allSatisfy(\.isFinite) else { continue }
            values.append(signed)
            coordinates.append(parameters.map { parameter in
                guard let value = record.point[parameter.name] else { return nil }
                switch parameter.domain {
                case .values: return parameter.listedIndex(of: value).map(Double.init)
                case .distribution(let distribution): return parameter.number(of: value).map { distribution.percentile(of: $0) }
                }
            })
        }
        let axes: [Axis] = parameters.map { parameter in
            if case .values(let choices, _) = parameter.domain { return .choices(choices.count) }
            return .percentile
        }
        self.init(names: parameters.map(\.name), axes: axes, coordinates: coordinates, values: values)
    }
}

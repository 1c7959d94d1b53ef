import Foundation
import Testing
import SweepCore
@testable import Sweeping

/// PED-ANOVA against Optuna's `PedAnovaImportanceEvaluator`, and its noise levels.
@Suite("Parameter importance")
struct ImportanceTests {
    static func frac(_ v: Double) -> Double { v - v.rounded(.down) }

    /// A sweep both sides compute exactly: x uniform on [0, 1], y log-uniform on [1e-3, 1] (percentile
    /// u), c one of 3; the score depends on x most, on y less, on c a little.
    static func rows(_ n: Int) -> (coordinates: [[Double?]], values: [[Double]]) {
        var coordinates: [[Double?]] = [], values: [[Double]] = []
        for i in 0..<n {
            let x = frac(Double(i) * 0.6180339887498949), u = frac(Double(i) * 0.7548776662466927), c = i % 3
            let y = pow(10, -3 + 3 * u)
            let score = (x - 0.3) * (x - 0.3) + 0.3 * (u - 0.5) * (u - 0.5) + 0.1 * frac(Double(i) * 0.5698402909980532) + (c == 1 ? 0.05 : 0)
            // y's percentile as the sweep computes it, from the value.
            coordinates.append([x, (log(y) - log(1e-3)) / (log(1.0) - log(1e-3)), Double(c)])
            values.append([score])
        }
        return (coordinates, values)
    }

    @Test(arguments: [
        // Optuna 5.1: get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()) on the same
        // trials (the script is in the test's comment below).
        (200, [0.6390044544612837, 0.29024051218954805, 0.07075503334916819]),
        (37, [0.727815150235687, 0.23744623278080126, 0.03473861698351182]),
    ])
    func matchesOptunasPedAnova(trials: Int, optuna: [Double]) {
        // import math, optuna; from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances
        // dists = {"x": FloatDistribution(0, 1), "y": FloatDistribution(1e-3, 1, log=True), "c": CategoricalDistribution([0, 1, 2])}
        // study.add_trial(create_trial(params={"x": x, "y": y, "c": c}, distributions=dists, value=score)) for each row
        let (coordinates, values) = Self.rows(trials)
        let importance = Importance(names: ["x", "y", "c"], axes: [.percentile, .percentile, .choices(3)],
                                    coordinates: coordinates, values: values)
        #expect(importance.entries.map(\.name) == ["x", "y", "c"])
        #expect(importance.trials == trials && importance.top == Int((Double(trials) / 10).rounded(.up)))
        for (entry, expected) in zip(importance.entries, optuna) {
            #expect(abs(entry.importance - expected) < 1e-9, "\(entry.name): \(entry.importance) against Optuna's \(expected)")
        }
    }

    @Test func aParameterTheScoreIgnoresIsWithinNoiseAndOneItFollowsIsNot() {
        // Seed printed for the record: the draws are SplitMix64(seed 7).
        var random = SplitMix64(seed: 7, stream: 1, index: 0)
        var coordinates: [[Double?]] = [], values: [[Double]] = []
        for _ in 0..<400 {
            let x = random.nextOpenUnit(), y = random.nextOpenUnit(), z = random.nextOpenUnit()
            let noise = random.nextOpenUnit() - 0.5
            coordinates.append([x, y, z])
            values.append([4 * (x - 0.2) * (x - 0.2) + 0.4 * (y - 0.5) * (y - 0.5) + 0.05 * noise])
        }
        let importance = Importance(names: ["x", "y", "z"], axes: [.percentile, .percentile, .percentile],
                                    coordinates: coordinates, values: values)
        print("importance (seed 7):", importance.entries.map { "\($0.name) \($0.importance) noise \($0.noise)" })
        #expect(importance.entries.map(\.name) == ["x", "y", "z"])
        let z = importance.entries[2]
        #expect(z.withinNoise, "z: \(z.importance) against its noise level \(z.noise)")
        #expect(!importance.entries[0].withinNoise && !importance.entries[1].withinNoise)
        // The check can fail: a z the score does follow is no longer within noise.
        let followed = Importance(names: ["x", "y", "z"], axes: [.percentile, .percentile, .percentile], coordinates: coordinates,
                                  values: zip(values, coordinates).map { [$0[0] + 2 * ($1[2]! - 0.9) * ($1[2]! - 0.9)] })
        #expect(followed.entries.first { $0.name == "z" }.map { !$0.withinNoise } == true)
    }

    @Test func severalObjectivesTakeTheTopAsMultiObjectiveTPESplits() {
        // Two objectives that trade off along x, and a parameter w that decides which trials are on the front.
        var coordinates: [[Double?]] = [], values: [[Double]] = []
        for i in 0..<300 {
            let x = Self.frac(Double(i) * 0.6180339887498949), w = Self.frac(Double(i) * 0.7548776662466927)
            let penalty = w < 0.2 ? 0.0 : w
            coordinates.append([x, w])
            values.append([x + penalty, 1 - x + penalty])
        }
        let importance = Importance(names: ["x", "w"], axes: [.percentile, .percentile], coordinates: coordinates, values: values)
        #expect(importance.top == 30)
        #expect(importance.entries.first?.name == "w", "being on the front is w's doing: \(importance.entries)")
    }

    @Test func theSameNumbersEveryTimeAndNothingWithoutTrials() {
        let (coordinates, values) = Self.rows(120)
        let axes: [Importance.Axis] = [.percentile, .percentile, .choices(3)]
        #expect(Importance(names: ["x", "y", "c"], axes: axes, coordinates: coordinates, values: values)
                == Importance(names: ["x", "y", "c"], axes: axes, coordinates: coordinates, values: values))
        let empty = Importance(names: ["x"], axes: [.percentile], coordinates: [], values: [])
        #expect(empty.entries.map(\.importance) == [0] && empty.top == 0)
    }
}

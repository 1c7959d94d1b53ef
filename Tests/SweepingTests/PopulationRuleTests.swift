import Foundation
import Testing
@testable import Sweeping
import SweepCore

/// Population-based training's exploit and explore against cases worked out by hand.
@Suite("PBT rule")
struct PopulationRuleTests {
    static let rule = PopulationRule(populationSize: 8, perturbationInterval: 5, seed: 7)

    static func spec() throws -> SweepSpec {
        try SweepSpec(yaml: """
            name: pbt
            method: random
            run_cap: 8
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              dropout: {values: [0.0, 0.1, 0.2]}
              batch_size: {distribution: int_uniform, min: 16, max: 256}
              epochs: {value: 20}
            """, file: "pbt.yaml")
    }

    static func parameter(_ name: String) throws -> Parameter {
        try #require(try spec().parameters.first { $0.name == name })
    }

    @Test func theQuantilesRankWorstFirstWithTiesByMemberAndMissingValuesWorst() {
        // Worst to best: 2 (none), 4 (0.9), 6 (0.7), 0 (0.5), 1 and 3 (0.3, the lower number worse), 7 (0.2), 5 (0.1).
        let (lower, upper) = Self.rule.quantiles([0.5, 0.3, nil, 0.3, 0.9, 0.1, 0.7, 0.2])
        #expect(lower == [2, 4] && upper == [7, 5])
        // All tied: ⌈4 × 0.25⌉ = 1 at each end, by member number.
        #expect(Self.rule.quantiles([0.3, 0.3, 0.3, 0.3]) == ([0], [3]))
        // ⌈5 × 0.5⌉ = 3 is more than half of 5: ⌊5 / 2⌋ = 2 (Ray's rule).
        var half = Self.rule
        half.quantileFraction = 0.5
        #expect(half.quantiles([1, 2, 3, 4, 5]) == ([4, 3], [1, 0]))
        // One member, or none at the ends: no one exploits.
        #expect(Self.rule.quantiles([0.4]) == ([], []))
        half.quantileFraction = 0
        #expect(half.quantiles([1, 2, 3, 4]) == ([], []))
    }

    @Test func theLowerQuantileCopiesAnUpperMemberTheSameWayEveryTime() {
        let values: [Double?] = [0.5, 0.3, nil, 0.3, 0.9, 0.1, 0.7, 0.2]
        for member in 0..<8 {
            let decision = Self.rule.decision(for: member, generation: 3, values: values)
            if [2, 4].contains(member) {
                guard case .exploit(let donor) = decision else { Issue.record("member \(member) should exploit"); continue }
                #expect([7, 5].contains(donor))
            } else {
                #expect(decision == .keep, "member \(member)")
            }
            #expect(decision == Self.rule.decision(for: member, generation: 3, values: values), "the same inputs, the same decision")
        }
        // Across boundaries and seeds the donors differ (the draw is not stuck on one).
        let donors = Set((1...40).map { Self.rule.decision(for: 2, generation: $0, values: values) })
        #expect(donors == [.exploit(donor: 7), .exploit(donor: 5)])
    }

    @Test func aListedValueMovesToANeighbourAndStaysAtTheEnds() throws {
        let dropout = try Self.parameter("dropout")
        #expect(dropout.moved(.real(0.1), up: true, factor: 1.2, fresh: 0.5) == .real(0.2))
        #expect(dropout.moved(.real(0.1), up: false, factor: 1.2, fresh: 0.5) == .real(0.0))
        #expect(dropout.moved(.real(0.0), up: false, factor: 1.2, fresh: 0.5) == .real(0.0))
        #expect(dropout.moved(.real(0.2), up: true, factor: 1.2, fresh: 0.5) == .real(0.2))
        // Not one of the listed values: drawn afresh (percentile 0.9: the last of three).
        #expect(dropout.moved(.real(0.15), up: true, factor: 1.2, fresh: 0.9) == .real(0.2))
    }

    @Test func aNumberIsScaledAndClippedToItsRange() throws {
        let momentum = try Self.parameter("momentum"), rate = try Self.parameter("learning_rate")
        #expect(momentum.moved(.real(0.5), up: true, factor: 0.8, fresh: 0.5) == .real(0.4))
        #expect(momentum.moved(.real(0.9), up: true, factor: 1.2, fresh: 0.5) == .real(0.95), "1.08 is past the top, 0.95")
        // 0.0008 is under the bottom: the least value the distribution gives (exp(log 0.001), a hair above 0.001).
        guard case .distribution(let distribution) = rate.domain else { Issue.record("a distribution"); return }
        #expect(rate.moved(.real(0.001), up: true, factor: 0.8, fresh: 0.5) == .real(distribution.support.low))
        #expect(abs(distribution.support.low - 0.001) < 1e-15)
        guard case .real(let scaled) = rate.moved(.real(0.01), up: true, factor: 1.2, fresh: 0.5) else { Issue.record("not real"); return }
        #expect(abs(scaled - 0.012) < 1e-15)
        // Whole numbers stay whole; a step that would round back moves by one.
        let batch = try Self.parameter("batch_size")
        #expect(batch.moved(.int(100), up: true, factor: 1.2, fresh: 0.5) == .int(120))
        #expect(batch.moved(.int(16), up: true, factor: 0.8, fresh: 0.5) == .int(16))
        #expect(batch.moved(.int(250), up: true, factor: 1.2, fresh: 0.5) == .int(256))
        let small = try SweepSpec(yaml: "name: s\nmethod: random\nrun_cap: 1\nparameters:\n  epochs: {distribution: int_uniform, min: 1, max: 9}\n",
                                  file: "s.yaml").parameters[0]
        #expect(small.moved(.int(2), up: true, factor: 1.2, fresh: 0.5) == .int(3), "2.4 rounds back to 2: one up")
        #expect(small.moved(.int(2), up: true, factor: 0.8, fresh: 0.5) == .int(1))
    }

    @Test func exploreMovesEveryValueOrDrawsItAfreshAndKeepsConstants() throws {
        let spec = try Self.spec()
        let point = spec.point(at: 0)
        var moving = Self.rule
        moving.resampleProbability = 0
        let moved = moving.explore(point, parameters: spec.parameters, member: 3, generation: 2)
        #expect(moved["epochs"] == point["epochs"], "a constant is kept")
        let x = try #require(spec.parameters.first { $0.name == "learning_rate" }?.number(of: point["learning_rate"]!))
        let y = try #require(spec.parameters.first { $0.name == "learning_rate" }?.number(of: moved["learning_rate"]!))
        #expect([x * 1.2, x * 0.8].contains { abs($0 - y) < 1e-12 * x } || y == 0.001 || y == 0.5, "\(x) → \(y)")
        var drawing = Self.rule
        drawing.resampleProbability = 1
        let drawn = drawing.explore(point, parameters: spec.parameters, member: 3, generation: 2)
        for parameter in spec.parameters { #expect(parameter.admits(drawn[parameter.name]!), "\(parameter.name)") }
        // A function of seed, boundary and member alone.
        #expect(moving.explore(point, parameters: spec.parameters, member: 3, generation: 2) == moved)
        let others = Set((0..<8).map { moving.explore(point, parameters: spec.parameters, member: $0, generation: 2) })
        #expect(others.count > 1, "members explore differently")
    }

    @Test func valuesThatAreNotNumbersCountAsMissingAndOddRulesDoNotTrap() throws {
        // NaN and ∞ are no values: the worst, as a missing one, never a broken sort.
        #expect(Self.rule.quantiles([0.5, .nan, 0.3, .infinity]) == ([1], [2]))
        let (lower, upper) = Self.rule.quantiles([0.5, .nan, 0.3, -.infinity, 0.2, 0.1, 0.4, 0.6])
        #expect(lower == [1, 3] && upper == [4, 5])
        // No factors (a rule made in code) leaves a number where it is unless it is resampled; odd
        // members and generations are just other streams.
        var none = Self.rule
        none.perturbationFactors = []
        none.resampleProbability = 0
        let spec = try Self.spec()
        let point = spec.point(at: 0)
        #expect(none.explore(point, parameters: spec.parameters, member: -1, generation: -3)["learning_rate"] == point["learning_rate"])
        _ = Self.rule.decision(for: -1, generation: -1, values: [0.1, 0.2])
    }
}

@testable import Scheduling
import Sweeping
import Testing
import Training
import SweepFiles

/// The sweep's end alone: a frontier over settled positions, the epoch budget and the target.
@Suite("Parts: the sweep's end")
struct SweepEndTests {
    @Test func aCompletedTrialThatReachesTheTargetEndsTheSweepAfterIt() {
        let spec = SweepSpec.test("metric: {name: test_loss, goal: minimize, target: 0.3}\n" + "parameters:\n  learning_rate: {values: [0.01, 0.02, 0.03, 0.04]}\n  epochs: {value: 2}\n")
        var end = SweepEnd(count: spec.count, metric: spec.metric, budget: nil)
        #expect(end.limit == 4 && !end.isReached && end.outcome == .finished)
        #expect(end.pass(Parts.record(spec, 0, losses: [0.5, 0.4])) == nil)
        #expect(end.pass(nil) == nil, "a repeated configuration is passed")
        // Stopped below the target is not reaching it: only a completed trial does.
        #expect(end.pass(Parts.record(spec, 2, losses: [0.2], status: .stopped)) == nil)
        #expect(end.frontier == 3 && end.epochsSpent == 3)
        #expect(end.pass(Parts.record(spec, 3, losses: [0.5, 0.29])) == SweepEnd.Ending(number: 4, reason: .targetReached))
        #expect(end.outcome == .targetReached && end.cutoff == 4 && end.isReached)
    }

    @Test func theEpochBudgetEndsTheSweepAtTheTrialThatSpendsIt() {
        let spec = SweepSpec.test("parameters:\n  learning_rate: {values: [0.01, 0.02, 0.03, 0.04, 0.05]}\n  epochs: {value: 3}\n")
        var end = SweepEnd(count: spec.count, metric: spec.metric, budget: 7)
        #expect(end.pass(Parts.record(spec, 0, losses: [0.5, 0.4, 0.3])) == nil)
        #expect(end.pass(Parts.record(spec, 1, losses: [0.5, 0.4, 0.3])) == nil)
        #expect(end.limit == 5)
        let ending = end.pass(Parts.record(spec, 2, losses: [0.5, 0.4, 0.3]))
        #expect(ending == SweepEnd.Ending(number: 3, reason: .budgetSpent))
        #expect(end.epochsSpent == 9 && end.limit == 3 && end.isReached && end.outcome == .budgetSpent)
        // A later position cannot move the end back out.
        #expect(end.pass(Parts.record(spec, 3, losses: [0.1, 0.1, 0.1])) == nil)
        #expect(end.cutoff == 3)
    }

    @Test func withNeitherEveryPositionIsRun() {
        let spec = Parts.grid
        var end = SweepEnd(count: spec.count, metric: spec.metric, budget: nil)
        for position in 0..<spec.count { #expect(end.pass(Parts.record(spec, position, losses: [0.1])) == nil) }
        #expect(end.isReached && end.outcome == .finished && end.cutoff == nil)
    }
}

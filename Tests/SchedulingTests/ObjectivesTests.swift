import Foundation
@testable import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepFiles

/// Several objectives, constraints, warm start and enqueue, decided in-process: MO-TPE's split,
/// MO-ASHA's rung order, and the same rows whatever the number of workers, the kills and the restarts.
@Suite("Scheduler: several objectives")
struct ObjectivesTests {
    typealias Observation = TPE.Observation

    static func completed(_ losses: [Double], violation: Double = 0) -> Observation {
        Observation(coordinates: [], depth: .infinity, loss: losses[0], losses: losses, violation: violation)
    }

    @Test func moTPESplitsByNonDominationRankThenHypervolume() {
        // Rank 0: A(1, 3.5), B(2, 2), C(4, 1); rank 1: D(3, 3); rank 2: F(5, 5). Reference for rank 0:
        // its worst pushed out 10 %, (4.4, 3.85). Greedy gains: B 2.4 × 1.85 = 4.44 first; then A adds
        // [1, 2) × [3.5, 3.85) = 0.35 and C adds [4, 4.4) × [1, 2) = 0.4: C.
        let history = [Self.completed([1, 3.5]), Self.completed([2, 2]), Self.completed([4, 1]), Self.completed([3, 3]),
                       Self.completed([5, 5])]
        #expect(TPE.good(history, count: 1) == [1])
        #expect(TPE.good(history, count: 2) == [1, 2])
        #expect(TPE.good(history, count: 3) == [0, 1, 2], "a whole rank fits")
        #expect(TPE.good(history, count: 4) == [0, 1, 2, 3])
        // Duplicates share a rank; the second copy adds no volume, so the other point goes first.
        let twins = [Self.completed([2, 2]), Self.completed([2, 2]), Self.completed([1, 3.5])]
        #expect(TPE.good(twins, count: 2) == [0, 2])
    }

    @Test func infeasibleTrialsComeAfterEveryFeasibleOneInTheSplitByTheirViolation() {
        // E dominates everything but misses a constraint; a stopped feasible trial still comes before it.
        var stopped = Self.completed([9, 9])
        stopped.depth = 2
        let history = [Self.completed([1, 3.5]), Self.completed([2, 2]), Self.completed([0, 0], violation: 0.5),
                       stopped, Self.completed([0.5, 0.5], violation: 0.1)]
        #expect(TPE.good(history, count: 2) == [0, 1])
        #expect(TPE.good(history, count: 3) == [0, 1, 3], "completed, then stopped, then infeasible")
        #expect(TPE.good(history, count: 4) == [0, 1, 3, 4], "the smaller violation first")
        // One objective with a constraint: by loss among the feasible only.
        let single = [Observation(coordinates: [], depth: .infinity, loss: 0.1, violation: 1),
                      Observation(coordinates: [], depth: .infinity, loss: 0.5),
                      Observation(coordinates: [], depth: .infinity, loss: 0.3)]
        #expect(TPE.good(single, count: 1) == [2])
        #expect(TPE.good(single.map { var o = $0; o.violation = 0; return o }, count: 1) == [0], "the check can fail")
    }

    @Test func aRungOrdersByFrontThenHypervolumeContributionAndKeepsTheTopOneOverEta() {
        // Front 0: (1, 4), (2, 2), (4, 1); front 1: (3, 3). Reference (4.4, 4.4): contributions
        // (1,4) 1 × 0.4 = 0.4, (2,2) 2 × 1 = 2... worked exactly below by `Pareto.contributions`.
        let vectors: [[Double]] = [[1, 4], [3, 3], [2, 2], [4, 1]]
        let order = RungLedger.paretoOrder(vectors)
        #expect(order.first == 2, "the middle point contributes most")
        #expect(order.last == 1, "the dominated point is last")
        let rule = try! EarlyTermination.test("{type: asha, min_iter: 1, eta: 2}")
        let ledger = RungLedger(rule: rule)
        // Four earlier, itself fifth: n = 5 keeps max(1, ⌊5/2⌋) = 2.
        #expect(!ledger.decide(values: [1.5, 1.5], best: [1.5, 1.5], earlier: vectors), "dominates three: goes on")
        #expect(ledger.decide(values: [5, 5], best: [5, 5], earlier: vectors), "dominated by all: stopped")
        #expect(ledger.decide(values: [3.5, 3.5], best: [3.5, 3.5], earlier: vectors))
        #expect(!ledger.decide(values: [9, 9], best: [9, 9], earlier: []), "first at the rung goes on")
    }

    static let space = """
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          hidden: {values: ["32", "64", "128", "1024,512"]}
          epochs: {value: 9}
        """

    static let moBayesAsha = SweepSpec.test("""
        method: bayes
        run_cap: 30
        parallelism: 3
        random_seed: 4
        metrics: [{name: test_loss, goal: minimize}, {name: model_size, goal: minimize}]
        metric_constraints: ["test_accuracy >= 0.6"]
        early_terminate: {type: asha, min_iter: 1, eta: 2}
        enqueue: [{learning_rate: 0.03, momentum: 0.6, hidden: "32"}]

        """ + space)

    @Test func aMultiObjectiveBayesSweepWithAshaIsTheSameWithOneTwoOrEightWorkersKillsAndRestarts() {
        var reference = Fleet(Self.moBayesAsha, workers: 1, seed: 1)
        let expected = outcomes(reference.run())
        #expect(reference.harness.scheduler.phase != .running)
        let records = reference.harness.records
        #expect(records.count == 30)
        #expect(records.contains { $0.status == .stopped }, "asha stopped nothing")
        #expect(records.contains { $0.feasible == false } && records.contains { $0.feasible == true })
        #expect(Set(records.map { $0.point["hidden"]! }).count > 1)
        #expect(records.first { $0.number == 0 }?.point["learning_rate"] == .real(0.03), "the enqueued point is trial 0")
        for (workers, seed) in [(2, 7), (8, 9)] as [(Int, UInt64)] {
            var fleet = Fleet(Self.moBayesAsha, workers: workers, seed: seed)
            #expect(outcomes(fleet.run()) == expected, "\(workers) workers, interleaving \(seed)")
        }
        for schedule in [(seed: UInt64(21), workers: 3, killEvery: 15, restarts: Set([40, 120, 300])),
                         (seed: 24, workers: 8, killEvery: 6, restarts: [55])] {
            var fleet = Fleet(Self.moBayesAsha, workers: schedule.workers, seed: schedule.seed)
            let observed = outcomes(fleet.run(killEvery: schedule.killEvery, restartAt: schedule.restarts))
            #expect(fleet.kills >= 2)
            #expect(observed == expected, "schedule \(schedule.seed): \(fleet.kills) kills, \(fleet.restarts) restarts")
        }
        // Several objectives decide differently from the first alone: the check can fail.
        var single = Self.moBayesAsha
        single.objectives = Objectives(metrics: [single.metric], constraints: single.objectives.constraints)
        var alone = Fleet(single, workers: 1, seed: 1)
        #expect(outcomes(alone.run()) != expected)
    }

    @Test func multiObjectiveBayesFindsMoreHypervolumeThanRandomOnTheSimulatedFleet() {
        // The course's space with the widths swept; the stand-in trainer's loss ignores the width, so the
        // front is small models with the best learning rate and momentum. 30 trials over 20 seeds each.
        let space = """
            metrics: [{name: test_loss, goal: minimize}, {name: model_size, goal: minimize}]
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              weight_decay: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-3}
              dropout: {distribution: uniform, min: 0, max: 0.5}
              hidden: {values: ["32", "64", "128", "256", "512", "1024,512"]}
              epochs: {value: 3}
            """
        func meanVolume(_ method: String) -> Double {
            var total = 0.0
            for seed in 0..<20 {
                var fleet = Fleet(SweepSpec.test("method: \(method)\nrun_cap: 30\nparallelism: 2\nrandom_seed: \(seed)\n" + space),
                                  workers: 2, seed: 1)
                let points = fleet.run().filter { $0.status == .completed }.map { [$0.metric("test_loss")!, $0.metric("model_size")!] }
                total += Pareto.hypervolume(points, reference: [1.0, 1_000_000])
            }
            return total / 20
        }
        let (random, bayes) = (meanVolume("random"), meanVolume("bayes"))
        print("simulated fleet, 30 trials, mean hypervolume over 20 seeds: random \(Int(random)), bayes \(Int(bayes))")
        #expect(bayes > 1.05 * random)
    }

    @Test func aDerivedFirstObjectiveWithAshaAndBayesRunsToTheEnd() {
        // model_size is no epoch's figure: the rungs and bayes must read it as the rungs saw it, or a
        // stopped trial stays pending for bayes forever and the sweep stalls.
        let spec = SweepSpec.test("""
            method: bayes
            run_cap: 24
            parallelism: 2
            metrics: [{name: model_size, goal: minimize}, {name: test_loss, goal: minimize}]
            early_terminate: {type: asha, min_iter: 1, eta: 2}

            """ + Self.space)
        var fleet = Fleet(spec, workers: 2, seed: 3)
        let records = fleet.run()
        #expect(fleet.harness.scheduler.phase != .running, "the sweep stalled")
        #expect(records.count == 24 && records.contains { $0.status == .stopped })
    }

    @Test func warmStartTrialsAreLearntBeforeTrialZeroNeverRerunAndTheSameWhateverRan() {
        // An earlier sweep over the same space: its trials are the priors.
        var earlier = Fleet(SweepSpec.test("method: random\nrun_cap: 14\nrandom_seed: 9\n" + Self.space), workers: 2, seed: 3)
        let earlierRecords = earlier.run().sorted { $0.number! < $1.number! }
        let priors = earlierRecords.map { Scheduler.Prior(record: $0, epochs: earlier.harness.epochs[$0.id] ?? []) }
        let spec = SweepSpec.test("""
            method: bayes
            run_cap: 12
            parallelism: 2
            random_seed: 4
            early_terminate: {type: asha, min_iter: 1, eta: 3, bootstrap_count: 2}

            """ + Self.space)
        var cold = Fleet(spec, workers: 2, seed: 5)
        let coldRecords = cold.run()
        var warm = Fleet(spec, workers: 2, seed: 5, priors: priors)
        let warmRecords = warm.run()
        #expect(warmRecords.count == 12, "priors are not recorded here, nor do they count toward run_cap")
        #expect(Set(warmRecords.map { $0.number! }) == Set(0..<12))
        // With 14 priors the model proposes from trial 0 on; cold, trials 0…12 are its random start.
        #expect(warmRecords.first { $0.number == 0 }!.point != coldRecords.first { $0.number == 0 }!.point)
        // The rungs counted the priors as earlier trials: cold, bootstrap_count 2 stops the first two
        // trials at their first rung; warm, 14 priors have set the bar already, and these two go on.
        #expect(coldRecords.filter { $0.number! < 2 }.allSatisfy { $0.status == .stopped && $0.stoppedAt == 1 })
        #expect(warmRecords.filter { $0.number! < 2 }.allSatisfy { $0.status == .completed })
        // The same however it ran.
        var again = Fleet(spec, workers: 8, seed: 11, priors: priors)
        #expect(outcomes(again.run(killEvery: 7, restartAt: [30])) == outcomes(warmRecords))
    }

    @Test func enqueuedPointsRunFirstUnderEveryMethodAndTheMethodsOwnPointsFollow() {
        for method in ["grid", "random", "bayes"] {
            let base = "method: \(method)\nrun_cap: 6\nparameters:\n  learning_rate: {values: [0.01, 0.1, 0.2]}\n  epochs: {value: 2}\n"
            let plain = SweepSpec.test(base)
            let spec = SweepSpec.test(base + "enqueue: [{learning_rate: 0.2}, {learning_rate: 0.01}]\n")
            #expect(spec.point(at: 0)["learning_rate"] == .real(0.2), "\(method)")
            #expect(spec.point(at: 1)["learning_rate"] == .real(0.01), "\(method)")
            #expect(spec.point(at: 2) == plain.point(at: 0), "\(method): the method's first point follows")
            #expect(spec.count == (method == "grid" ? 5 : 6), "\(method): \(spec.count)")
        }
    }
}

extension EarlyTermination {
    /// A rule from its YAML mapping.
    static func test(_ yaml: String) throws -> EarlyTermination {
        try #require(SweepSpec.test("early_terminate: \(yaml)\nparameters:\n  epochs: {value: 9}\n").earlyTermination)
    }
}

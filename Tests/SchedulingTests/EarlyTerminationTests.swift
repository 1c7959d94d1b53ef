import Foundation
@testable import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepCore
import SweepFiles

/// The three stopping rules, each checked against the arithmetic of the tool it follows.
@Suite("Early termination rules")
struct EarlyTerminationTests {
    static func rule(_ block: String) -> EarlyTermination {
        SweepSpec.test("early_terminate: \(block)\nparameters:\n  epochs: {value: 30}\n").earlyTermination!
    }

    @Test func hyperbandBandsAreWandBs() {
        // W&B: max_iter / eta, / eta², … for s steps (while ≥ 1), truncated; or min_iter·etaⁱ.
        #expect(Self.rule("{type: hyperband, max_iter: 5, eta: 2, s: 2}").rungs(forEpochs: 30) == [1, 2])
        #expect(Self.rule("{type: hyperband, max_iter: 27, s: 3}").rungs(forEpochs: 30) == [1, 3, 9])
        #expect(Self.rule("{type: hyperband, min_iter: 2}").rungs(forEpochs: 30) == [2, 6, 18])
        #expect(Self.rule("{type: hyperband, min_iter: 1, eta: 2}").rungs(forEpochs: 20) == [1, 2, 4, 8, 16])
        // A rung at the trial's last epoch saves nothing, so there is none.
        #expect(Self.rule("{type: hyperband, min_iter: 3}").rungs(forEpochs: 9) == [3])
        #expect(Self.rule("{type: asha, min_iter: 1, eta: 3, max_iter: 20}").rungs(forEpochs: 30) == [1, 3, 9])
        #expect(Self.rule("{type: median, min_iter: 4}").rungs(forEpochs: 7) == [4, 5, 6])
    }

    @Test func hyperbandThresholdIsWandBsOnItsOwnExample() {
        // wandb/sweeps hyperband_stop_runs' docstring: max_iter 5, eta 2, s 2 (bands 1 and 2), five
        // runs. At band 2 the values are 9, 10, 8, 7, 6: W&B's threshold is sorted[⌊5/2⌋] = 8.
        let ledger = RungLedger(rule: Self.rule("{type: hyperband, max_iter: 5, eta: 2, s: 2}"))
        let band2 = [9.0, 10, 8, 7, 6]
        func others(_ mine: Double) -> [Double] {
            var rest = band2
            rest.remove(at: rest.firstIndex(of: mine)!)
            return rest.sorted()
        }
        #expect(ledger.decide(value: 10, best: 10, earlier: others(10)))     // run b: 10 > 8, stopped
        #expect(!ledger.decide(value: 8, best: 8, earlier: others(8)))       // run c: 8 is not above 8
        #expect(!ledger.decide(value: 7, best: 7, earlier: others(7)))       // run d
        // Not strict: the best so far is judged, so a run that was better earlier survives a bad rung.
        let lenient = RungLedger(rule: Self.rule("{type: hyperband, max_iter: 5, eta: 2, s: 2, strict: false}"))
        #expect(!lenient.decide(value: 10, best: 7, earlier: others(10)))
        #expect(lenient.decide(value: 10, best: 10, earlier: others(10)))
        // The first trial at a band has only itself to compare with: never stopped.
        #expect(!ledger.decide(value: 100, best: 100, earlier: []))
    }

    @Test func ashaCutsAtTheQuantileOfEarlierTrialsAsRayTuneDoes() {
        // Ray: stop if the reward is below nanpercentile(recorded, (1 − 1/rf)·100); in losses, above the
        // 100/rf percentile. numpy.percentile([1, 2, 3, 4], 25) = 1.75.
        let ledger = RungLedger(rule: Self.rule("{type: asha, eta: 4}"))
        #expect(RungLedger.percentile([1, 2, 3, 4], 25) == 1.75)
        #expect(ledger.decide(value: 1.8, best: 1.8, earlier: [1, 2, 3, 4]))
        #expect(!ledger.decide(value: 1.7, best: 1.7, earlier: [1, 2, 3, 4]))
        #expect(!ledger.decide(value: 99, best: 99, earlier: []), "nothing recorded at the rung yet")
    }

    @Test func ashaNotStrictJudgesAndKeepsEachTrialsBestSoFar() {
        // Two trials reach rung 1 of an eta-2 asha: #0 with 0.9 there but 0.5 the epoch before (its
        // best so far), #1 with 0.6 and no better epoch. Strict (the default), #1 is judged by 0.6
        // against #0's 0.9 and goes on; not strict, by 0.6 against #0's best, 0.5, and is stopped.
        let reached: [RungLedger.Standing] = [.reached(value: 0.9, best: 0.5, recorded: nil),
                                              .reached(value: 0.6, best: 0.6, recorded: nil)]
        func decisions(_ block: String) -> [Bool] {
            var ledger = RungLedger(rule: Self.rule(block))
            ledger.track([1], bracket: 0)
            var stops: [Bool] = []
            ledger.advance(limit: 2, standing: { position, _ in reached[position] }, apply: { stops.append($0.stop) })
            return stops
        }
        #expect(decisions("{type: asha, eta: 2}") == [false, false])
        #expect(decisions("{type: asha, eta: 2, strict: false}") == [false, true])
        // What a trial holds at a rung: its best so far only under asha that is not strict.
        #expect(Self.rule("{type: asha, strict: false}").rungValue(metric: 0.9, bestSoFar: 0.5) == 0.5)
        #expect(Self.rule("{type: asha}").rungValue(metric: 0.9, bestSoFar: 0.5) == 0.9)
        #expect(Self.rule("{type: hyperband, min_iter: 1, strict: false}").rungValue(metric: 0.9, bestSoFar: 0.5) == 0.9)
        // Not strict, a trial with a bad epoch at the rung but a good one before it goes on.
        let lenient = RungLedger(rule: Self.rule("{type: asha, eta: 3, strict: false}"))
        #expect(!lenient.decide(value: 0.8, best: 0.3, earlier: [0.4, 0.5]))
        #expect(RungLedger(rule: Self.rule("{type: asha, eta: 3}")).decide(value: 0.8, best: 0.3, earlier: [0.4, 0.5]))
    }

    @Test func ashaBracketsStartAtLaterRungsAndAreDrawnWithRaysSoftmax() {
        let rule = Self.rule("{type: asha, min_iter: 1, eta: 3, max_iter: 20, brackets: 3}")
        #expect(rule.rungs(forEpochs: 20, bracket: 0) == [1, 3, 9])
        #expect(rule.rungs(forEpochs: 20, bracket: 1) == [3, 9])
        #expect(rule.rungs(forEpochs: 20, bracket: 2) == [9])
        // Ray: softmax of the brackets' sizes (3, 2, 1 rungs): e⁰, e⁻¹, e⁻² normalised.
        let total = 1 + exp(-1.0) + exp(-2.0)
        let expected = [1 / total, exp(-1.0) / total, exp(-2.0) / total]
        #expect(zip(rule.bracketWeights, expected).allSatisfy { abs($0 - $1) < 1e-12 })
        // The draw is a function of the seed and position, and follows those weights.
        let draws = (0..<6000).map { rule.bracket(at: $0, randomSeed: 4) }
        #expect(draws == (0..<6000).map { rule.bracket(at: $0, randomSeed: 4) })
        #expect(draws != (0..<6000).map { rule.bracket(at: $0, randomSeed: 5) })
        for bracket in 0..<3 {
            let share = Double(draws.filter { $0 == bracket }.count) / 6000
            #expect(abs(share - expected[bracket]) < 0.02, "bracket \(bracket): \(share)")
        }
        // One bracket (the default): every trial in bracket 0, all rungs.
        let single = Self.rule("{type: asha, min_iter: 1, eta: 3, max_iter: 20}")
        #expect(single.brackets == 1 && (0..<50).allSatisfy { single.bracket(at: $0, randomSeed: 4) == 0 })
    }

    @Test func ashasBootstrapCountStopsTheFirstTrialsAtARungAsOptunaDoes() {
        // Optuna's SuccessiveHalvingPruner: pruned while the rung's trials, itself counted, are ≤ b.
        let ledger = RungLedger(rule: Self.rule("{type: asha, eta: 3, bootstrap_count: 2}"))
        #expect(ledger.decide(value: 0.1, best: 0.1, earlier: []), "first at the rung: stopped however good")
        #expect(ledger.decide(value: 0.1, best: 0.1, earlier: [0.5]), "second: stopped")
        #expect(!ledger.decide(value: 0.1, best: 0.1, earlier: [0.5, 0.6]), "third, and the best: goes on")
        #expect(ledger.decide(value: 0.7, best: 0.7, earlier: [0.5, 0.6]), "third, and worse than the quantile: stopped")
        // Without it (the default), the first trial at a rung always goes on, as in Ray.
        #expect(!RungLedger(rule: Self.rule("{type: asha, eta: 3}")).decide(value: 9, best: 9, earlier: []))
    }

    @Test func theMedianRuleWaitsForMinTrialsThenComparesTheBestSoFar() {
        let ledger = RungLedger(rule: Self.rule("{type: median, min_iter: 1, min_trials: 3}"))
        #expect(RungLedger.percentile([1, 2, 3, 4], 50) == 2.5)
        #expect(!ledger.decide(value: 9, best: 9, earlier: [1, 2]), "two earlier trials are fewer than min_trials")
        #expect(ledger.decide(value: 9, best: 2.6, earlier: [1, 2, 3, 4]))
        #expect(!ledger.decide(value: 9, best: 2.4, earlier: [1, 2, 3, 4]), "its best so far beats the median")
    }

    /// A trial whose test loss is `loss` at every epoch.
    static func flat(_ config: TrainingConfig, _ loss: Double, epochs: Int) -> TrainingResult {
        TrainingResult(config: config, epochs: (1...epochs).map {
            EpochMetrics(epoch: $0, trainLoss: loss, testLoss: loss, testAccuracy: 0.5, seconds: 0.01)
        }, status: .completed)
    }

    @Test(arguments: [false, true])
    func ashaNotStrictStopsOnTheBestSoFarThroughTheScheduler(strict: Bool) throws {
        // Rung 2 of 4 epochs, eta 2. #0's test loss is 0.5 then 0.9 (a noisy second epoch), #1's 0.7
        // then 0.6. Strict, #1 is judged by 0.6 against #0's 0.9 and goes on; not strict, by its best
        // so far (0.6) against #0's (0.5), and is stopped at the rung.
        let spec = SweepSpec.test("""
            method: grid
            early_terminate: {type: asha, min_iter: 2, eta: 2, strict: \(strict)}
            parameters:
              learning_rate: {values: [0.01, 0.02]}
              epochs: {value: 4}
            """)
        var harness = Harness(spec)
        let joinedA = harness.join("a"), joinedB = harness.join("b")
        let a = try #require(joinedA), b = try #require(joinedB)
        func run(_ config: TrainingConfig, _ losses: [Double]) -> TrainingResult {
            TrainingResult(config: config, epochs: losses.enumerated().map { index, loss in
                EpochMetrics(epoch: index + 1, trainLoss: loss, testLoss: loss, testAccuracy: 0.5, seconds: 0.01)
            }, status: .completed)
        }
        let runs = [run(a.config!, [0.5, 0.9, 0.8, 0.8]), run(b.config!, [0.7, 0.6, 0.6, 0.6])]
        var actions: [SchedulerAction] = []
        for (worker, given, result) in [("a", a, runs[0]), ("b", b, runs[1])] {
            for metrics in result.epochs.prefix(2) {
                actions += harness.send(.progress(WorkerID(worker), trial: given.trial, metrics: metrics))
            }
        }
        #expect(actions.contains(.event(.stopDecided(trial: b.trial, rung: 2))) == !strict)
        #expect(!actions.contains(.event(.stopDecided(trial: a.trial, rung: 2))), "the first at the rung goes on")
        harness.send(.result(WorkerID("a"), trial: a.trial, number: 0, outcome: runs[0]))
        harness.send(.result(WorkerID("b"), trial: b.trial, number: 1, outcome: runs[1]))
        let row = try #require(harness.records.first { $0.id == b.trial })
        #expect(row.status == (strict ? .completed : .stopped))
        #expect(row.epochsRun == (strict ? 4 : 2))
    }

    @Test func aDecisionWaitsForEarlierTrialsIsSentWhenTakenAndCutsTheRow() throws {
        // Rungs 2 and 4 of 8 epochs; trials #0, #1, #2 with losses 1.0, 0.5, 2.0 at every epoch.
        let spec = SweepSpec.test("""
            method: grid
            early_terminate: {type: hyperband, min_iter: 2, eta: 2}
            parameters:
              learning_rate: {values: [0.01, 0.02, 0.03]}
              epochs: {value: 8}
            """)
        var harness = Harness(spec)
        var given: [Harness.Assignment] = []
        for name in ["a", "b", "c"] {
            let assignment = harness.join(name)
            given.append(try #require(assignment))
        }
        let runs = [Self.flat(given[0].config!, 1.0, epochs: 8), Self.flat(given[1].config!, 0.5, epochs: 8),
                    Self.flat(given[2].config!, 2.0, epochs: 8)]
        func isStop(_ action: SchedulerAction) -> Bool { if case .stop = action { return true } else { return false } }
        // c is fastest: it passes rung 2 before the trials before it got there. Nothing is decided yet.
        for epoch in 0..<3 { #expect(!harness.send(.progress(WorkerID("c"), trial: given[2].trial, metrics: runs[2].epochs[epoch])).contains(where: isStop)) }
        for epoch in 0..<2 { harness.send(.progress(WorkerID("a"), trial: given[0].trial, metrics: runs[0].epochs[epoch])) }
        #expect(!harness.actions.contains(where: isStop))
        // b reaches rung 2: #1 passes (0.5 against [0.5, 1.0]), and now #2 can be judged: 2.0 against
        // W&B's threshold sorted([0.5, 1.0, 2.0])[⌊3/2⌋] = 1.0 — stopped, and c is told to stop there.
        var decided: [SchedulerAction] = []
        for epoch in 0..<2 { decided += harness.send(.progress(WorkerID("b"), trial: given[1].trial, metrics: runs[1].epochs[epoch])) }
        #expect(decided.contains(.stop(WorkerID("c"), trial: given[2].trial, afterEpoch: 2)))
        #expect(decided.contains(.event(.stopDecided(trial: given[2].trial, rung: 2))))
        // c had gone on (speculatively) and reports all 8 epochs: the row keeps the 2 up to the rung.
        harness.send(.result(WorkerID("c"), trial: given[2].trial, number: 2, outcome: runs[2]))
        harness.send(.result(WorkerID("a"), trial: given[0].trial, number: 0, outcome: runs[0]))
        harness.send(.result(WorkerID("b"), trial: given[1].trial, number: 1, outcome: runs[1]))
        let stopped = try #require(harness.records.first { $0.id == given[2].trial })
        #expect(stopped.status == .stopped && stopped.stoppedAt == 2 && stopped.epochsRun == 2)
        #expect(stopped.metrics["final_test_loss"] == 2.0)
        #expect(harness.epochs[given[2].trial]?.map(\.epoch) == [1, 2])
        #expect(harness.records.filter { $0.status == .completed }.count == 2)
        #expect(harness.scheduler.statistics.speculativeEpochs == 6)
        #expect(harness.scheduler.stoppedCount == 1)
    }
}

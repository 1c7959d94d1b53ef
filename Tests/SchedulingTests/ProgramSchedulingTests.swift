import Foundation
import Programs
import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepFiles

/// Program sweeps through the scheduler alone: bayes proposes program values, hyperband stops
/// program trials, and both stay deterministic whatever the number of workers, the faults, or
/// whether a program's end or a rung decision came first.
@Suite("Scheduler: program sweeps")
struct ProgramSchedulingTests {
    /// `FakeTrainer`'s curve, printed as `loss` by a program whose length the scheduler does not know.
    static let space = """
        command: [train]
        metric: {name: loss, goal: minimize}
        parameters:
          lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          dropout: {distribution: uniform, min: 0, max: 0.5}
          optimizer: {parameters: {kind: {values: [sgd, nesterov]}}}
          epochs: {value: 9}
        """

    static let bayesHyperband = SweepSpec.test("""
        method: bayes
        run_cap: 30
        parallelism: 3
        random_seed: 4
        early_terminate: {type: hyperband, min_iter: 1, eta: 3}

        """ + space)

    @Test func aProgramTrialIsHandedOutWithItsValuesAndNoCheckpoints() throws {
        var harness = Harness(Self.bayesHyperband)
        let given = harness.join("a")
        let assignment = try #require(given)
        let values = assignment.point.values
        #expect(assignment.point.runner == .program)
        #expect(values.map(\.key) == ["dropout", "epochs", "lr", "momentum", "optimizer.kind"])
        #expect(assignment.point == Self.bayesHyperband.point(at: 0) && assignment.trial == assignment.point.id)
        // A program keeps its own checkpoints and cannot be paused at a rung: nothing asks it to.
        #expect(assignment.pauseAt.isEmpty && assignment.checkpointEvery == 0 && !assignment.sendFinal)
    }

    @Test func bayesAndHyperbandOverAProgramGiveTheSameTrialsWhateverRanThem() {
        var reference = Fleet(Self.bayesHyperband, workers: 1, seed: 1)
        let records = reference.run()
        #expect(reference.harness.scheduler.phase != .running, "the one-worker run did not finish")
        let expected = outcomes(records)
        #expect(records.count == 30)
        // Hyperband stopped some, at rungs 1 or 3 (9, where the program ends, may be one too: see below).
        let stopped = records.filter { $0.status == .stopped }
        #expect(stopped.count >= 5, "\(stopped.count) of 30 stopped")
        #expect(stopped.allSatisfy { [1, 3, 9].contains($0.stoppedAt!) && $0.epochsRun == $0.stoppedAt })
        // Bayes proposed values of its own once 10 trials lay before its horizon (trial 13 on): not the random draws.
        let proposed = records.filter { ($0.number ?? 0) >= 14 }
        #expect(proposed.contains { $0.point != Self.bayesHyperband.point(at: $0.number!) })
        #expect(records.allSatisfy { Self.bayesHyperband.admits($0.point) })
        for (workers, seed, killEvery, restarts) in [(2, 7, nil, []), (3, 8, 11, [30, 90]), (8, 9, 7, [50])] as [(Int, UInt64, Int?, Set<Int>)] {
            var fleet = Fleet(Self.bayesHyperband, workers: workers, seed: seed)
            let observed = outcomes(fleet.run(killEvery: killEvery, restartAt: restarts))
            #expect(observed == expected, "\(workers) workers, interleaving \(seed), \(fleet.kills) kills, \(fleet.restarts) restarts")
        }
    }

    @Test func aStopAtTheEpochWhereTheProgramEndsStandsWhicheverCameFirst() throws {
        // Two trials, hyperband with a rung at 3, programs of exactly 3 epochs: the second is worse at
        // rung 3, its last epoch. Whether its result arrives before the decision or after, it is stopped there.
        let spec = SweepSpec.test("""
            command: [train]
            metric: {name: loss}
            method: grid
            early_terminate: {type: hyperband, min_iter: 3, eta: 3}
            parameters:
              lr: {values: [0.03, 0.001]}
              epochs: {value: 3}
            """)
        let runs = spec.count
        #expect(runs == 2)
        for resultFirst in [true, false] {
            var harness = Harness(spec)
            let a = harness.join("a"), b = harness.join("b")
            let first = try #require(a), second = try #require(b)
            let (one, two) = (FakeTrainer.run(first.point), FakeTrainer.run(second.point))
            #expect(one.epochs.count == 3 && two.epochs[2].value(named: "loss")! > one.epochs[2].value(named: "loss")!)
            for metrics in two.epochs { harness.send(.progress(WorkerID("b"), trial: second.trial, metrics: metrics)) }
            if resultFirst {
                // The program ended at epoch 3 before anything was known about trial 0 at rung 3: held.
                let reply = harness.send(.result(WorkerID("b"), trial: second.trial, number: 1, outcome: two))
                #expect(reply.contains { if case .hold = $0 { return true } else { return false } })
            }
            harness.finish("a", first)
            if !resultFirst {
                // The decision came first: the worker is told to stop after epoch 3, and its program, ending
                // anyway, reports the 3 epochs as stopped.
                #expect(harness.actions.contains(.stop(WorkerID("b"), trial: second.trial, afterEpoch: 3)))
                harness.send(.result(WorkerID("b"), trial: second.trial, number: 1,
                                     outcome: TrainingResult(config: nil, epochs: two.epochs, status: .stopped)))
            }
            let record = try #require(harness.records.first { $0.id == second.trial })
            #expect(record.status == .stopped && record.stoppedAt == 3 && record.epochsRun == 3, "result first: \(resultFirst)")
            #expect(record.metric("loss") == two.epochs[2].value(named: "loss"))
        }
    }
}

import Foundation
import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepFiles

/// Checkpoints in the scheduler: a requeued trial resumes from its last checkpoint, a trial at an
/// undecided rung pauses and is promoted later, the best trials' final weights are kept, and none of
/// it changes a single decision, whatever the workers and the faults.
@Suite("Scheduler: checkpoints")
struct CheckpointSchedulingTests {
    static let grid = SweepSpec.test("""
        name: g
        parameters:
          learning_rate: {values: [0.01, 0.1]}
          momentum: {values: [0.0, 0.9]}
          epochs: {value: 9}
        keep_models: 2
        """)

    static let hyperband = SweepSpec.test("""
        method: random
        run_cap: 12
        random_seed: 4
        keep_models: 3
        early_terminate: {type: hyperband, min_iter: 1, eta: 3}
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          epochs: {value: 9}
        """)

    @Test func aTrialWhoseWorkerDiedResumesFromItsLastCheckpointAndCountsTheLostEpochs() throws {
        var harness = Harness(Self.grid)
        let trialGiven = harness.join("a")
        let trial = try #require(trialGiven)
        #expect(trial.checkpointEvery == 60 && trial.sendFinal && trial.resumeFrom == nil)
        let run = FakeTrainer.run(trial.config!)
        for metrics in run.epochs.prefix(5) { harness.send(.progress(WorkerID("a"), trial: trial.trial, metrics: metrics)) }
        let stored = harness.send(.checkpoint(WorkerID("a"), trial: trial.trial, epochs: Array(run.epochs.prefix(4))))
        #expect(stored.contains(.storeCheckpoint(WorkerID("a"), trial: trial.trial, epoch: 4)))
        #expect(harness.checkpoints[trial.trial]?.count == 4)
        // a dies during epoch 6 (epoch 5 finished, after the checkpoint): b takes the trial from epoch 4.
        harness.send(.hello(WorkerID("b"), name: "b", host: "h", running: nil))
        harness.advance(.milliseconds(600), beating: ["b"])
        let resumedReply = harness.send(.ready(WorkerID("b")))
        let resumed = try #require(harness.assignment(in: resumedReply, to: "b"))
        #expect(resumed.trial == trial.trial && resumed.resumeFrom == 4)
        #expect(harness.events { if case .resumed(trial: trial.trial, fromEpoch: 4, worker: "b") = $0 { true } else { false } }.count == 1)
        for metrics in run.epochs.dropFirst(4) { harness.send(.progress(WorkerID("b"), trial: trial.trial, metrics: metrics)) }
        harness.send(.checkpoint(WorkerID("b"), trial: trial.trial, epochs: run.epochs))
        harness.send(.result(WorkerID("b"), trial: trial.trial, number: trial.number, outcome: run))
        let record = try #require(harness.records.first)
        #expect(record.epochsRun == 9)
        #expect(record.epochsTrained == 5 + 5, "a trained 5 epochs, b the 5 after the checkpoint")
        // One of the best two so far (the only one): its final weights are kept, its checkpoint goes.
        #expect(harness.models == [trial.trial])
        #expect(harness.checkpoints.isEmpty)
    }

    @Test func aCheckpointFromAWorkerNotTrainingTheTrialIsNotStored() throws {
        var harness = Harness(Self.grid)
        let trialGiven = harness.join("a")
        let trial = try #require(trialGiven)
        harness.send(.hello(WorkerID("b"), name: "b", host: "h", running: nil))
        let run = FakeTrainer.run(trial.config!)
        let replies = harness.send(.checkpoint(WorkerID("b"), trial: trial.trial, epochs: Array(run.epochs.prefix(2))))
        #expect(!replies.contains { if case .storeCheckpoint = $0 { true } else { false } })
        #expect(harness.checkpoints.isEmpty)
        #expect(harness.scheduler.config(ofTrial: trial.trial, trainedBy: WorkerID("b"), epoch: 2) == nil)
        #expect(harness.scheduler.config(ofTrial: trial.trial, trainedBy: WorkerID("a"), epoch: 2) == trial.config!)
    }

    @Test func theFinalWeightsOfAWorkerCountedAsLostAreKeptWhileNobodyElseHoldsItsTrial() throws {
        var harness = Harness(Self.grid)
        let trialGiven = harness.join("a")
        let trial = try #require(trialGiven)
        let run = FakeTrainer.run(trial.config!)
        // `a` trains on without a word past the liveness window: counted as lost, its trial goes back.
        let silence = harness.advance(.seconds(1))
        #expect(silence.contains(.event(.workerLost(worker: "a", trial: trial.trial))))
        // A non-final checkpoint from it is not taken: it might be anyone's.
        let partial = harness.send(.checkpoint(WorkerID("a"), trial: trial.trial, epochs: Array(run.epochs.prefix(2))))
        #expect(!partial.contains { if case .storeCheckpoint = $0 { true } else { false } })
        #expect(harness.scheduler.config(ofTrial: trial.trial, trainedBy: WorkerID("a"), epoch: 2) == nil)
        // Then it delivers its final weights and its result, not knowing: both are taken, and the model kept.
        let final = run.epochs.count
        #expect(harness.scheduler.config(ofTrial: trial.trial, trainedBy: WorkerID("a"), epoch: final) == trial.config!)
        let stored = harness.send(.checkpoint(WorkerID("a"), trial: trial.trial, epochs: run.epochs))
        #expect(stored.contains(.storeCheckpoint(WorkerID("a"), trial: trial.trial, epoch: final)))
        let reply = harness.send(.result(WorkerID("a"), trial: trial.trial, number: trial.number, outcome: run))
        #expect(reply.contains(.acknowledge(WorkerID("a"), trial: trial.trial)))
        #expect(harness.records.map(\.id) == [trial.trial])
        #expect(harness.models == [trial.trial])
        #expect(harness.checkpoints.isEmpty)
    }

    @Test func theFinalWeightsOfAWorkerCountedAsLostAreRefusedOnceAnotherHoldsItsTrial() throws {
        var harness = Harness(Self.grid)
        let trialGiven = harness.join("a")
        let trial = try #require(trialGiven)
        let run = FakeTrainer.run(trial.config!)
        harness.advance(.seconds(1))
        let retryGiven = harness.join("b")
        let retry = try #require(retryGiven)
        #expect(retry.trial == trial.trial)
        #expect(harness.scheduler.config(ofTrial: trial.trial, trainedBy: WorkerID("a"), epoch: run.epochs.count) == nil)
        let replies = harness.send(.checkpoint(WorkerID("a"), trial: trial.trial, epochs: run.epochs))
        #expect(!replies.contains { if case .storeCheckpoint = $0 { true } else { false } })
        #expect(harness.checkpoints.isEmpty)
    }

    @Test func aTrialAtAnUndecidedRungPausesAndIsPromotedFromItsCheckpoint() throws {
        var harness = Harness(Self.hyperband)
        let firstGiven = harness.join("a")
        let first = try #require(firstGiven)
        let secondGiven = harness.join("b")
        let second = try #require(secondGiven)
        #expect(first.pauseAt == [1, 3] && second.pauseAt == [1, 3])
        let runs = [FakeTrainer.run(first.config!), FakeTrainer.run(second.config!)]
        // The second trial reaches rung 1 first: its decision needs the first trial's value there.
        harness.send(.progress(WorkerID("b"), trial: second.trial, metrics: runs[1].epochs[0]))
        let paused = harness.send(.checkpoint(WorkerID("b"), trial: second.trial, epochs: [runs[1].epochs[0]]))
        #expect(paused.contains(.storeCheckpoint(WorkerID("b"), trial: second.trial, epoch: 1)))
        #expect(paused.contains(.stop(WorkerID("b"), trial: second.trial, afterEpoch: nil)))
        #expect(paused.contains(.event(.paused(trial: second.trial, rung: 1))))
        // b is free: it takes the next position instead of waiting.
        let thirdReply = harness.send(.ready(WorkerID("b")))
        let third = try #require(harness.assignment(in: thirdReply, to: "b"))
        #expect(third.number == 2)
        // The first trial reaches rung 1: it is the first there, so it passes and goes on at once; the
        // second's decision follows, and it passes too (hyperband keeps the top 1/eta… of two: one
        // stops unless both rank above the cut; whichever way, it is decided now).
        harness.send(.progress(WorkerID("a"), trial: first.trial, metrics: runs[0].epochs[0]))
        let word = harness.send(.checkpoint(WorkerID("a"), trial: first.trial, epochs: [runs[0].epochs[0]]))
        #expect(word.contains(.proceed(WorkerID("a"), trial: first.trial, epoch: 1)))
        let promoted = harness.events { if case .promoted(trial: second.trial, rung: 1) = $0 { true } else { false } }
        let stoppedThere = harness.records.first { $0.id == second.trial }
        #expect(promoted.count == 1 || stoppedThere?.stoppedAt == 1)
        if promoted.count == 1 {
            // The next free worker continues it from its checkpoint, before any new position.
            harness.send(.hello(WorkerID("c"), name: "c", host: "h", running: nil))
            let continuedReply = harness.send(.ready(WorkerID("c")))
        let continued = try #require(harness.assignment(in: continuedReply, to: "c"))
            #expect(continued.trial == second.trial && continued.resumeFrom == 1 && continued.pauseAt == [3])
        } else {
            // Stopped while paused: recorded at once from the epochs it had, its checkpoint removed.
            #expect(stoppedThere?.epochsRun == 1 && harness.checkpoints[second.trial] == nil)
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: SweepSpec
        var testDescription: String { name }
    }

    static let cases = DeterminismTests.cases.map { Case(name: $0.name, spec: $0.spec) }

    /// The determinism bar again, with checkpoints, pauses and resumes in play: the same trials as one
    /// worker without checkpoints, the same kept models, and no checkpoint left behind.
    @Test(arguments: cases)
    func checkpointsPausesAndResumesChangeNoDecision(_ test: Case) {
        var reference = Fleet(test.spec, workers: 1, seed: 1)
        let expected = outcomes(reference.run())
        let schedules: [(seed: UInt64, workers: Int, killEvery: Int?, restarts: Set<Int>)] = [
            (31, 2, nil, []), (32, 8, nil, []), (33, 3, 15, [40, 120, 300]), (34, 2, 9, [25, 70]), (35, 4, 25, [10, 200, 400]),
        ]
        var pausedSomewhere = false, resumedSomewhere = false
        for schedule in schedules {
            var fleet = Fleet(test.spec, workers: schedule.workers, seed: schedule.seed, checkpointing: true)
            let records = fleet.run(killEvery: schedule.killEvery, restartAt: schedule.restarts)
            #expect(outcomes(records) == expected, "schedule \(schedule.seed)")
            #expect(fleet.harness.scheduler.phase != .running, "schedule \(schedule.seed) did not finish")
            // The best keep_models completed trials, by the metric, have their weights; nothing else is left.
            let best = records.filter { $0.status == .completed }
                .sorted { ($0.metrics["final_test_loss"]!, $0.number!) < ($1.metrics["final_test_loss"]!, $1.number!) }.prefix(test.spec.keepModels)
            #expect(fleet.harness.models == Set(best.map(\.id)), "schedule \(schedule.seed)")
            #expect(fleet.harness.checkpoints.isEmpty, "schedule \(schedule.seed): \(fleet.harness.checkpoints.keys.sorted())")
            for record in records { #expect((record.epochsTrained ?? 0) >= record.epochsRun) }
            pausedSomewhere = pausedSomewhere || !fleet.harness.events { if case .paused = $0 { true } else { false } }.isEmpty
            resumedSomewhere = resumedSomewhere || fleet.resumes > 0
        }
        #expect(resumedSomewhere)
        if test.spec.earlyTermination?.pausesAtRungs == true {
            #expect(pausedSomewhere, "no trial paused: the pause path was not exercised")
        } else {
            #expect(!pausedSomewhere, "the median rule trains on instead of pausing")
        }
    }

    @Test func checkpointsSaveWorkWhenWorkersDie() {
        // Ten kills with and without checkpoints (a third of epochs end with one): the epochs recomputed
        // (trained − run) fall.
        func lost(_ checkpointing: Bool) -> Int {
            var fleet = Fleet(DeterminismTests.bayes, workers: 3, seed: 41, checkpointing: checkpointing)
            let records = fleet.run(killEvery: 12, maximumKills: 10)
            #expect(fleet.kills == 10)
            // The records count every epoch the workers computed.
            #expect(records.map { $0.epochsTrained ?? 0 }.reduce(0, +) == fleet.epochsTrained)
            return records.map { ($0.epochsTrained ?? 0) - $0.epochsRun }.reduce(0, +)
        }
        let without = lost(false), with = lost(true)
        print("epochs recomputed after 10 kills: \(without) without checkpoints, \(with) with")
        #expect(with < without)
    }
}

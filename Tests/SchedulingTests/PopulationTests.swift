import Foundation
@testable import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepFiles

/// `method: pbt` through the simulated fleet: the same stretches — values, lineage, figures — with
/// 1, 2 or 8 workers, in any order, with workers killed and the scheduler restarted mid-generation.
@Suite("Scheduler: population-based training")
struct PopulationTests {
    static let spec = SweepSpec.test("""
        method: pbt
        population_size: 6
        perturbation_interval: 3
        random_seed: 4
        keep_models: 2
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          dropout: {values: [0.0, 0.1, 0.2, 0.3, 0.4]}
          epochs: {value: 12}
        """)

    @Test func everyStretchIsATrialWithItsLineageAndTheGenerationsFollowTheRule() {
        var fleet = Fleet(Self.spec, workers: 2, seed: 1, checkpointing: true)
        let records = fleet.run()
        #expect(fleet.harness.scheduler.phase != .running, "the run did not finish")
        // 6 members × 4 stretches of 3 epochs.
        #expect(records.count == 24)
        let byNumber = Dictionary(uniqueKeysWithValues: records.map { ($0.number!, $0) })
        let rule = Self.spec.population!
        var exploits = 0
        for number in 0..<24 {
            let record = byNumber[number]!
            let lineage = record.point.lineage!
            #expect(lineage.member == number % 6 && lineage.generation == number / 6)
            #expect(record.config.epochs == 3 * (lineage.generation + 1), "a stretch ends at its boundary")
            #expect(fleet.harness.epochs[record.id]?.map(\.epoch) == Array((3 * lineage.generation + 1)...(3 * lineage.generation + 3)),
                    "its own epochs only")
            guard lineage.generation > 0 else {
                #expect(lineage.parent == nil)
                continue
            }
            // The decision, replayed from the generation before's test losses in member order.
            let before = (0..<6).map { byNumber[(lineage.generation - 1) * 6 + $0]! }
            let values = before.map { $0.metric("test_loss") }
            switch rule.decision(for: lineage.member, generation: lineage.generation, values: values) {
            case .keep:
                #expect(lineage.parent == before[lineage.member].id)
                var own = before[lineage.member].config
                own.epochs = record.config.epochs
                #expect(record.config == own, "a kept member goes on with its values")
            case .exploit(let donor):
                exploits += 1
                #expect(lineage.parent == before[donor].id)
                #expect(record.config.hidden == before[donor].config.hidden)
            }
        }
        // ⌈6 × 0.25⌉ = 2 members exploit at each of the 3 boundaries.
        #expect(exploits == 6)
        // Intermediate checkpoints go once the next generation is recorded; the best last stretches are models.
        #expect(fleet.harness.checkpoints.isEmpty, "left: \(fleet.harness.checkpoints.keys.sorted())")
        #expect(fleet.harness.models.count == 2)
        #expect(fleet.harness.models.allSatisfy { id in byNumber.values.first { $0.id == id }!.point.lineage!.generation == 3 })
    }

    @Test func oneTwoAndEightWorkersKillsAndRestartsGiveTheSameStretches() {
        var reference = Fleet(Self.spec, workers: 1, seed: 1, checkpointing: true)
        let expected = outcomes(reference.run())
        #expect(expected.count == 24)
        for (workers, seed) in [(2, 7), (8, 9), (3, 10)] as [(Int, UInt64)] {
            var fleet = Fleet(Self.spec, workers: workers, seed: seed, checkpointing: true)
            #expect(outcomes(fleet.run()) == expected, "\(workers) workers, interleaving \(seed)")
        }
        let schedules: [(seed: UInt64, workers: Int, killEvery: Int, restarts: Set<Int>)] = [
            (21, 3, 15, [40, 120, 300]), (22, 2, 9, [25, 70]), (24, 8, 6, [55]),
        ]
        for schedule in schedules {
            var fleet = Fleet(Self.spec, workers: schedule.workers, seed: schedule.seed, checkpointing: true)
            let observed = outcomes(fleet.run(killEvery: schedule.killEvery, restartAt: schedule.restarts))
            print("pbt, schedule \(schedule.seed): \(fleet.kills) workers killed, \(fleet.restarts) restarts")
            #expect(fleet.kills >= 2, "too few kills to mean anything")
            #expect(observed == expected, "schedule \(schedule.seed)")
        }
    }

    @Test func aRestartInTheMiddleOfAGenerationGoesOnFromTheCheckpointsKept() {
        var reference = Fleet(Self.spec, workers: 2, seed: 3, checkpointing: true)
        let expected = outcomes(reference.run())
        // Find a step where part of a later generation is recorded and part is not, and restart there.
        var probe = Fleet(Self.spec, workers: 2, seed: 3, checkpointing: true)
        var step = 0
        while probe.harness.records.count != 9 && step < 100_000 {
            step += 1
            _ = probe.run(limit: 1)
        }
        #expect(probe.harness.records.count == 9, "never 9 recorded")
        var fleet = Fleet(Self.spec, workers: 2, seed: 3, checkpointing: true)
        #expect(outcomes(fleet.run(restartAt: [step, step + 7])) == expected)
        #expect(fleet.restarts == 2)
    }

    @Test func membersThatDivergeCopyOneWithAValueAndWithNoneLeftTheirStretchesFailTheSameWayEachTime() {
        // Learning rates above 0.8 diverge at epoch 2 in the stand-in trainer.
        func spec(_ rates: String, quantile: Double) -> SweepSpec {
            SweepSpec.test("""
                method: pbt
                population_size: 4
                perturbation_interval: 3
                quantile_fraction: \(quantile)
                random_seed: 2
                parameters:
                  learning_rate: {values: [\(rates)]}
                  epochs: {value: 9}
                """)
        }
        // Some diverge: with no upper end at all (quantile 0) they still copy the best member.
        let some = spec("0.01, 0.85, 0.9, 0.02", quantile: 0)
        var one = Fleet(some, workers: 1, seed: 1, checkpointing: true)
        let records = one.run()
        #expect(records.count == 12 && one.harness.scheduler.phase != .running)
        for record in records where record.point.lineage!.generation > 0 {
            let parent = records.first { $0.id == record.point.lineage!.parent }!
            #expect(parent.status == .completed, "stretch \(record.number!) continues a \(parent.status) one")
        }
        var two = Fleet(some, workers: 2, seed: 5, checkpointing: true)
        #expect(outcomes(two.run(killEvery: 7, restartAt: [30])) == outcomes(records))
        // All diverge: nothing to continue from; every later stretch fails, recorded, never handed out.
        let all = spec("0.85, 0.9", quantile: 0.25)
        var fleet = Fleet(all, workers: 2, seed: 3, checkpointing: true)
        let failed = fleet.run()
        #expect(failed.count == 12 && fleet.harness.scheduler.phase != .running)
        #expect(failed.filter { $0.point.lineage!.generation > 0 }.allSatisfy { $0.status == .failed && $0.reason.contains("nothing to continue from") })
        #expect(fleet.harness.checkpoints.isEmpty)
        var again = Fleet(all, workers: 1, seed: 4, checkpointing: true)
        #expect(outcomes(again.run()) == outcomes(failed))
    }

    /// A worker counted as lost comes back with its stretch's final weights (refused: another worker holds
    /// the stretch now) and its result: the result is not recorded without those weights; the stretch
    /// is recorded when its new holder delivers both, and the next generation continues from stored weights.
    @Test(arguments: [4, 5, 6, 7] as [UInt64]) func aLostWorkersResultWaitsForItsStretchsFinalWeights(seed: UInt64) throws {
        let spec = SweepSpec.test("""
            method: pbt
            population_size: 2
            perturbation_interval: 1
            random_seed: \(seed)
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              epochs: {value: 2}
            """)
        var harness = Harness(spec)
        let firstGiven = harness.join("a"), secondGiven = harness.join("b")
        let first = try #require(firstGiven), second = try #require(secondGiven)
        _ = harness.advance(.seconds(2), beating: ["b"])  // a is silent long enough to be counted as lost
        let againGiven = harness.join("c")
        let again = try #require(againGiven)
        #expect(again.trial == first.trial, "the stretch went to c")
        let run = FakeTrainer.run(first.point, continuing: [])
        harness.send(.hello(WorkerID("a"), name: "a", host: "h", running: nil))
        harness.send(.checkpoint(WorkerID("a"), trial: first.trial, epochs: run.epochs))
        harness.send(.result(WorkerID("a"), trial: first.trial, number: 0, outcome: run))
        #expect(!harness.records.contains { $0.id == first.trial }, "recorded without its final weights")
        // b finishes member 1; c finishes member 0, weights first.
        let other = FakeTrainer.run(second.point, continuing: [])
        harness.send(.checkpoint(WorkerID("b"), trial: second.trial, epochs: other.epochs))
        var assigned = harness.send(.result(WorkerID("b"), trial: second.trial, number: 1, outcome: other))
        harness.send(.checkpoint(WorkerID("c"), trial: first.trial, epochs: run.epochs))
        assigned += harness.send(.result(WorkerID("c"), trial: first.trial, number: 0, outcome: run))
        for name in ["a", "b", "c"] { assigned += harness.send(.ready(WorkerID(name))) }
        #expect(harness.records.count == 2)
        let next = assigned.compactMap { action -> Assignment? in if case .assign(_, let a) = action { a } else { nil } }
        #expect(next.count == 2, "generation 1 handed out")
        for assignment in next {
            let parent = try #require(assignment.parent)
            #expect(harness.checkpoints[parent]?.count == assignment.resumeFrom, "stretch \(assignment.number) continues stored weights")
        }
    }

    /// A restart finds a recorded stretch's final checkpoint gone (lost from the folder): the stretch that
    /// would continue it is recorded as failed with the reason, never trained from scratch.
    @Test func aParentWhoseFinalWeightsAreLostFailsItsChildInsteadOfStartingItAfresh() throws {
        var fleet = Fleet(Self.spec, workers: 2, seed: 1, checkpointing: true)
        var steps = 0
        while fleet.harness.records.count < 6 && steps < 100_000 {
            steps += 1
            _ = fleet.run(limit: 1)
        }
        let generation0 = fleet.harness.records.filter { $0.point.lineage?.generation == 0 }
        #expect(generation0.count == 6)
        var checkpoints = fleet.harness.checkpoints
        let lost = try #require(generation0.map(\.id).sorted().first { checkpoints[$0] != nil })
        checkpoints[lost] = nil
        var harness = Harness(Self.spec, records: generation0, epochs: fleet.harness.epochs, checkpoints: checkpoints,
                              models: fleet.harness.models, now: .seconds(100))
        _ = harness.advance(.seconds(10))  // past the restart's grace for workers of the old coordinator
        for name in ["x", "y"] { _ = harness.join(name) }
        let children = harness.records.filter { $0.point.lineage?.parent == lost }
        #expect(!children.isEmpty, "some stretch continues \(lost)")
        #expect(children.allSatisfy { $0.status == .failed && $0.reason.contains("final weights of its parent \(lost) are not stored") })
    }
}

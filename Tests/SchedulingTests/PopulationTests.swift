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
}

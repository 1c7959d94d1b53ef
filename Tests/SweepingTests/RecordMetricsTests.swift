import Testing
import Training
import SweepCore
@testable import Sweeping
import SweepFiles

/// A record's metric columns come from one table (`RecordLayout.metrics`) for both kinds of sweep.
@Suite("Record metrics")
struct RecordMetricsTests {
    static func program(goal: String) throws -> SweepSpec {
        try SweepSpec(yaml: "command: [python, t.py]\nmetric: {name: acc, goal: \(goal)}\nparameters:\n  lr: {values: [0.1]}\n",
                      file: "f.yaml")
    }

    static func epoch(_ n: Int, _ figures: [(String, Double)]) -> EpochMetrics {
        EpochMetrics(epoch: n, seconds: 1, named: figures.map { (name: $0.0, value: $0.1) })
    }

    @Test func theBuiltInTrainersBestIsTheLowestFiniteTestLossWhateverTheGoal() {
        let epochs = [2.0, .infinity, 0.5, 0.5, .nan].enumerated().map {
            EpochMetrics(epoch: $0.offset + 1, trainLoss: 1, testLoss: $0.element, testAccuracy: 0.9, seconds: 1)
        }
        for minimize in [true, false] {
            let best = RecordLayout.trainer.best(of: epochs, minimize: minimize)
            #expect(best?.epoch == 3 && best?.value == 0.5, "minimize \(minimize): \(String(describing: best))")
        }
        #expect(RecordLayout.trainer.best(of: [EpochMetrics(epoch: 1, trainLoss: 1, testLoss: .infinity, testAccuracy: 0,
                                                         seconds: 1)], minimize: true) == nil)
    }

    @Test func aProgramsBestFollowsItsGoalAndCountsAnInfinityItPrinted() throws {
        let maximize = RecordLayout(try Self.program(goal: "maximize"))
        let epochs = [Self.epoch(1, [("acc", 0.5)]), Self.epoch(2, [("acc", .nan)]), Self.epoch(3, [("acc", 0.9)]),
                      Self.epoch(4, [("loss", 1)])]
        #expect(maximize.best(of: epochs, minimize: false).map { [Double($0.epoch), $0.value] } == [3, 0.9])
        #expect(maximize.best(of: epochs, minimize: true).map { [Double($0.epoch), $0.value] } == [1, 0.5])
        let infinite = [Self.epoch(1, [("acc", .infinity)])]
        #expect(maximize.best(of: infinite, minimize: true)?.value == .infinity)
        #expect(maximize.metrics.map(\.name) == ["acc", "best_acc"])
    }

    @Test func aMetricAnswersToItsColumnWithOrWithoutFinal() throws {
        let layout = RecordLayout(try Self.program(goal: "maximize"))
        let spec = try Self.program(goal: "maximize")
        let trial = Trial(point: spec.point(at: 0))
        let result = TrainingResult(config: nil, epochs: [Self.epoch(1, [("acc", 0.25)]), Self.epoch(2, [("acc", 0.75), ("test_loss", 3)])],
                                    status: .completed)
        let record = TrialRecord(trial: trial, result: result, attempts: 1, worker: "w", host: "h", layout: layout, minimize: false)
        #expect(record.metrics == ["acc": 0.75, "best_acc": 0.75])
        #expect(record.metric("acc") == 0.75 && record.metric("final_acc") == 0.75 && record.metric("best_acc") == 0.75)
        #expect(record.metric("test_loss") == nil && record.bestEpoch == 2)
        let read = try TrialRecord(fields: record.fields, header: Dictionary(uniqueKeysWithValues: layout.columns.enumerated().map { ($1, $0) }),
                                   layout: layout)
        #expect(read == record)

        let model = TrialRecord(trial: Trial(config: TrainingConfig()), result: TrainingResult(
            config: TrainingConfig(), epochs: [EpochMetrics(epoch: 1, trainLoss: 2, testLoss: 1, testAccuracy: 0.5, seconds: 1)],
            status: .completed), attempts: 1, worker: "w", host: "h", layout: .trainer)
        #expect(model.metric("test_loss") == 1 && model.metric("final_test_loss") == 1 && model.metric("best_test_loss") == 1)
        #expect(model.metric("train_loss") == 2 && model.metric("test_accuracy") == 0.5 && model.metric("best_test_accuracy") == nil)
    }
}

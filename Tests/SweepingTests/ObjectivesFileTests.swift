import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Sweeping
import SweepCore
@testable import SweepFiles

/// `metrics:`, `metric_constraints:`, `warm_start:` and `enqueue:` as a sweep file says them, every
/// mistake in one line; rankings with Pareto fronts and feasibility; `feasible` in `trials.csv`.
@Suite("Several objectives in sweep files and rankings")
struct ObjectivesFileTests {
    static let space = "parameters:\n  learning_rate: {values: [0.01, 0.1]}\n  hidden: {values: [\"32\", \"128\"]}\n  epochs: {value: 2}\n"

    static func spec(_ head: String) throws -> SweepSpec { try SweepSpec(yaml: head + space, file: "mo.yaml", checkFiles: false) }

    static func problems(_ head: String) -> [String] {
        do throws(SpecError) {
            _ = try SweepSpec(yaml: head + space, file: "mo.yaml", checkFiles: false)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func severalMetricsAreReadWithTheirGoalsAndTargets() throws {
        let spec = try Self.spec("""
            metrics:
              - {name: test_loss, goal: minimize, target: 0.3}
              - {name: model_size}
              - {name: test_accuracy}
            metric_constraints: ["test_accuracy >= 0.85", "model_size <= 50000"]

            """)
        #expect(spec.objectives.metrics.map(\.name) == ["test_loss", "model_size", "test_accuracy"])
        #expect(spec.objectives.metrics.map(\.goal) == [.minimize, .minimize, .maximize])
        #expect(spec.metric.name == "test_loss" && spec.metric.target == 0.3)
        #expect(spec.objectives.constraints == [MetricConstraint(name: "test_accuracy", atLeast: true, bound: 0.85),
                                                MetricConstraint(name: "model_size", atLeast: false, bound: 50_000)])
        #expect(spec.layout.columns.last == "feasible")
    }

    @Test func mistakesInObjectivesAreEachOneLine() {
        let cases: [(String, String)] = [
            ("metric: {name: test_loss}\nmetrics: [{name: test_loss}, {name: model_size}]\n", "metrics: and metric are both given"),
            ("metrics: [{name: test_loss}]\n", "lists 1 metric; give at least two"),
            ("metrics: [{name: test_loss}, {name: modelsize}]\n", "did you mean model_size"),
            ("metrics: [{name: test_loss}, {name: test_loss}]\n", "is already metrics[0]"),
            ("metrics: {name: test_loss}\n", "must be a list of at least two"),
            ("metric_constraints: [\"test_accuracy > 0.85\"]\n", "is not >= or <="),
            ("metric_constraints: [\"test_accuracy >= high\"]\n", "is not a finite number"),
            ("metric_constraints: [\"accuracy >= 0.8\"]\n", "'accuracy' is not a metric"),
            ("metric_constraints: \"test_accuracy >= 0.8\"\n", "must be a list"),
            ("metrics: [{name: test_loss}, {name: model_size}]\nearly_terminate: {type: median}\n", "median compares a trial"),
            ("metric: {name: flops}\nearly_terminate: {type: asha}\n", "flops is not a figure of each epoch"),
            ("enqueue: [{learning_rate: 0.5, hidden: \"32\"}]\n", "is not in this sweep's space for learning_rate"),
            ("enqueue: [{learning_rate: 0.1}]\n", "enqueue[0].hidden: missing"),
            ("enqueue: [{learning_rate: 0.1, hidden: \"32\", momentum: 0.9}]\n", "is not a parameter of this sweep"),
            ("enqueue: [{learning_rate: fast, hidden: \"32\"}]\n", "must be a number"),
        ]
        for (head, fragment) in cases {
            let found = Self.problems(head)
            #expect(found.count == 1, "\(head): \(found)")
            #expect(found.first?.contains(fragment) == true, "\(head): \(found)")
        }
        // Several at once, each on its own line.
        let many = Self.problems("metrics: [{name: test_loss}, {name: flop}]\nmetric_constraints: [\"x = 1\"]\n"
                                 + "enqueue: [{learning_rate: 2, hidden: \"32\"}]\n")
        #expect(many.count == 3, "\(many)")
    }

    @Test func aTimedObjectiveIsWarnedAboutAndConstraintsOfAProgramMayNameAnyFigure() throws {
        let timed = try Self.spec("metrics: [{name: test_loss}, {name: seconds}]\n")
        #expect(timed.warnings.contains { $0.contains("seconds is training time") }, "\(timed.warnings)")
        #expect(try Self.spec("metrics: [{name: test_loss}, {name: model_size}]\n").warnings.isEmpty)
        let program = try SweepSpec(yaml: """
            command: [python, t.py]
            metrics: [{name: loss, goal: minimize}, {name: latency_ms, goal: minimize}]
            metric_constraints: ["acc >= 0.5"]
            parameters:
              lr: {values: [0.1, 0.2]}
            """, file: "p.yaml", checkFiles: false)
        #expect(program.layout.metricColumns == ["loss", "best_loss", "latency_ms"])
        #expect(program.objectives.constraints.first?.name == "acc")
    }

    @Test func theTrainersCostFiguresAreFunctionsOfItsConfiguration() {
        var config = TrainingConfig()
        #expect(config.modelSize == 784 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10)
        #expect(config.modelSize == 118_282)
        config.hidden = [32]
        #expect(config.modelSize == 784 * 32 + 32 + 32 * 10 + 10)
        // Multiply-adds: per epoch 60,000 × (3F − 784·32) + 10,000 × F + ⌈60,000/64⌉ × size, F = 784·32 + 32·10.
        let f = 784.0 * 32 + 32 * 10
        let perEpoch = 60_000 * (3 * f - 784 * 32) + 10_000 * f + 938 * Double(config.modelSize)
        config.epochs = 3
        #expect(config.multiplyAdds() == 3 * perEpoch)
        #expect(config.multiplyAdds(epochs: 1) == perEpoch)
        config.trainLimit = 640
        #expect(config.multiplyAdds(epochs: 1) == 640 * (3 * f - 784 * 32) + 10_000 * f + 10 * Double(config.modelSize))
    }

    @Test func rankingsPutFrontsFirstAndFeasibleBeforeInfeasible() throws {
        let spec = try Self.spec("""
            metrics: [{name: test_loss}, {name: model_size}]
            metric_constraints: ["test_accuracy >= 0.6"]

            """)
        // Four configurations: (lr, hidden) → test loss, accuracy; model sizes: 32 → 25,450, 128 → 118,282.
        let figures: [(Int, Double, Double)] = [(0, 0.5, 0.9), (1, 0.4, 0.9), (2, 0.3, 0.9), (3, 0.2, 0.5)]
        let records = figures.map { position, loss, accuracy in
            let trial = Trial(point: spec.point(at: position))
            let epochs = [EpochMetrics(epoch: 1, trainLoss: loss, testLoss: loss, testAccuracy: accuracy, seconds: 1)]
            var record = TrialRecord(trial: trial, result: TrainingResult(config: trial.config, epochs: epochs, status: .completed),
                                     attempts: 1, worker: "w", host: "h", number: position, layout: spec.layout)
            record.judgeFeasibility(spec.objectives)
            return record
        }
        #expect(records.map(\.feasible) == [true, true, true, false])
        let ranking = Ranking(records: records, metric: spec.metric, objectives: spec.objectives)
        // Grid order: (0.01, 32), (0.01, 128), (0.1, 32), (0.1, 128). Feasible: (0.5, 25k), (0.4, 118k), (0.3, 25k):
        // (0.3, 25k) dominates both others: front 1 alone; then (0.5, 25k) and (0.4, 118k) share front 2,
        // by test loss. The infeasible (0.2, 118k) is last though it has the lowest loss.
        #expect(ranking.rows.map(\.trials[0]) == [2, 1, 0, 3].map { records[$0].id })
        #expect(ranking.rows.map(\.front) == [1, 2, 2, 1])
        #expect(ranking.rows.map(\.rank) == [1, 2, 3, 4])
        let table = ranking.table()
        #expect(table.hasPrefix("#  front"))
        #expect(table.contains("infeasible"))
        let json = try JSONSerialization.jsonObject(with: Data(ranking.json().utf8)) as! [[String: Any]]
        #expect(json[0]["front"] as? Int == 1)
        #expect((json[0]["objectives"] as? [String: Double])?["model_size"] == 25_450)
        #expect(json[3]["feasible"] as? Bool == false)
        // One objective: no front column, the order of today (feasibility aside).
        let plain = Ranking(records: records, metric: spec.metric)
        #expect(plain.rows.map(\.trials[0]) == [3, 2, 1, 0].map { records[$0].id })
        #expect(!plain.table().contains("front"))
    }

    @Test func feasibleIsWrittenAndReadBackAndOlderFilesHaveNone() throws {
        let spec = try Self.spec("metric_constraints: [\"test_accuracy >= 0.6\"]\n")
        let trial = Trial(point: spec.point(at: 0))
        var record = TrialRecord(trial: trial, result: TrainingResult(config: trial.config, epochs: [], status: .failed),
                                 attempts: 1, worker: "w", host: "h", number: 0, layout: spec.layout)
        record.judgeFeasibility(spec.objectives)
        #expect(record.feasible == false, "no values: infeasible")
        let columns = spec.layout.columns
        let header = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        let back = try TrialRecord(fields: record.fields, header: header, layout: spec.layout)
        #expect(back.feasible == false && back == record)
        let older = Dictionary(uniqueKeysWithValues: columns.dropLast().enumerated().map { ($1, $0) })
        #expect(try TrialRecord(fields: Array(record.fields.dropLast()), header: older, layout: spec.layout).feasible == nil)
        var bad = record.fields
        bad[bad.count - 1] = "maybe"
        #expect(throws: RecordError.self) { try TrialRecord(fields: bad, header: header, layout: spec.layout) }
    }
}

import Foundation
import Testing
@testable import Sweeping
import SweepFiles
import SweepCore
import Training

/// `method: pbt` in a sweep file: its keys and defaults, every mistake in one line, the records'
/// lineage columns, and a member's schedule read back from them.
@Suite("PBT sweep files and records")
struct PopulationFileTests {
    static let space = """
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          dropout: {values: [0.0, 0.1, 0.2]}
          epochs: {value: 20}
        """

    static func problems(_ text: String) -> [String] {
        do throws(SpecError) {
            _ = try SweepSpec(yaml: text, file: "pbt.yaml", checkFiles: false)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func theKeysAreReadWithRaysDefaults() throws {
        let spec = try SweepSpec(yaml: "method: pbt\npopulation_size: 8\nperturbation_interval: 5\nrandom_seed: 3\n" + Self.space, file: "pbt.yaml")
        let rule = try #require(spec.population)
        #expect(rule == PopulationRule(populationSize: 8, perturbationInterval: 5, quantileFraction: 0.25, resampleProbability: 0.25,
                                       perturbationFactors: [1.2, 0.8], seed: 3))
        // 8 members × 4 stretches of 5 epochs, generation by generation.
        #expect(spec.count == 32 && rule.generations(of: 20) == 4 && rule.end(of: 3, epochs: 20) == 20)
        #expect(spec.layout.columns.suffix(4) == ["feasible", "member", "generation", "parent"])
        let other = try SweepSpec(yaml: """
            method: pbt
            population_size: 4
            perturbation_interval: 6
            quantile_fraction: 0.5
            resample_probability: 0
            perturbation_factors: [2, 0.5, 1.1]
            """ + "\n" + Self.space, file: "pbt.yaml")
        #expect(other.population?.quantileFraction == 0.5 && other.population?.resampleProbability == 0)
        #expect(other.population?.perturbationFactors == [2, 0.5, 1.1])
        // 20 epochs in stretches of 6: 6, 12, 18, 20.
        #expect(other.count == 16 && other.population?.end(of: 3, epochs: 20) == 20 && other.population?.end(of: 2, epochs: 20) == 18)
        // Two files that differ in a pbt key are two sweeps.
        #expect(SweepDefinition(spec) != SweepDefinition(other))
    }

    @Test func everyMistakeIsOneLineAndAllComeAtOnce() {
        let cases: [(String, String)] = [
            ("method: pbt\nperturbation_interval: 5\n" + Self.space, "method: pbt needs population_size"),
            ("method: pbt\npopulation_size: 8\n" + Self.space, "method: pbt needs perturbation_interval"),
            ("method: pbt\npopulation_size: 1\nperturbation_interval: 5\n" + Self.space, "population_size"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nquantile_fraction: 0.6\n" + Self.space, "must be from 0 to 0.5"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nresample_probability: 2\n" + Self.space, "must be from 0 to 1"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nperturbation_factors: 1.2\n" + Self.space, "must be a list"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nperturbation_factors: [1.2, -1]\n" + Self.space, "above 0"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 20\n" + Self.space, "is not shorter than the run"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nearly_terminate: {type: hyperband, min_iter: 1}\n" + Self.space,
             "cannot be used with method: pbt"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nparameters:\n  learning_rate: {values: [0.1, 0.01]}\n"
             + "  epochs: {values: [10, 20]}\n", "is every member's whole run"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nprogram: train.py\nparameters:\n  lr: {values: [0.1, 0.01]}\n",
             "pbt runs the built-in trainer only"),
            ("method: pbd\npopulation_size: 8\nperturbation_interval: 5\n" + Self.space, "did you mean pbt"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nmetric: {name: test_loss, target: 0.3}\n" + Self.space,
             "metric.target: cannot be used with method: pbt"),
            ("method: pbt\npopulation_size: 8\nperturbation_interval: 5\nmetrics: [{name: test_loss}, {name: model_size}]\n" + Self.space,
             "ranks a population by one metric"),
        ]
        for (text, fragment) in cases {
            let found = Self.problems(text)
            #expect(found.count == 1, "\(text): \(found)")
            #expect(found.first?.contains(fragment) == true, "\(text): \(found)")
        }
        let many = Self.problems("method: pbt\nquantile_fraction: 1\nenqueue: [{learning_rate: 0.1}]\n" + Self.space)
        #expect(many.count == 4, "\(many)")  // population_size, perturbation_interval, quantile_fraction, enqueue
    }

    @Test func pbtKeysUnderAnotherMethodAreWarnedAbout() throws {
        let spec = try SweepSpec(yaml: "method: random\nrun_cap: 3\npopulation_size: 8\n" + Self.space, file: "r.yaml")
        #expect(spec.population == nil)
        #expect(spec.warnings.contains { $0.contains("population_size") && $0.contains("applies to method: pbt only") }, "\(spec.warnings)")
    }

    @Test func aStretchRowKeepsItsLineageAndTwoStretchesOfOneConfigurationAreTwoTrials() throws {
        let spec = try SweepSpec(yaml: "method: pbt\npopulation_size: 2\nperturbation_interval: 5\n" + Self.space, file: "pbt.yaml")
        let point = spec.point(at: 1)
        let first = Trial(point: point.with(lineage: Lineage(member: 1, generation: 0, parent: nil)))
        let second = Trial(point: point.with(lineage: Lineage(member: 1, generation: 1, parent: first.id)))
        #expect(first.id != second.id && first.id != Trial(point: point).id)
        #expect(spec.admits(first.point) && !spec.admits(point), "a stretch is this sweep's; a point without lineage is not")
        let layout = spec.layout
        let result = TrainingResult(config: point.trainingConfig!, epochs: [
            EpochMetrics(epoch: 6, trainLoss: 0.5, testLoss: 0.4, testAccuracy: 0.8, seconds: 1)], status: .completed)
        let record = TrialRecord(trial: second, result: result, attempts: 1, worker: "w", host: "h", number: 3, layout: layout)
        let header = Dictionary(uniqueKeysWithValues: layout.columns.enumerated().map { ($1, $0) })
        let read = try TrialRecord(fields: record.fields, header: header, layout: layout)
        #expect(read.point.lineage == Lineage(member: 1, generation: 1, parent: first.id))
        #expect(read.id == second.id && read.point == second.point)
        var fields = record.fields
        fields[header["generation"]!] = "-1"
        #expect(throws: RecordError.self) { try TrialRecord(fields: fields, header: header, layout: layout) }
    }

    @Test func aMembersScheduleFollowsItsParentsAcrossMembers() throws {
        let spec = try SweepSpec(yaml: "method: pbt\npopulation_size: 2\nperturbation_interval: 5\n" + Self.space, file: "pbt.yaml")
        func record(_ member: Int, _ generation: Int, parent: TrialRecord?, lr: Double) -> TrialRecord {
            var config = spec.point(at: member).trainingConfig!
            config.learningRate = lr
            config.epochs = 5 * (generation + 1)
            let trial = Trial(point: TrialPoint(config: config).with(lineage: Lineage(member: member, generation: generation, parent: parent?.id)))
            return TrialRecord(failed: trial, reason: "", attempts: 1, worker: "", host: "", number: generation * 2 + member, layout: spec.layout)
        }
        let a0 = record(0, 0, parent: nil, lr: 0.1), b0 = record(1, 0, parent: nil, lr: 0.01)
        let a1 = record(0, 1, parent: a0, lr: 0.1), b1 = record(1, 1, parent: a0, lr: 0.08)  // member 1 copies member 0
        let b2 = record(1, 2, parent: b1, lr: 0.064), a2 = record(0, 2, parent: a1, lr: 0.1)
        var generator = SplitMix64(seed: 11)  // any order of rows gives the same schedules
        let schedules = MemberSchedule.latest(in: [a0, b0, a1, b1, b2, a2].shuffled(using: &generator))
        #expect(schedules.map(\.last.id) == [a2.id, b2.id])
        #expect(schedules[1].stretches.map(\.id) == [a0.id, b1.id, b2.id])
        #expect(schedules[1].configs.map(\.epochs) == [5, 10, 15])
        #expect(schedules[1].text(["learning_rate", "dropout"]) == "learning_rate 0.1 → 0.08 @5 → 0.064 @10; copied a better member at epoch 5")
        #expect(schedules[0].text(["learning_rate"]) == "values kept throughout")
        // A parent missing from the records: no schedule.
        #expect(MemberSchedule.chain(ending: b2, byID: [b2.id: b2, b1.id: b1]) == nil)
    }
}

import Foundation
import Testing
@testable import Reporting
import Sweeping
import SweepFiles
import SweepCore
import Training

/// The report of a `method: pbt` folder: members ranked by their last stretch, each member's run
/// through its chain with the copies marked, the best members' schedules; bounded however large the
/// population.
@Suite("Report: population-based training")
struct PopulationReportTests {
    static func yaml(population: Int) -> String {
        """
        name: pbt
        method: pbt
        population_size: \(population)
        perturbation_interval: 5
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          dropout: {values: [0.0, 0.1, 0.2]}
          epochs: {value: 15}
        """
    }

    /// Three generations; member 0 copies member 1 at each boundary, with its learning rate × 0.8.
    static func data(population: Int) throws -> ReportData {
        let yaml = Self.yaml(population: population)
        let spec = try SweepSpec(yaml: yaml, file: "pbt.yaml")
        var records: [TrialRecord] = [], epochs: [String: [EpochMetrics]] = [:]
        var previous: [TrialRecord] = []
        var losses = (0..<population).map { 1.0 + 0.01 * Double($0) }
        for generation in 0..<3 {
            var current: [TrialRecord] = []
            for member in 0..<population {
                let parent = generation == 0 ? nil : previous[member == 0 ? 1 : member]
                var config = parent?.config ?? spec.point(at: member).trainingConfig!
                if member == 0 && parent != nil { config.learningRate *= 0.8 }
                config.epochs = 5 * (generation + 1)
                let trial = Trial(point: TrialPoint(config: config).with(lineage: Lineage(member: member, generation: generation, parent: parent?.id)))
                let start = member == 0 && parent != nil ? losses[1] : losses[member]
                let metrics = (1...5).map { k in
                    EpochMetrics(epoch: 5 * generation + k, trainLoss: start * 0.9, testLoss: start * pow(0.97, Double(k)), testAccuracy: 0.8, seconds: 0.1)
                }
                losses[member] = metrics.last!.testLoss
                let record = TrialRecord(trial: trial, result: TrainingResult(config: config, epochs: metrics, status: .completed),
                                         attempts: 1, worker: "w", host: "h", number: generation * population + member, layout: spec.layout)
                records.append(record)
                epochs[trial.id] = metrics
                current.append(record)
            }
            previous = current
        }
        return ReportData(directory: "", name: "pbt", specText: yaml, plannedTrials: spec.count, metric: spec.metric, records: records,
                          epochs: epochs, runs: [], logScale: ReportData.logScale(of: spec))
    }

    static func figure(_ html: String, _ kind: String) -> String? {
        html.components(separatedBy: "data-chart=\"\(kind)\"").dropFirst().first?.components(separatedBy: "</figure>").first
    }

    @Test func membersAreRankedAndTheirRunsAndSchedulesDrawn() throws {
        let html = Report(data: try Self.data(population: 4)).render()
        // The ranking: one row a member.
        let ranking = try #require(html.components(separatedBy: "<table class=\"ranking\">").dropFirst().first?.components(separatedBy: "</table>").first)
        #expect(ranking.components(separatedBy: "<tr").count - 2 == 4, "a header and 4 members")
        let population = try #require(Self.figure(html, "population"))
        #expect(population.contains("data-series=\"4\""))
        // Member 0's run is its chain: member 1's first two stretches, then its own, copied at epoch 10
        // (its copy at epoch 5 belongs to a chain that ended there): one mark.
        #expect(population.components(separatedBy: "<circle").count - 1 == 1)
        #expect(population.contains("member 0 copied member 1 at epoch 10"))
        // Only member 0's learning rate changes: one schedule chart, a series per member shown.
        let schedule = try #require(Self.figure(html, "schedule"))
        #expect(schedule.contains("learning_rate schedule"))
        #expect(html.components(separatedBy: "data-chart=\"schedule\"").count - 1 == 1)
    }

    @Test func aLargePopulationDrawsAtMostTheBoundedNumberOfRuns() throws {
        let html = Report(data: try Self.data(population: 300)).render()
        let population = try #require(Self.figure(html, "population"))
        #expect(population.contains("data-series=\"\(Report.populationCurves)\""))
        #expect(population.components(separatedBy: "<polyline").count - 1 <= Report.populationCurves)
        #expect(population.contains("the best \(Report.populationCurves) of 300 members"))
    }
}

import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Reporting
@testable import Sweeping
import SweepCore
import SweepFiles

/// The report of a random sweep over continuous parameters: its size bounded by its charts' pixels,
/// not by the trials, and its labels short.
@Suite("Report size")
struct ReportSizeTests {
    static let yaml = """
        name: random
        method: random
        run_cap: 5000
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 1.0}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          augment: {values: [none, flip, rotate_flip]}
          epochs: {value: 3}
        """

    /// `count` trials of the random sweep above, built in memory (no store): a made-up loss that is
    /// best near learning_rate 0.01, with the high-learning-rate, high-momentum corner diverging.
    static func data(trials count: Int, seed: UInt64) throws -> ReportData {
        let spec = try SweepSpec(yaml: yaml, file: "random.yaml")
        var random = SplitMix64(seed: seed)
        var records: [TrialRecord] = [], epochs: [String: [EpochMetrics]] = [:]
        for index in 0..<count {
            let trial = Trial(point: spec.point(at: index))
            let config = trial.config!
            let diverges = config.learningRate > 0.5 && config.momentum > 0.9
            let base = 0.3 + 0.08 * pow(log10(config.learningRate) + 2, 2) + 0.1 * config.momentum
            var metrics: [EpochMetrics] = []
            for epoch in 1...config.epochs {
                let loss = diverges && epoch == 2 ? Double.nan : base + 0.5 / Double(epoch) + random.nextUnitDouble() * 0.02
                metrics.append(EpochMetrics(epoch: epoch, trainLoss: loss * 0.9, testLoss: loss, testAccuracy: 0.9 - loss / 4, seconds: 0.4))
                if loss.isNaN { break }
            }
            let result = TrainingResult(config: config, epochs: metrics, status: diverges ? .diverged : .completed)
            records.append(TrialRecord(trial: trial, result: result, attempts: 1, worker: "w\(index % 4)", host: "host", number: index, layout: .trainer))
            epochs[trial.id] = metrics
        }
        return ReportData(directory: "", name: "random", specText: yaml, plannedTrials: spec.count, metric: spec.metric,
                          records: records, epochs: epochs, runs: [], logScale: ReportData.logScale(of: spec))
    }

    /// The bytes of a report outside its trial table's packed rows, and of those rows.
    static func split(_ html: String) -> (charts: Int, table: Int) {
        let packed = html.components(separatedBy: "data-encoding=\"gzip+base64\">")[1].prefix { $0 != "<" }.utf8.count
        return (html.utf8.count - packed, packed)
    }

    /// The text of every SVG `<text>` element.
    static func svgTexts(_ html: String) -> [String] {
        html.components(separatedBy: "<text").dropFirst().map { piece in
            let afterTag = piece.drop { $0 != ">" }.dropFirst()
            return String(afterTag.prefix { $0 != "<" })
        }
    }

    @Test func aFiveThousandTrialRandomSweepGivesAReportUnderOneMegabyte() throws {
        let seed: UInt64 = 20
        print("seed \(seed)")
        let clock = ContinuousClock()
        let small = Report(data: try Self.data(trials: 1000, seed: seed)).render()
        let data = try Self.data(trials: 5000, seed: seed)
        let start = clock.now
        let html = Report(data: data).render()
        print("report of 5,000 random trials: \(html.utf8.count) bytes (1,000 trials: \(small.utf8.count)), "
              + "rendered in \(start.duration(to: clock.now)) (debug build)")
        #expect(html.utf8.count < 1_000_000, "\(html.utf8.count) bytes")
        // Five times the trials, (almost) the same charts: only the table of every trial grows with them,
        // by a few dozen bytes a trial (packed and gzipped).
        let (charts, table) = Self.split(html), (smallCharts, smallTable) = Self.split(small)
        #expect(Double(charts) < Double(smallCharts) * 1.1, "\(smallCharts) → \(charts) bytes")
        let perTrial = Double(table - smallTable) / 4000
        print("the trial table: \(smallTable) bytes at 1,000 trials, \(table) at 5,000: \(perTrial) bytes a trial")
        #expect(perTrial > 5 && perTrial < 40, "\(perTrial) bytes a trial")
        // The heatmap: learning_rate × momentum in at most 10 × 10 bins, one row a series.
        #expect(html.contains("learning_rate (log bins)") && html.contains("momentum (quantile bins)"))
        let heatmap = html.components(separatedBy: "data-chart=\"heatmap\"")[1].components(separatedBy: "</figure>")[0]
        #expect(heatmap.components(separatedBy: "<rect").count - 1 <= ParameterAxis.maxBins * ParameterAxis.maxBins)
        #expect(heatmap.contains("data-series=\"\(heatmap.components(separatedBy: "class=\"series\"").count - 1)\""))
        // Parallel coordinates: the best 50 as lines.
        #expect(html.contains("data-chart=\"parallel\" data-series=\"\(Report.parallelLines)\""))
        #expect(html.contains("bands: the other 4950"))
    }

    @Test func aFiveThousandTrialTwoObjectiveReportStaysBoundedToo() throws {
        // The same trials ranked by test loss and train loss, with a constraint: the front charts draw at
        // most `frontMarks` marks and bin the rest; the hypervolume lines at most `lineSteps` steps.
        func html(_ count: Int) throws -> String {
            var data = try Self.data(trials: count, seed: 21)
            data.objectives = Objectives(metrics: [Metric(name: "test_loss"), Metric(name: "seconds")],
                                         constraints: [MetricConstraint(name: "test_accuracy", atLeast: true, bound: 0.7)])
            for index in data.records.indices {
                data.records[index].seconds = Double(index % 97) + 1
                data.records[index].judgeFeasibility(data.objectives)
            }
            return Report(data: data).render()
        }
        let small = try html(1000), large = try html(5000)
        print("two-objective report: 1,000 trials \(small.utf8.count) bytes, 5,000 trials \(large.utf8.count) bytes")
        #expect(large.utf8.count < 1_000_000)
        // What can grow with the trials is bounded: marks and density cells (filled as trials spread).
        let front = large.components(separatedBy: "data-chart=\"front-test_loss-seconds\"")[1].components(separatedBy: "</figure>")[0]
        #expect(front.components(separatedBy: "<circle").count - 1 <= Report.frontMarks)
        #expect(front.components(separatedBy: "<rect").count - 1 <= Report.densityCells.x * Report.densityCells.y)
        let smallFront = small.components(separatedBy: "data-chart=\"front-test_loss-seconds\"")[1].components(separatedBy: "</figure>")[0]
        #expect(smallFront.components(separatedBy: "<circle").count - 1 == Report.frontMarks, "the check can fail: 1,000 trials fill the marks")
        #expect(front.contains("more trials, binned"))
        #expect(front.contains("infeasible"))
        for chart in ["hypervolume-trials", "hypervolume-time"] {
            let figure = large.components(separatedBy: "data-chart=\"\(chart)\"")[1].components(separatedBy: "</figure>")[0]
            let points = figure.components(separatedBy: "points=\"")[1].prefix { $0 != "\"" }.split(separator: " ").count
            #expect(points <= 2 * Report.lineSteps + 2, "\(chart): \(points) points")
        }
    }

    /// The number with the most significant digits in `text` (`""` if none).
    static func longestNumber(in text: String) throws -> String {
        let number = try Regex("[0-9]*\\.?[0-9]+(e-?[0-9]+)?")
        var longest = ""
        for match in text.matches(of: number) {
            let digits = String(text[match.range])
            if DisplayNumber.significantDigits(digits) > DisplayNumber.significantDigits(longest) { longest = digits }
        }
        return longest
    }

    @Test func labelsShowAtMostFourSignificantDigits() throws {
        let html = Report(data: try Self.data(trials: 300, seed: 7)).render()
        let texts = Self.svgTexts(html)
        #expect(texts.count > 100)
        let longest = try Self.longestNumber(in: texts.joined(separator: " "))
        #expect(DisplayNumber.significantDigits(longest) <= 4, "a label shows \(longest)")
        // The legend of the loss curves names the configurations by rounded values too.
        let curves = html.components(separatedBy: "data-chart=\"curves\"")[1]
        let legend = curves.components(separatedBy: "class=\"legend\"")[1].components(separatedBy: "</div>")[0]
        let values = legend.matches(of: try Regex("[a-z]=[0-9][^ <]*")).map { String(legend[$0.range].dropFirst(2)) }
        #expect(values.count == 20 && values.contains { $0.hasPrefix("0.0") })
        #expect(values.allSatisfy { Double($0) == nil || DisplayNumber.significantDigits($0) <= 4 }, "\(values)")
        // The ranking table's parameter values as well (its metric, four decimals, is below 1 here).
        let table = html.components(separatedBy: "<table")[1].components(separatedBy: "</table>")[0]
        let cells = table.components(separatedBy: "<td>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(cells.contains { $0.hasPrefix("0.0") })
        #expect(cells.allSatisfy { Double($0) == nil || DisplayNumber.significantDigits($0) <= 4 }, "\(cells)")
    }

    @Test func reportsOfNoTrialsAndOfFailedTrialsOnlyRender() throws {
        let empty = ReportData(directory: "", name: "empty", specText: nil, plannedTrials: nil, metric: Metric(),
                               records: [], epochs: [:], runs: [])
        #expect(Report(data: empty).render().contains("0 trials recorded"))
        // Every trial failed: no metric anywhere, 40 distinct learning rates (binned) all the same.
        let spec = try SweepSpec(yaml: Self.yaml, file: "random.yaml")
        let records = (0..<40).map { index in
            TrialRecord(failed: Trial(point: spec.point(at: index)), reason: "boom", attempts: 1, worker: "w", host: "h", layout: .trainer)
        }
        let failed = ReportData(directory: "", name: "failed", specText: nil, plannedTrials: nil, metric: Metric(),
                                records: records, epochs: [:], runs: [], logScale: ReportData.logScale(of: spec))
        let html = Report(data: failed).render()
        #expect(html.contains("40 failed") && html.contains("data-chart=\"parallel\" data-series=\"40\""))
    }

    @Test func stoppedSeedsOfAConfigurationDrawABoundedNumberOfSquares() throws {
        // Six configurations, each repeated with 400 seeds, nearly all stopped at a rung.
        let yaml = """
            name: seeds
            parameters:
              learning_rate: {values: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]}
              seed: {values: [\((0..<400).map(String.init).joined(separator: ", "))]}
              epochs: {value: 4}
            """
        let spec = try SweepSpec(yaml: yaml, file: "seeds.yaml")
        var records: [TrialRecord] = [], epochs: [String: [EpochMetrics]] = [:]
        for (index, trial) in spec.space.enumerated() {
            let config = trial.config!
            let rung = index % 7 == 0 ? 4 : 1 + index % 3
            let metrics = (1...rung).map { epoch in
                EpochMetrics(epoch: epoch, trainLoss: 1, testLoss: 1 / Double(epoch) + config.learningRate + Double(index % 5) / 100,
                             testAccuracy: 0.8, seconds: 1)
            }
            let result = TrainingResult(config: config, epochs: metrics, status: rung == 4 ? .completed : .stopped)
            records.append(TrialRecord(trial: trial, result: result, attempts: 1, worker: "w", host: "h", number: index, layout: .trainer))
            epochs[trial.id] = metrics
        }
        let stopped = records.filter { $0.status == .stopped }.count
        #expect(records.count == 2400 && stopped > 2000)
        let data = ReportData(directory: "", name: "seeds", specText: yaml, plannedTrials: spec.count, metric: spec.metric,
                              records: records, epochs: epochs, runs: [])
        let html = Report(data: data).render()
        let curves = html.components(separatedBy: "data-chart=\"curves\"")[1].components(separatedBy: "</figure>")[0]
        func squares(_ text: String) -> Int { text.components(separatedBy: "width=\"7.0\" height=\"7.0\"").count - 1 }
        let groups = curves.components(separatedBy: "<g class=\"series\"").dropFirst()
        #expect(groups.count == 7, "six configurations and the stopped trials' group")
        #expect(groups.allSatisfy { squares($0) <= Report.stoppedSquares.perConfiguration }, "\(groups.map(squares))")
        #expect(squares(curves) == Report.stoppedSquares.inAll, "\(squares(curves)) squares for \(stopped) stopped trials")
        #expect(curves.contains("(\(Report.stoppedSquares.inAll) of these \(stopped) shown)"))
    }
}

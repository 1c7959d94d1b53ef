import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Reporting
@testable import Sweeping
import SweepCore
import ResultsStore
import SweepFiles

/// The HTML report, looked at the way a person would: rendered by headless Chromium.
@Suite("Report")
struct ReportTests {

    /// A fixture sweep written through the real store: learning_rate × weight_decay × dropout with
    /// two seeds (16 trials, 8 configurations), plus one diverged trial; `epochs` epochs each.
    static func fixture(in directory: String, seeds: [UInt64] = [0, 1], epochs: Int = 6,
                        learningRates: [Double] = [0.01, 0.1, 1.0], extraDropouts: [Double] = []) throws -> String {
        var text = """
            name: fixture
            parameters:
              learning_rate: {values: [\(learningRates.map { "\($0)" }.joined(separator: ", "))]}
              weight_decay: {values: [0.0, 1.0e-4]}
              dropout: {values: [\(([0.0, 0.4] + extraDropouts).map { "\($0)" }.joined(separator: ", "))]}
              seed: {values: [\(seeds.map(String.init).joined(separator: ", "))]}
              epochs: {value: \(epochs)}

            """
        text = text.replacingOccurrences(of: "\n\n", with: "\n")
        let spec = try SweepSpec(yaml: text, file: "fixture.yaml")
        let store = try ResultStore(directory: directory, layout: .trainer)
        try store.writeSpec(text)
        var random = SplitMix64(seed: 3)
        for trial in spec.space {
            let config = trial.config!
            let diverges = config.learningRate == 1.0 && config.dropout == 0.4
            let base = 0.3 + config.dropout * 0.1 + config.weightDecay * 100 + abs(log10(config.learningRate) + 1.5) * 0.05
            var metrics: [EpochMetrics] = []
            for epoch in 1...config.epochs {
                let decay = exp(-Double(epoch) / 3)
                let noise = random.nextUnitDouble() * 0.01
                metrics.append(EpochMetrics(epoch: epoch, trainLoss: base * 0.8 + decay, testLoss: base + decay * 0.9 + noise,
                                            testAccuracy: 0.9 - base / 3, seconds: 0.5))
                if diverges && epoch == 2 {
                    metrics[metrics.count - 1].trainLoss = .nan
                    metrics[metrics.count - 1].testLoss = .nan
                    break
                }
            }
            let result = TrainingResult(config: config, epochs: metrics, status: diverges ? .diverged : .completed)
            try store.append(TrialRecord(trial: trial, result: result, attempts: 1, worker: "w\(trial.id.prefix(1))",
                                         host: "host", layout: .trainer), epochs: metrics)
        }
        try store.appendRun(.init(started: 1000, finished: 1100, workers: ["w1", "w2"], hosts: ["host"], outcome: .finished))
        try Self.timeline(for: spec, in: directory)
        return directory
    }

    /// A `timeline.csv` as two workers would leave it: trials in turn, 4 s each; the third trial's
    /// first worker lost half-way (it starts again), the fifth paused at epoch 2 and continued.
    static func timeline(for spec: SweepSpec, in directory: String) throws {
        var rows = [Timeline.header + "\n"], free = [1000.0, 1000.0]
        for (number, trial) in spec.space.enumerated() {
            let worker = free[0] <= free[1] ? 0 : 1
            let name = "w\(worker + 1)"
            rows.append(Timeline.Event(time: free[worker], kind: .start, trial: trial.id, worker: name, detail: "1").line)
            if number == 2 {
                rows.append(Timeline.Event(time: free[worker] + 2, kind: .lost, trial: trial.id, worker: name).line)
                free[worker] += 2
                rows.append(Timeline.Event(time: free[worker], kind: .start, trial: trial.id, worker: name, detail: "2").line)
            }
            if number == 4 {
                rows.append(Timeline.Event(time: free[worker] + 1, kind: .pause, trial: trial.id, detail: "2").line)
                rows.append(Timeline.Event(time: free[worker] + 1.5, kind: .promote, trial: trial.id, detail: "2").line)
                rows.append(Timeline.Event(time: free[worker] + 1.5, kind: .start, trial: trial.id, worker: name, detail: "1").line)
                rows.append(Timeline.Event(time: free[worker] + 1.5, kind: .resume, trial: trial.id, worker: name, detail: "2").line)
            }
            free[worker] += 4
            rows.append(Timeline.Event(time: free[worker], kind: .end, trial: trial.id, worker: name, detail: "completed").line)
        }
        try rows.joined().write(toFile: ResultsDirectory(directory).timeline, atomically: true, encoding: .utf8)
    }

    /// Runs headless Chromium; returns its DOM dump (or nothing) and what it logged.
    static func chromium(_ arguments: [String]) async throws -> (dom: String, log: String) {
        let outcome = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/chromium"),
                                                  ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                             "--enable-logging=stderr", "--v=0"] + arguments)
        return (outcome.stdout, outcome.stderr)
    }

    static func consoleMessages(_ log: String) -> [Substring] {
        log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
    }

    /// `data-series` of each chart, and the `g.series` groups actually in it, from a DOM dump.
    static func charts(_ dom: String) -> [String: (declared: Int, drawn: Int)] {
        var result: [String: (Int, Int)] = [:]
        for piece in dom.components(separatedBy: "<figure").dropFirst() {
            let figure = piece.components(separatedBy: "</figure>")[0]
            guard let name = figure.range(of: "data-chart=\"").map({ figure[$0.upperBound...].prefix { $0 != "\"" } }),
                  let declared = figure.range(of: "data-series=\"").map({ Int(figure[$0.upperBound...].prefix { $0 != "\"" })! })
            else { continue }
            result[String(name)] = (declared, figure.components(separatedBy: "class=\"series\"").count - 1)
        }
        return result
    }

    // Chromium comes from Scripts/test; without it these fail rather than skip.
    @Test(.heavy, .timeLimit(.minutes(10))) func chromiumRendersEveryChartWithoutConsoleErrors() async throws {
        let scratch = Scratch()
        let directory = try Self.fixture(in: scratch.file("fixture"))
        let html = Report(data: try ReportData(directory: directory)).render()
        try html.write(toFile: scratch.file("report.html"), atomically: true, encoding: .utf8)
        // One script, the trial table's (and its rows, as data); every chart is drawn without one.
        #expect(html.components(separatedBy: "<script>").count - 1 == 1 && html.contains("<script type=\"application/json\""),
                "the report's only script is the table's")
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"),
                "the report must not fetch anything")

        let (dom, log) = try await Self.chromium(["--dump-dom", "file://" + scratch.file("report.html")])
        #expect(Self.consoleMessages(log).isEmpty, "console: \(Self.consoleMessages(log))")
        let charts = Self.charts(dom)
        // 12 configurations, 24 trials; heatmap learning_rate × weight_decay: 2 rows.
        // The ten best configurations (two seeds each: a mean and its band) and the stopped trials' group.
        #expect(charts["curves"]?.drawn == 11 && charts["curves"]?.declared == 11)
        let curves = dom.components(separatedBy: "data-chart=\"curves\"")[1].components(separatedBy: "</figure>")[0]
        #expect(curves.components(separatedBy: "<polygon").count - 1 == 10, "a mean ± sd band per configuration of two seeds")
        #expect(curves.components(separatedBy: "class=\"train\"").count - 1 == 10, "train loss, hidden until asked for")
        #expect(charts["history-trials"]?.drawn == 3 && charts["history-time"]?.drawn == 3)
        let history = dom.components(separatedBy: "data-chart=\"history-trials\"")[1].components(separatedBy: "</figure>")[0]
        #expect(history.components(separatedBy: "<circle").count - 1 == 20, "every completed trial a mark (four diverged)")
        // The timeline: two workers; 24 trials, one started twice after its worker was lost, one paused and continued.
        #expect(charts["timeline"]?.drawn == 1)
        let timeline = dom.components(separatedBy: "data-chart=\"timeline\"")[1].components(separatedBy: "</figure>")[0]
        #expect(timeline.contains(">w1</text>") && timeline.contains(">w2</text>"))
        #expect(timeline.components(separatedBy: "<rect").count - 1 == 26, "24 trials, a lost stretch and a paused one")
        #expect(timeline.contains("26 stretches on 2 workers · 1 pause · 1 requeue"))
        #expect(charts["parameter-learning_rate"]?.drawn == 3)
        #expect(charts["parameter-weight_decay"]?.drawn == 2)
        #expect(charts["parameter-dropout"]?.drawn == 2)
        #expect(charts["heatmap"]?.drawn == 2)
        #expect(charts["parallel"]?.drawn == 24)
        #expect(charts.values.allSatisfy { $0.declared == $0.drawn }, "\(charts)")
        #expect(dom.contains("24 of 24 trials recorded"))
        #expect(dom.contains("wall time 1m 40s"))

        // And a picture of it, as a person sees it.
        let png = scratch.file("report.png")
        let shot = try await Self.chromium(["--window-size=1200,2600", "--screenshot=\(png)", "file://" + scratch.file("report.html")])
        #expect(Self.consoleMessages(shot.log).isEmpty)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.count > 50_000, "the screenshot is suspiciously small")
        #expect(bytes.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func theConsoleCheckCatchesErrors() async throws {
        // The check above would pass vacuously if console errors never showed up in the log.
        let scratch = Scratch()
        try "<html><body><script>throw new Error('kaput')</script></body></html>"
            .write(toFile: scratch.file("bad.html"), atomically: true, encoding: .utf8)
        let (_, log) = try await Self.chromium(["--dump-dom", "file://" + scratch.file("bad.html")])
        #expect(Self.consoleMessages(log).contains { $0.contains("kaput") })
    }

    @Test func aTwoHundredTrialReportStaysSmall() throws {
        let scratch = Scratch()
        // 5 × 2 × 5 × 4 = 200 trials of 20 epochs.
        let directory = try Self.fixture(in: scratch.file("big"), seeds: [0, 1, 2, 3], epochs: 20,
                                         learningRates: [0.001, 0.01, 0.1, 0.3, 1.0], extraDropouts: [0.1, 0.2, 0.3])
        let clock = ContinuousClock()
        let start = clock.now
        let html = Report(data: try ReportData(directory: directory)).render()
        let elapsed = start.duration(to: clock.now)
        #expect(try ReportData(directory: directory).records.count == 200)
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
        print("report of 200 trials: \(html.utf8.count) bytes, rendered in \(elapsed) (debug build)")
    }
}

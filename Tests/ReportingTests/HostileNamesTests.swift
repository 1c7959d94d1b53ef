import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Reporting
@testable import Sweeping
import SweepCore
import ResultsStore
import SweepFiles

/// Names in a sweep are anyone's text: a program's metric and parameters, its listed values, a trial
/// id in a hand-edited `trials.csv`, a worker's name. In the report they stay text.
@Suite("Report: hostile names")
struct HostileNamesTests {
    /// Closes an attribute and opens a script, and carries the mark the report once spliced its table in at.
    static let hostile = "\"><script>x</script><!--sweep: the trial table-->"

    /// A program sweep whose metric, a parameter (`p` and `hostile`: not the metric's column), one of
    /// its listed values, a trial's id and the workers are all `hostile`; one trial stopped at a rung, a timeline of every trial.
    static func folder(in directory: String) throws -> String {
        let yaml = """
            name: hostile
            command: [python, t.py]
            metric: {name: '\(hostile)', goal: minimize}
            parameters:
              'p\(hostile)': {values: ['\(hostile)', plain]}
              lr: {values: [0.1, 0.2, 0.3]}
            """
        let spec = try SweepSpec(yaml: yaml, file: "hostile.yaml")
        let layout = RecordLayout(spec)
        let store = try ResultStore(directory: directory, layout: layout)
        try store.writeSpec(yaml)
        var timeline = [Timeline.header + "\n"]
        for (number, trial) in spec.space.enumerated() {
            let epochs = (1...3).map { EpochMetrics(epoch: $0, seconds: 1, named: [(name: hostile, value: 1 / Double($0) + Double(number) / 10)]) }
            let stopped = number == 1
            let result = TrainingResult(config: nil, epochs: stopped ? Array(epochs.prefix(2)) : epochs, status: stopped ? .stopped : .completed)
            var record = TrialRecord(trial: trial, result: result, attempts: 1, worker: hostile, host: hostile, number: number, layout: layout)
            if number == 0 { record.id = hostile }
            if stopped { record.stoppedAt = 2 }
            _ = try store.append(record, epochs: result.epochs)
            timeline.append(Timeline.Event(time: 1000 + Double(number), kind: .start, trial: record.id, worker: hostile, detail: "1").line)
            timeline.append(Timeline.Event(time: 1000.5 + Double(number), kind: .end, trial: record.id, worker: hostile, detail: "completed").line)
        }
        try store.appendRun(.init(started: 1000, finished: 1010, workers: [hostile], hosts: [hostile], outcome: .finished))
        try timeline.joined().write(toFile: ResultsDirectory(directory).timeline, atomically: true, encoding: .utf8)
        return directory
    }

    @Test func namesStayTextAndTheTableGoesWhereItBelongs() throws {
        let scratch = Scratch()
        let data = try ReportData(directory: try Self.folder(in: scratch.file("hostile")))
        #expect(data.records.contains { $0.id == Self.hostile }, "the trial id reads back as written")
        let html = Report(data: data).render()
        // Nothing the names hold became markup: no script but the table's, no comment.
        #expect(!html.contains("<script>x"), "a name was written unescaped")
        #expect(html.components(separatedBy: "<script").count - 1 == 2, "the table's script and its data only")
        #expect(!html.contains("<!--"), "a name's comment, or the mark, was left in the page")
        // And they are still there, as text, where they were put.
        #expect(html.contains("aria-label=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;&lt;!--sweep: the trial table--&gt; by trial number\""))
        #expect(html.contains("data-chart=\"parameter-p&quot;&gt;&lt;script&gt;"), "the slice of the hostile parameter")
        #expect(html.contains("data-name=\"&quot;&gt;&lt;script&gt;"), "a listed value's or a trial's series")
        // The table, once, between its heading and the next.
        let table = html.components(separatedBy: "class=\"trial-table\"")
        #expect(table.count == 2, "one trial table")
        let heading = try #require(html.range(of: "<h2>Every trial</h2>")), next = try #require(html.range(of: "<h2>Sweep file</h2>"))
        let at = try #require(html.range(of: "class=\"trial-table\""))
        #expect(heading.upperBound <= at.lowerBound && at.upperBound <= next.lowerBound, "the table is under its heading")
    }

    @Test func escapingLeavesPlainTextAloneAndEscapesEachSpecialCharacter() {
        #expect(Markup.escape("learning_rate 0.1 → w1") == "learning_rate 0.1 → w1")
        #expect(Markup.escape("a&b\"c'd<e>f") == "a&amp;b&quot;c&#39;d&lt;e&gt;f")
        #expect(Markup.escape("&amp;") == "&amp;amp;", "an entity a name holds is text too")
    }
}

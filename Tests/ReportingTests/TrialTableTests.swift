import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Reporting
@testable import Sweeping
import SweepCore

/// The trial table's script in a real headless Chromium (`browser.py`, as the live tests drive it):
/// the sort it keeps across the bodies the live page swaps in, and cells that are no finite number.
@Suite("Trial table", .heavy, .timeLimit(.minutes(5)))
struct TrialTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/pyenv/bin/python")
    static let browser = root.appendingPathComponent("Tests/SweepCLITests/Fixtures/browser.py")

    static let yaml = """
        name: table
        command: [python, t.py]
        metric: {name: loss, goal: minimize}
        parameters:
          lr: {values: [\((1...20).map { "0.\(String(format: "%02d", $0))" }.joined(separator: ", "))]}
          batch: {values: [32, 64]}
        """

    /// The sweep's trials with `batch` 32 only (so it is no column), or all of them (so it is one):
    /// each with its own seconds and loss; with `score`, a second objective, `score(number)` (nil: none).
    static func data(batchVaries: Bool, score: ((Int) -> Double?)? = nil) throws -> ReportData {
        let spec = try SweepSpec(yaml: yaml, file: "table.yaml")
        let layout = RecordLayout(spec)
        var records: [TrialRecord] = []
        for (number, trial) in spec.space.enumerated() where batchVaries || trial.point["batch"] == .int(32) {
            let result = TrainingResult(config: nil, epochs: [EpochMetrics(epoch: 1, seconds: 1, named: [(name: "loss", value: 1)])],
                                        status: .completed)
            var record = TrialRecord(trial: trial, result: result, attempts: 1, worker: "w1", host: "h", number: number, layout: layout)
            record.metrics["loss"] = Double((number * 7) % 40) / 10
            if let score { record.metrics["score"] = score(number) }
            record.seconds = Double((records.count * 13) % 20 + 1)
            records.append(record)
        }
        var data = ReportData(directory: "", name: "table", specText: yaml, plannedTrials: spec.count, metric: spec.metric,
                              records: records, epochs: [:], runs: [])
        if score != nil { data.objectives = Objectives(metrics: [spec.metric, Metric(name: "score")]) }
        return data
    }

    /// What is inside a report's <body>, as the live page swaps it in.
    static func body(_ html: String) -> String {
        let open = html.range(of: "<body>")!, close = html.range(of: "</body>", options: .backwards)!
        return String(html[open.upperBound..<close.lowerBound])
    }

    /// Opens `html` (written to `scratch`) in Chromium and evaluates `script` (an expression whose
    /// value, or promise's value, is a JSON text) once the page has loaded; that JSON.
    static func evaluate(_ html: String, _ script: String, _ scratch: Scratch) async throws -> [String: Any] {
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "Scripts/test makes .build/pyenv")
        scratch.write(html, to: "page.html")
        // browser.py evaluates the sample again at the end: the first result is kept and given again.
        let once = "(window.sampled = window.sampled || (\(script)))"
        let outcome = try await ProcessRunner.run(python, [browser.path, "file://" + scratch.file("page.html"), "--sample", once])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let line = outcome.stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(outcome.stdout)")
        #expect((reply["errors"] as? [Any])?.isEmpty == true, "\(reply["errors"] ?? "")")
        return try #require((reply["last"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                            "\(reply)")
    }

    /// The script's helpers: waiting for the table, its sorted heading, a heading by name, a column's
    /// cells as shown, and swapping a body in as the live page does.
    static let helpers = """
        function wait(ready) {
          return new Promise(function (done) { (function poll() { if (ready()) { done(); } else { setTimeout(poll, 20); } })(); });
        }
        function table() { return document.querySelector('.trial-table'); }
        function drawn() { return wait(function () { return table() && table().getAttribute('data-ready') === '1'; }); }
        function headings() { return Array.prototype.slice.call(table().querySelectorAll('thead th')); }
        function sortedBy() { var h = headings().find(function (th) { return /[▲▼]/.test(th.textContent); }); return h ? h.textContent : null; }
        function heading(name) { return headings().find(function (th) { return th.textContent.split(' ')[0] === name; }); }
        function cells(name) {
          var at = headings().indexOf(heading(name));
          return Array.prototype.map.call(table().querySelectorAll('tbody tr'), function (tr) { return tr.children[at].textContent; });
        }
        function swap(html) { document.body.innerHTML = html; window.sweepTable.init(); return drawn(); }
        """

    @Test func theSortFollowsItsColumnByNameWhenColumnsComeAndGo() async throws {
        let scratch = Scratch()
        let (few, more) = (Report(data: try Self.data(batchVaries: false)).render(), Report(data: try Self.data(batchVaries: true)).render())
        // The column that appears comes before the sorted ones, so their indices move.
        let columns = (try Self.data(batchVaries: false), try Self.data(batchVaries: true))
        #expect(Report(data: columns.0).tableData(Context(data: columns.0, ranking: Report(data: columns.0).ranking, heatmap: ("lr", "lr"))).columns
                    == ["#", "trial", "status", "lr", "loss", "epochs", "seconds", "attempts", "worker"])
        let bodies = String(decoding: try JSONSerialization.data(withJSONObject: [Self.body(more), Self.body(few)]), as: UTF8.self)
            .replacingOccurrences(of: "</", with: "<\\/")
        let page = few.replacingOccurrences(of: "</head>", with: "<script>window.bodies = \(bodies);</script></head>")
        let out = try await Self.evaluate(page, """
            (async function () {
              \(Self.helpers)
              await drawn();
              var out = {first: sortedBy()};
              await swap(window.bodies[0]);
              out.columns = headings().length; out.swapped = sortedBy();
              heading('seconds').click(); out.clicked = sortedBy();
              await swap(window.bodies[1]);
              out.back = sortedBy(); out.seconds = cells('seconds').slice(0, 3).map(Number);
              return JSON.stringify(out);
            })()
            """, scratch)
        #expect(out["first"] as? String == "loss ▲" && out["columns"] as? Int == 10, "\(out)")
        #expect(out["swapped"] as? String == "loss ▲", "until a heading is clicked, each table's own sort: \(out)")
        #expect(out["clicked"] as? String == "seconds ▲" && out["back"] as? String == "seconds ▲", "the column clicked, by name: \(out)")
        #expect(out["seconds"] as? [Double] == [1, 2, 3], "sorted by it: \(out)")
    }

    /// A score for trial `number`: nan, inf, -inf or none for some, else a number.
    static func unruly(_ number: Int) -> Double? {
        switch number % 8 {
        case 1: return .nan
        case 3: return .infinity
        case 5: return nil
        case 6: return -.infinity
        default: return Double((number * 11) % 40) / 10
        }
    }

    @Test func nanAndInfinityCellsSortLastLikeBlanks() async throws {
        let scratch = Scratch()
        // In a column the rows do not come sorted by (they come by loss): the sort has to move them.
        let data = try Self.data(batchVaries: true, score: Self.unruly)
        let report = Report(data: data)
        let table = report.tableData(Context(data: data, ranking: report.ranking, heatmap: ("lr", "batch")))
        let score = try #require(table.columns.firstIndex(of: "score"))
        #expect(Set(table.rows.map { $0[score] }).isSuperset(of: ["nan", "inf", "-inf", ""]) && table.numeric[score],
                "a column of numbers with nan, inf and blanks: \(table.columns) \(table.numeric)")
        let out = try await Self.evaluate(report.render(), """
            (async function () {
              \(Self.helpers)
              await drawn();
              heading('score').click(); var up = cells('score');
              heading('score').click(); var down = cells('score');
              return JSON.stringify({up: up, down: down, sorted: sortedBy()});
            })()
            """, scratch)
        let finite = table.rows.compactMap { Double($0[score]) }.filter(\.isFinite)
        let page = Report.tablePage
        #expect(out["sorted"] as? String == "score ▼", "\(out)")
        for (name, ascending) in [("up", true), ("down", false)] {
            let shown = try #require(out[name] as? [String], "\(out)")
            let expected = Array((ascending ? finite.sorted() : finite.sorted().reversed()).prefix(page))
            #expect(shown.prefix(expected.count).map { Double($0) ?? .nan } == expected, "\(name): the finite numbers first, in order: \(shown)")
            #expect(shown.dropFirst(expected.count).allSatisfy { ["nan", "inf", "-inf", ""].contains($0) }, "\(name): then the rest: \(shown)")
        }
    }

    @Test func aColumnIsNumericWhenTheScriptReadsItsCellsAsSwiftDoes() {
        for text in ["1", "-1.5", "+2", ".5", "5.", "2e-05", "1.5E+7"] { #expect(Report.isDecimal(text), "\(text)") }
        for text in ["", "-", ".", "e5", "1e", "0x10", "nan", "inf", "-inf", "1,5", " 1", "1 ", "1.2.3", "Infinity"] {
            #expect(!Report.isDecimal(text), "\(text)")
        }
    }
}

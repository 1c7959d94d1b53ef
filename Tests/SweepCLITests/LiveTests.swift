import Foundation
import SweepCore
import SweepTestSupport
import Testing

/// Watching a sweep from outside through the real binary: `sweep run --metrics-port` scraped and
/// parsed by Prometheus's own client's parser; `sweep serve` in a real headless Chromium, gaining rows
/// without a reload, refusing a missing or wrong token, and showing a finished sweep as its report.
@Suite("Live pages and metrics, end to end", .heavy, .timeLimit(.minutes(10)))
struct LiveTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/pyenv/bin/python")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A program trial: three epochs; then, unless its `lr` is at most 0.02, it waits while the file
    /// `hold` names exists, so a test decides when the rest of the sweep may land.
    static let program = """
        import argparse, json, os, time
        p = argparse.ArgumentParser()
        p.add_argument("--lr", type=float)
        p.add_argument("--hold", default="")
        a = p.parse_args()
        for epoch in range(1, 4):
            print(json.dumps({"epoch": epoch, "loss": abs(a.lr - 0.1) + 1.0 / epoch}), flush=True)
        while a.lr > 0.02 and a.hold and os.path.exists(a.hold):
            time.sleep(0.05)
        """

    /// A sweep of `trials` trials whose first `fast` (enqueued) finish at once and the rest wait on `hold`.
    static func sweepFile(name: String, trials: Int, fast: Int, hold: String) -> String {
        """
        name: \(name)
        program: slow.py
        method: random
        run_cap: \(trials)
        random_seed: 5
        metric: {name: loss, goal: minimize}
        enqueue: [\((0..<fast).map { "{lr: 0.01\($0)}" }.joined(separator: ", "))]
        parameters:
          lr: {distribution: uniform, min: 0.0, max: 0.2}
          hold: {value: "\(hold)"}
        """
    }

    /// The first line of `file` that starts with `prefix`, once there is one.
    static func line(startingWith prefix: String, in file: String, _ scratch: Scratch, seconds: Double = 60) async -> String? {
        var found: String?
        _ = await Processes.await(seconds: seconds) {
            found = scratch.text(file).split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
            return found != nil
        }
        return found
    }

    /// Status and body of a GET, by curl (a real HTTP client, run off Swift Testing's threads); an
    /// event stream is read for `seconds` and then cut.
    static func get(_ url: String, bearer: String? = nil, seconds: Int = 20) async throws -> (Int, String) {
        var arguments = ["-s", "-i", "-N", "--max-time", "\(seconds)"]
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        let outcome = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), arguments + [url])
        let text = outcome.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let status = text.split(separator: "\n").first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        let body = text.range(of: "\n\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// Runs the browser helper; its JSON line.
    static func browse(_ arguments: [String]) async throws -> [String: Any] {
        let outcome = try await ProcessRunner.run(python, [fixtures.appendingPathComponent("browser.py").path] + arguments)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let line = outcome.stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(outcome.stdout)")
    }

    @Test func aRunServesMetricsThatPrometheusParses() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python.path), "Scripts/test makes .build/pyenv")
        let scratch = Scratch()
        scratch.write(Self.program, to: "slow.py")
        scratch.write("", to: "hold")
        scratch.write(Self.sweepFile(name: "watched", trials: 8, fast: 2, hold: scratch.file("hold")), to: "watched.yaml")
        let run = try SweepBinary.start(["run", "watched.yaml", "--workers", "2", "--results", "watched", "--metrics-port", "0"],
                                        directory: scratch.path, log: "run-")
        let announced = await Self.line(startingWith: "sweep: metrics: http://127.0.0.1:", in: "run-stderr.log", scratch)
        let url = try #require(announced.map { String($0.dropFirst("sweep: metrics: ".count)) }, "\(scratch.text("run-stderr.log"))")
        #expect(await Processes.await(seconds: 60) { scratch.rows("watched/trials.csv").count >= 2 })
        // Scraped until both workers count as connected: on a machine busy enough to delay heartbeats past
        // the liveness window, the coordinator rightly counts a worker lost until it says hello again.
        func connected(_ output: String) -> Double? {
            let document = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            return ((document?["samples"] as? [String: [[Any]]])?["sweep_workers_connected"]?.first?[1]) as? Double
        }
        var scrape = try await ProcessRunner.run(Self.python, [Self.fixtures.appendingPathComponent("scrape.py").path, url])
        for _ in 0..<120 where scrape.status == 0 && connected(scrape.stdout) != 2 {
            try await Task.sleep(for: .milliseconds(250))  // between scrapes: the condition is the scrape's figure
            scrape = try await ProcessRunner.run(Self.python, [Self.fixtures.appendingPathComponent("scrape.py").path, url])
        }
        #expect(scrape.status == 0, "the parser refused the scrape: \(scrape.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(scrape.stdout.utf8)) as? [String: Any])
        #expect((document["content_type"] as? String)?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = try #require(document["samples"] as? [String: [[Any]]])
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples[name]?.first { ($0[0] as? [String: String]).map { sample in labels.allSatisfy { sample[$0.key] == $0.value } } ?? false }?[1] as? Double
        }
        for name in ["sweep_trials", "sweep_workers_connected", "sweep_epochs_total", "sweep_epochs_per_second", "sweep_rows_waiting",
                     "sweep_checkpoints_stored_total", "sweep_checkpoint_bytes"] {
            #expect(samples[name] != nil, "\(name) missing from \(samples.keys.sorted())")
        }
        #expect((value("sweep_trials", ["status": "completed", "sweep": "watched"]) ?? 0) >= 2)
        #expect(value("sweep_trials", ["status": "failed"]) == 0)
        #expect(value("sweep_workers_connected") == 2)
        #expect((value("sweep_epochs_total") ?? 0) >= 6, "two trials of three epochs each were recorded")
        #expect((value("sweep_epochs_per_second") ?? 0) > 0)
        try FileManager.default.removeItem(atPath: scratch.file("hold"))
        try await run.waitForExit()
        #expect(run.terminationStatus == 0, "\(scratch.text("run-stderr.log"))")
    }

    @Test func theLivePageGainsRowsWithoutAReloadNeedsItsTokenAndEndsAsTheReport() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python.path), "Scripts/test makes .build/pyenv")
        let scratch = Scratch()
        scratch.write(Self.program, to: "slow.py")
        scratch.write("", to: "hold")
        scratch.write(Self.sweepFile(name: "live", trials: 12, fast: 1, hold: scratch.file("hold")), to: "live.yaml")
        let token = "t0ken-for-the-test"
        let run = try SweepBinary.start(["run", "live.yaml", "--workers", "2"], directory: scratch.path, log: "run-")
        #expect(await Processes.await(seconds: 60) { scratch.rows("Results/live/trials.csv").count >= 1 }, "\(scratch.text("run-stderr.log"))")
        let serve = try SweepBinary.start(["serve", "Results", "--port", "0", "--token", token], directory: scratch.path, log: "serve-")
        defer { serve.terminate() }
        let first = await Self.line(startingWith: "http://", in: "serve-stdout.log", scratch)
        let index = try #require(first, "serve printed: \(scratch.text("serve-stdout.log")) \(scratch.text("serve-stderr.log"))")
        #expect(index.hasSuffix("/?token=\(token)"))
        let base = String(index.dropLast("/?token=\(token)".count))

        // The token, on every request: the page and its event stream.
        #expect(try await Self.get(base + "/sweeps/live").0 == 401)
        #expect(try await Self.get(base + "/sweeps/live?token=wrong-token-here").0 == 401)
        #expect(try await Self.get(base + "/sweeps/live/events").0 == 401)
        #expect(try await Self.get(base + "/").0 == 401)
        #expect(try await Self.get(base + "/sweeps/live", bearer: token).0 == 200)
        let (status, events) = try await Self.get(base + "/sweeps/live/events?token=\(token)", seconds: 2)
        #expect(status == 200 && events.contains("event: change"), "\(events)")
        // And in Chromium: a wrong token's page is the 401, and so are the stream and the body it would fetch.
        let refused = try await Self.browse(["\(base)/sweeps/live?token=wrong-token-here", "--sample",
            "Promise.all(['/events?token=wrong-token-here', '/events', '/content'].map(function (path) { "
            + "return fetch(location.pathname + path).then(function (r) { return r.status; }); })).then(function (codes) { "
            + "return JSON.stringify({page: document.body.innerText.slice(0, 4), codes: codes}); })"])
        let shown = try #require((refused["last"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(shown["page"] as? String == "401:" && shown["codes"] as? [Int] == [401, 401, 401], "\(shown)")
        let (listed, list) = try await Self.get(index)
        #expect(listed == 200 && list.contains("sweeps/live?token=\(token)"), "\(list)")

        // In Chromium: the page gains rows as they land, without a reload (the rest are let go once it has loaded).
        let recorded = "Number((document.querySelector('.facts')||{}).textContent.split(' ')[0])"
        let history = "document.querySelectorAll('[data-chart=history-trials] .series[data-name=completed] circle').length"
        let sample = "JSON.stringify({rows: \(recorded), loads: document.documentElement.getAttribute('data-loads'), history: \(history), "
            + "table: Number((document.querySelector('.trial-table') || document.body).getAttribute('data-shown') || 0), "
            + "updates: Number(document.body.getAttribute('data-updates') || 0), live: document.documentElement.getAttribute('data-live')})"
        let page = "\(base)/sweeps/live?token=\(token)"
        let watched = try await Self.browse([page, "--sample", sample, "--until", "\(recorded) >= 12", "--timeout", "120",
                                             "--remove", scratch.file("hold"),
                                             "--screenshot", scratch.file("live.png")])
        let before = try #require((watched["first"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let after = try #require((watched["last"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        print("live page: at load \(before), at the end \(after)")
        #expect(watched["reached"] as? Bool == true, "the page reached 12 rows: \(after)")
        #expect((before["rows"] as? Int ?? 99) < 12, "it opened before the sweep ended: \(before)")
        #expect(after["loads"] as? String == "1", "no reload: \(after)")
        #expect((after["updates"] as? Int ?? 0) >= 1 && after["live"] as? String == "open", "\(after)")
        // Its history redrew with the new trials, and its table holds them.
        #expect((before["history"] as? Int ?? 99) < 12 && after["history"] as? Int == 12, "history marks: \(before) → \(after)")
        #expect(after["table"] as? Int == 12, "\(after)")
        #expect((watched["errors"] as? [Any])?.isEmpty == true, "\(watched["errors"] ?? "")")

        // Finished: the page is the report.
        try await run.waitForExit()
        #expect(run.terminationStatus == 0)
        let report = try await SweepBinary.run(["report", "Results/live", "-o", "report-now.html"], directory: scratch.path)
        #expect(report.status == 0, "\(report.stderr)")
        let written = scratch.text("report-now.html")
        let (_, content) = try await Self.get("\(base)/sweeps/live/content", bearer: token)
        let body = written.range(of: "<body>").flatMap { open in written.range(of: "</body>").map { written[open.upperBound..<$0.lowerBound] } }
        #expect(body.map(String.init) == content, "the finished sweep's page body is its report's")
        if ProcessInfo.processInfo.environment["SWEEP_DOCS_SCREENSHOTS"] != nil {
            try? FileManager.default.removeItem(atPath: Self.root.appendingPathComponent("docs/live-page.png").path)
            try FileManager.default.copyItem(atPath: scratch.file("live.png"), toPath: Self.root.appendingPathComponent("docs/live-page.png").path)
        }
    }

    @Test func theReportsTableSortsFiltersAndPagesAndTheReportFitsAPhone() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python.path), "Scripts/test makes .build/pyenv")
        let scratch = Scratch()
        scratch.write(Self.program, to: "slow.py")
        scratch.write(Self.sweepFile(name: "table", trials: 120, fast: 0, hold: scratch.file("no-hold")), to: "table.yaml")
        let run = try await SweepBinary.run(["run", "table.yaml", "--workers", "2"], directory: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        // The coordinator's timeline: every trial started and recorded, on a worker.
        let timeline = scratch.rows("Results/table/timeline.csv").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(timeline.filter { $0[1] == "start" }.count == 120 && timeline.filter { $0[1] == "end" }.count == 120, "\(timeline.count) rows")
        #expect(timeline.allSatisfy { $0.count == 5 && Double($0[0]) != nil && !$0[3].isEmpty })
        let report = try await SweepBinary.run(["report", "Results/table"], directory: scratch.path)
        #expect(report.status == 0, "\(report.stderr)")
        let lrs = scratch.rows("Results/table/trials.csv").compactMap { row -> Double? in
            let header = scratch.text("Results/table/trials.csv").split(separator: "\n")[0].split(separator: ",")
            return header.firstIndex(of: "lr").flatMap { Double(row.split(separator: ",")[$0]) }
        }
        #expect(lrs.count == 120)

        // In Chromium: the table's own controls, as a person uses them (each sample starts from no filter).
        let page = "file://" + scratch.file("Results/table/report.html")
        let table = "document.querySelector('.trial-table')"
        let act = """
            (function () {
              var t = \(table); if (!t || t.getAttribute('data-ready') !== '1') { return null; }
              var filter = t.querySelector('input.filter'), status = t.querySelector('select.status');
              function type(text) { filter.value = text; filter.dispatchEvent(new Event('input')); return Number(t.getAttribute('data-shown')); }
              function header(name) { return Array.prototype.find.call(t.querySelectorAll('thead th'), function (h) { return h.textContent.split(' ')[0] === name; }); }
              var out = {all: type(''), rows: t.querySelectorAll('tbody tr').length, pages: t.querySelector('.page').textContent};
              out.low = type('lr<0.1'); out.loss = type('loss>1000'); out.text = type('completed');
              type('');
              status.value = 'failed'; status.dispatchEvent(new Event('change')); out.failed = Number(t.getAttribute('data-shown'));
              status.value = 'all'; status.dispatchEvent(new Event('change'));
              var column = Array.prototype.indexOf.call(t.querySelectorAll('thead th'), header('lr'));
              header('lr').click(); header('lr').click();
              out.sorted = header('lr').textContent;
              out.first = Number(t.querySelector('tbody tr').children[column].textContent);
              t.querySelector('.next').click(); out.next = t.querySelector('.page').textContent;
              t.querySelector('.previous').click();
              return JSON.stringify(out);
            })()
            """
        let used = try await Self.browse([page, "--sample", act, "--until", "\(table) && \(table).getAttribute('data-ready') === '1'", "--timeout", "30"])
        let out = try #require((used["last"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                               "\(used)")
        print("the trial table in Chromium: \(out)")
        #expect(out["all"] as? Int == 120 && out["rows"] as? Int == 50 && out["pages"] as? String == "page 1 of 3", "\(out)")
        #expect(out["low"] as? Int == lrs.filter { Double(DisplayNumber.number($0))! < 0.1 }.count, "\(out)")
        #expect(out["loss"] as? Int == 0 && out["text"] as? Int == 120 && out["failed"] as? Int == 0, "\(out)")
        #expect(out["sorted"] as? String == "lr ▼" && out["next"] as? String == "page 2 of 3", "\(out)")
        #expect(out["first"] as? Double == Double(DisplayNumber.number(lrs.max()!)), "the largest lr first: \(out)")
        #expect((used["errors"] as? [Any])?.isEmpty == true, "\(used["errors"] ?? "")")

        // On a phone's width nothing makes the page scroll sideways: charts shrink, tables scroll in place.
        let phone = try await Self.browse([page, "--width", "390", "--height", "844", "--until", "\(table).getAttribute('data-ready') === '1'",
                                           "--sample", "JSON.stringify({page: document.documentElement.scrollWidth, screen: window.innerWidth})"])
        let fit = try #require((phone["last"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Int] })
        #expect(fit["page"] != nil && fit["page"]! <= fit["screen"]!, "the page is \(fit) px wide on a 390 px screen")
        // The check can fail: the same page without its phone rules is wider than the screen.
        let wide = scratch.text("Results/table/report.html").replacingOccurrences(of: "svg{max-width:100%;height:auto}", with: "")
        scratch.write(wide, to: "wide.html")
        let unfit = try await Self.browse(["file://" + scratch.file("wide.html"), "--width", "390", "--height", "844",
                                           "--sample", "JSON.stringify({page: document.documentElement.scrollWidth, screen: window.innerWidth})"])
        let over = try #require((unfit["last"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Int] })
        #expect(over["page"]! > over["screen"]!, "\(over)")
    }
}

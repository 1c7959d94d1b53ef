import Foundation
import Plot
import ResultsStore
import SweepCore

/// The worker timeline, from `timeline.csv`: one row per worker, a bar for each stretch it trained a
/// trial, coloured by how the stretch ended (recorded, stopped early, paused at a rung, its worker
/// lost and the trial requeued, failed, still running). Bounded: up to `timelineBars` bars are drawn
/// one by one; beyond that each row is `timelineBins` cells as dark as the worker was busy, and at
/// most `timelineRows` workers are drawn.
extension Report {
    static let timelineBars = 600, timelineBins = 120, timelineRows = 40

    /// A stretch of one trial on one worker.
    struct Stretch {
        var trial: String
        var worker: String
        var start: Double
        var end: Double
        /// How it ended: a status (completed, stopped, failed, diverged), or pause, lost, running.
        var ending: String
        var resumed: Int?
    }

    /// The stretches, times in seconds since `origin`. A stretch ends at its trial's pause, lost
    /// worker or result; or when its worker starts another trial first (a result held for an earlier
    /// decision frees its worker before its `end` row is written), with the ending that later `end`
    /// gives. It never runs past the run it began in (`runs.csv`: that run's end, or for a run that left
    /// no row, the next run's start), so a coordinator stopped mid-trial does not draw its downtime as
    /// training. Stretches still open end at the last event (or their run's end), `running`.
    static func stretches(_ events: [Timeline.Event], runs: [ResultStore.Run] = [], origin: Double) -> [Stretch] {
        var open: [String: Stretch] = [:]
        /// Each worker's open stretch, by trial.
        var busy: [String: String] = [:]
        /// Stretches closed because their worker moved on, by trial: their index in `done`, until their `end`.
        var freed: [String: Int] = [:]
        var done: [Stretch] = []
        let runs = runs.sorted { $0.started < $1.started }
        /// The latest a stretch begun at `start` (seconds since 1970) can end: its run's end, or the next run's start.
        func limit(_ start: Double) -> Double {
            let slack = 0.001  // both files keep milliseconds
            if let run = runs.first(where: { $0.started - slack <= start && start <= $0.finished + slack }) { return run.finished }
            return runs.first { $0.started > start }?.started ?? .infinity
        }
        func close(_ trial: String, at time: Double, _ ending: String) {
            guard var stretch = open.removeValue(forKey: trial) else { return }
            if busy[stretch.worker] == trial { busy[stretch.worker] = nil }
            stretch.end = max(min(time, limit(stretch.start + origin)) - origin, stretch.start)
            stretch.ending = ending
            done.append(stretch)
        }
        for event in events {
            switch event.kind {
            case .start:
                close(event.trial, at: event.time, "lost")  // started again without a word: its worker was lost
                freed[event.trial] = nil
                if !event.worker.isEmpty, let previous = busy[event.worker] {
                    // Its worker was freed before the previous trial's end was written: that stretch ends here.
                    close(previous, at: event.time, "running")
                    freed[previous] = done.count - 1
                }
                open[event.trial] = Stretch(trial: event.trial, worker: event.worker, start: event.time - origin, end: event.time - origin,
                                            ending: "running")
                if !event.worker.isEmpty { busy[event.worker] = event.trial }
            case .resume: open[event.trial]?.resumed = Int(event.detail)
            case .pause: close(event.trial, at: event.time, "paused")
            case .lost: close(event.trial, at: event.time, "lost")
            case .end:
                if let index = freed.removeValue(forKey: event.trial) {
                    done[index].ending = event.detail
                } else {
                    close(event.trial, at: event.time, event.detail)
                }
            case .promote, .stop: break
            }
        }
        let last = (events.map(\.time).max() ?? origin)
        // By start, then trial: the same rows give the same order (a dictionary's order differs by process).
        return done + open.values.sorted { ($0.start, $0.trial) < ($1.start, $1.trial) }.map { stretch in
            var stretch = stretch
            stretch.end = max(min(last, limit(stretch.start + origin)) - origin, stretch.start)
            return stretch
        }
    }

    /// Workers as people number them (`w2` before `w10`); names alike as numbers (`w01`, `w1`) by
    /// their text, so the rows come in one order whatever the set's.
    static func workerOrder(_ workers: Set<String>) -> [String] {
        workers.sorted { a, b in
            switch a.compare(b, options: .numeric) {
            case .orderedAscending: return true
            case .orderedDescending: return false
            case .orderedSame: return a < b
            }
        }
    }

    static let endingColours: [(ending: String, colour: String, label: String)] = [
        ("completed", Palette.categorical[0], "trained to the end"), ("stopped", Palette.categorical[1], "stopped early"),
        ("paused", "#a0cbe8", "paused at a rung"), ("lost", Palette.categorical[2], "worker lost, trial requeued"),
        ("failed", "#7f1d1d", "failed or diverged"), ("running", Palette.categorical[4], "running, or never recorded"),
    ]

    static func colour(ending: String) -> String {
        let key = ending == "diverged" ? "failed" : ending
        return endingColours.first { $0.ending == key }?.colour ?? "#999"
    }

    func workerTimeline() -> Node<HTML.BodyContext> {
        guard !data.timeline.isEmpty else {
            return .p(.class("note"), .text("No timeline.csv in this folder (written before it was kept)."))
        }
        let origin = data.timeOrigin
        let stretches = Report.stretches(data.timeline, runs: data.runs, origin: origin).filter { !$0.worker.isEmpty }
        let workers = Report.workerOrder(Set(stretches.map(\.worker)))
        let shown = Array(workers.prefix(Report.timelineRows))
        let row = Dictionary(uniqueKeysWithValues: shown.enumerated().map { ($1, $0) })
        let (rowHeight, left, right, top) = (18.0, 110.0, 16.0, 8.0)
        let width = 760.0, height = top + rowHeight * Double(max(shown.count, 1)) + 40
        let end = max(stretches.map(\.end).max() ?? 1, 1e-3)
        let x = ParameterScale(0, end, kind: .linear, range: (left, width - right))
        var nodes: [Node<HTML.BodyContext>] = [SVG.line(left, top + rowHeight * Double(shown.count), width - right,
                                                        top + rowHeight * Double(shown.count), stroke: "#555")]
        for tick in x.ticks {
            nodes.append(SVG.line(x(tick), top, x(tick), top + rowHeight * Double(shown.count), stroke: "#eee"))
            nodes.append(SVG.text(x(tick), top + rowHeight * Double(shown.count) + 16, DisplayNumber.number(tick), anchor: "middle"))
        }
        nodes.append(SVG.text((left + width - right) / 2, height - 6, "wall time (s) since the first run began", anchor: "middle", size: 12))
        for (index, worker) in shown.enumerated() {
            nodes.append(SVG.text(left - 6, top + rowHeight * (Double(index) + 0.5) + 4, String(worker.prefix(18)), anchor: "end", size: 10))
        }
        let drawn = stretches.filter { row[$0.worker] != nil }
        if drawn.count <= Report.timelineBars {
            let bars = drawn.map { stretch -> Node<HTML.BodyContext> in
                let y = top + rowHeight * Double(row[stretch.worker]!) + 2
                let from = stretch.resumed.map { ", resumed after epoch \($0)" } ?? ""
                return SVG.rect(x(stretch.start), y, max(x(stretch.end) - x(stretch.start), 1.5), rowHeight - 4,
                                fill: Report.colour(ending: stretch.ending),
                                title: "\(stretch.trial) on \(stretch.worker): \(DisplayNumber.number(stretch.start))–\(DisplayNumber.number(stretch.end)) s, \(stretch.ending)\(from)")
            }
            nodes.append(SVG.group(series: "stretches", bars))
        } else {
            // Busy seconds per worker and time bin, drawn as the share of the bin the worker trained.
            let bins = Report.timelineBins, span = end / Double(bins)
            var busy = [[Double]](repeating: [Double](repeating: 0, count: bins), count: shown.count)
            for stretch in drawn {
                let r = row[stretch.worker]!
                var t = stretch.start
                while t < stretch.end {
                    let bin = min(Int(t / span), bins - 1)
                    let next = min(Double(bin + 1) * span, stretch.end)
                    busy[r][bin] += max(next - t, 0)
                    if next <= t { break }
                    t = next
                }
            }
            var shades = [[(Double, Double)]](repeating: [], count: Report.shades)
            for (r, shares) in busy.enumerated() {
                for (bin, seconds) in shares.enumerated() where seconds > 0 {
                    shades[Report.shade(min(seconds / span, 1))].append((x(Double(bin) * span), top + rowHeight * Double(r) + 2))
                }
            }
            nodes.append(Report.shaded(shades, size: (x(span) - x(0), rowHeight - 4), colour: Palette.categorical[0], class: "busy",
                                       title: { level in "busy about \(Int(Double(level + 1) / Double(Report.shades) * 100)) % of the time" }))
            // Lost workers matter one by one: a tick each, up to the bar budget.
            let lost = drawn.filter { $0.ending == "lost" }.prefix(Report.timelineBars).map { stretch in
                SVG.rect(x(stretch.end) - 1, top + rowHeight * Double(row[stretch.worker]!) + 1, 2.5, rowHeight - 2,
                         fill: Palette.categorical[2], title: "\(stretch.trial): worker \(stretch.worker) lost, trial requeued")
            }
            nodes.append(SVG.group(series: "lost", lost))
        }
        var legend: [Node<HTML.BodyContext>] = drawn.count <= Report.timelineBars
            ? Report.endingColours.filter { entry in drawn.contains { Report.colour(ending: $0.ending) == entry.colour } }.map { entry in
                .span(.class("key"), .span(.class("swatch"), .style("background:\(entry.colour)")), .text(entry.label))
            }
            : [.span(.class("key note"), .text("\(drawn.count) stretches: shade = share of the time the worker was training; red ticks: a worker lost"))]
        if workers.count > shown.count { legend.append(.span(.class("key note"), .text("and \(workers.count - shown.count) more workers not drawn"))) }
        let pauses = stretches.filter { $0.ending == "paused" }.count, lost = stretches.filter { $0.ending == "lost" }.count
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        legend.append(.span(.class("key note"), .text(
            "\(count(stretches.count, "stretch", "stretches")) on \(count(workers.count, "worker", "workers")) · "
                + "\(count(pauses, "pause", "pauses")) · \(count(lost, "requeue", "requeues"))")))
        return figure("timeline", series: 1, SVG.svg(width: width, height: height, label: "worker timeline", nodes), legend: legend)
    }
}

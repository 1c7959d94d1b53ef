import Foundation
import Plot
import Sweeping
import SweepCore

/// The optimization history: every trial's value by trial number and by wall time, with the best so
/// far. Completed trials are blue, stopped ones (valued at their rung) grey; the best `historyMarks`
/// are marks and the rest a binned density, and the best-so-far line has at most `lineSteps` steps,
/// so a chart's size is bounded whatever the trials.
extension Report {
    /// The most trials a history chart draws as marks.
    static let historyMarks = 200

    /// A trial on the history: its record, its value, and when its result was recorded (seconds
    /// after the sweep's first run began; nil without a timeline).
    struct HistoryPoint {
        let record: Int
        let value: Double
        let number: Double
        let time: Double?
    }

    /// The points, in the order their results came (trial number, or time).
    func historyPoints(_ context: Context) -> [HistoryPoint] {
        var ended: [String: Double] = [:]
        for event in data.timeline where event.kind == .end { ended[event.trial] = event.time }
        let origin = data.timeOrigin
        return data.records.indices.compactMap { i in
            let record = data.records[i]
            guard record.status == .completed || record.status == .stopped, let value = context.metric[i] else { return nil }
            return HistoryPoint(record: i, value: value, number: Double(record.number ?? i), time: ended[record.id].map { $0 - origin })
        }
    }

    /// The two history charts, side by side.
    func historyCharts(_ context: Context) -> Node<HTML.BodyContext> {
        let points = historyPoints(context)
        var charts = [history(points, context, kind: "history-trials", xLabel: "trial number", at: { $0.number })]
        if points.contains(where: { $0.time != nil }) {
            charts.append(history(points.filter { $0.time != nil }, context, kind: "history-time", xLabel: "wall time (s) since the first run began",
                                  at: { $0.time! }))
        }
        let note = charts.count == 2 ? [] : [Node<HTML.BodyContext>.p(.class("note"), .text(
            "No timeline.csv in this folder (written before it was kept): no history by wall time."))]
        return .group([.div(.class("multiples"), .group(charts))] + note)
    }

    private func history(_ points: [HistoryPoint], _ context: Context, kind: String, xLabel: String,
                         at position: (HistoryPoint) -> Double) -> Node<HTML.BodyContext> {
        let metric = data.metric
        let (width, height) = (540.0, 300.0), (left, right, top, bottom) = (64.0, 16.0, 12.0, 40.0)
        let ordered = points.sorted { (position($0), $0.number) < (position($1), $1.number) }
        let x = ParameterScale(0, max(ordered.map(position).max() ?? 1, 1), kind: .linear, range: (left, width - right))
        let y = Report.objectiveScale(ordered.map(\.value), range: (height - bottom, top))
        var nodes = frontAxes(x: x, y: y, width: width, height: height, xLabel: xLabel, yLabel: metric.name)
        // Marks: the best, the rest binned beneath them.
        let best = ordered.indices.sorted { a, b in
            let (u, v) = (ordered[a], ordered[b])
            let (p, q) = (data.records[u.record].status == .completed, data.records[v.record].status == .completed)
            if p != q { return p }
            return u.value != v.value ? (metric.minimize ? u.value < v.value : u.value > v.value) : a < b
        }
        let marked = Set(best.prefix(Report.historyMarks))
        let binned = best.dropFirst(Report.historyMarks).map { (x(position(ordered[$0])), y(ordered[$0].value)) }
        if let density = Report.density(binned, x: x, y: y) { nodes.append(density) }
        var completed: [Node<HTML.BodyContext>] = [], stopped: [Node<HTML.BodyContext>] = []
        for (k, point) in ordered.enumerated() where marked.contains(k) {
            let record = data.records[point.record]
            let title = "#\(Int(point.number)) \(record.id): \(DisplayNumber.number(point.value))"
            if record.status == .completed {
                completed.append(SVG.circle(x(position(point)), y(point.value), radius: 3, fill: Palette.categorical[0], title: title))
            } else {
                stopped.append(SVG.circle(x(position(point)), y(point.value), radius: 2.5, fill: "#b8b8b8",
                                          title: title + " at epoch \(record.stoppedAt ?? record.epochsRun)"))
            }
        }
        nodes.append(SVG.group(series: "stopped", stopped))
        nodes.append(SVG.group(series: "completed", completed))
        // The best completed so far, in this chart's order.
        var so: Double?
        var running: [(Double, Double)] = []
        for point in ordered where data.records[point.record].status == .completed {
            so = so.map { metric.minimize ? min($0, point.value) : max($0, point.value) } ?? point.value
            running.append((position(point), so!))
        }
        if let last = running.last, let end = ordered.last.map(position), end > last.0 { running.append((end, last.1)) }
        let line = Report.staircase(Report.steps(running).map { (x($0.0), y($0.1)) })
        if line.count > 1 { nodes.append(SVG.group(series: "best", [SVG.polyline(line, stroke: Palette.categorical[2], width: 2)])) }
        var legend: [Node<HTML.BodyContext>] = [
            .span(.class("key"), .span(.class("swatch"), .style("background:\(Palette.categorical[0])")), .text("completed")),
            .span(.class("key"), .span(.class("swatch"), .style("background:\(Palette.categorical[2])")), .text("best so far")),
        ]
        if !stopped.isEmpty { legend.append(.span(.class("key"), .span(.class("swatch"), .style("background:#b8b8b8")), .text("stopped, at its rung"))) }
        if !binned.isEmpty { legend.append(.span(.class("key note"), .text("shaded: \(binned.count) more trials, binned"))) }
        return figure(kind, series: 3, SVG.svg(width: width, height: height, label: "\(metric.name) by \(xLabel)", nodes), legend: legend)
    }
}

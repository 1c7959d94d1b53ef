import Foundation
import Plot
import Sweeping
import Training
import SweepCore

/// Learning curves: the layout's curve (the built-in trainer's test loss; a program's metric) per
/// epoch for the best `curveCount` configurations, a configuration of several seeds as its mean with
/// a band of ± one standard deviation, and a stopped trial's curve ending in a square at its rung.
/// Up to `stoppedCurves` more stopped trials are drawn thin and grey, so early termination shows. The
/// dashed train loss is drawn too, hidden until its box is ticked (CSS alone, no script).
/// Bounded: at most (`curveCount` + `stoppedCurves`) × epochs points (a configuration's seeds are one
/// mean), and at most `stoppedSquares` squares on the best configurations' curves, however many seeds
/// of one configuration were stopped.
extension Report {
    /// How many stopped trials beyond the best configurations the curves show.
    static let stoppedCurves = 30
    /// How many stopped trials' squares the best configurations' curves show: for each, and in all.
    static let stoppedSquares = (perConfiguration: 10, inAll: 50)

    /// `count` of `items` spread evenly through them (all, when there are no more).
    static func spread<T>(_ items: [T], count: Int) -> [T] {
        guard items.count > count else { return items }
        return (0..<max(count, 0)).map { items[$0 * items.count / count] }
    }

    /// A curve's points: (epoch, value), finite values only.
    private func series(_ trial: String, _ name: String) -> [(Int, Double)] {
        (data.epochs[trial] ?? []).compactMap { e in e.value(named: name).flatMap { $0.isFinite ? (e.epoch, $0) : nil } }
    }

    /// The mean and standard deviation per epoch of several curves (sd nil where one curve reaches).
    private func meanCurve(_ curves: [[(Int, Double)]]) -> [(epoch: Int, mean: Double, sd: Double?)] {
        var byEpoch: [Int: [Double]] = [:]
        for curve in curves { for (epoch, value) in curve { byEpoch[epoch, default: []].append(value) } }
        return byEpoch.keys.sorted().map { epoch in
            let values = byEpoch[epoch]!
            let mean = values.reduce(0, +) / Double(values.count)
            guard values.count > 1 else { return (epoch, mean, nil) }
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
            return (epoch, mean, variance.squareRoot())
        }
    }

    func curves(_ context: Context) -> Node<HTML.BodyContext> {
        let curve = data.layout.curve
        let rows = ranking.rows.prefix(Report.curveCount).filter { row in row.trials.contains { !(data.epochs[$0] ?? []).isEmpty } }
        let shownTrials = Set(rows.flatMap(\.trials))
        let extra = context.bestFirst.filter { data.records[$0].status == .stopped && !shownTrials.contains(data.records[$0].id) }
            .prefix(Report.stoppedCurves).map { data.records[$0].id }
        let stopped = Dictionary(data.records.filter { $0.status == .stopped }.map { ($0.id, $0.stoppedAt ?? $0.epochsRun) },
                                 uniquingKeysWith: { a, _ in a })
        // The scale fits the curves always shown; the train loss, on request, is clipped to the plot.
        let all = (Array(shownTrials) + extra).flatMap { series($0, curve.solid).map(\.1) }
        let epochs = (Array(shownTrials) + extra).flatMap { series($0, curve.solid).map { Double($0.0) } }
        let (width, height) = (760.0, 340.0), (left, right, topMargin, bottom) = (56.0, 16.0, 12.0, 40.0)
        let x = LinearScale(domain: epochs, range: (left, width - right))
        let y = LinearScale(domain: all, range: (height - bottom, topMargin))
        var nodes = axes(x: x, y: y, width: width, height: height, xLabel: "epoch", yLabel: curve.axis, integerX: true)
        nodes.append(.element(named: "clipPath", nodes: [SVG.attribute("id", "curves-plot"),
                                                         SVG.rect(left, topMargin, width - left - right, height - bottom - topMargin, fill: "#fff")]))
        func point(_ epoch: Int, _ value: Double) -> (Double, Double) { (x(Double(epoch)), y(value)) }
        func square(_ epoch: Int, _ value: Double, _ colour: String, _ title: String) -> Node<HTML.BodyContext> {
            let (px, py) = point(epoch, value)
            return SVG.rect(px - 3.5, py - 3.5, 7, 7, fill: colour, title: title)
        }
        // Grey stopped trials first, beneath the best.
        var grey: [Node<HTML.BodyContext>] = []
        for trial in extra {
            let points = series(trial, curve.solid)
            guard let last = points.last else { continue }
            grey.append(SVG.polyline(points.map { point($0.0, $0.1) }, stroke: "#bdbdbd", width: 1, title: "\(trial) stopped at \(stopped[trial] ?? last.0)"))
            grey.append(square(last.0, last.1, "#9e9e9e", "\(trial) stopped at epoch \(stopped[trial] ?? last.0)"))
        }
        nodes.append(SVG.group(series: "stopped", grey))
        var legend: [Node<HTML.BodyContext>] = []
        var squares = (drawn: 0, stopped: 0)
        for (index, row) in rows.enumerated() {
            let colour = Palette.categorical[index % Palette.categorical.count]
            let curves = row.trials.map { series($0, curve.solid) }.filter { !$0.isEmpty }
            let mean = meanCurve(curves)
            var lines: [Node<HTML.BodyContext>] = []
            let name = row.trials.count == 1 ? row.trials[0] : "\(row.trials.count) seeds"
            let band = mean.filter { $0.sd != nil }
            if band.count > 1 {
                let upper = band.map { point($0.epoch, $0.mean + $0.sd!) }, lower = band.reversed().map { point($0.epoch, $0.mean - $0.sd!) }
                lines.append(SVG.polygon(upper + lower, fill: colour, opacity: 0.18, title: "\(name): mean ± sd over \(curves.count) seeds"))
            }
            lines.append(SVG.polyline(mean.map { point($0.epoch, $0.mean) }, stroke: colour, width: 2,
                                      title: "\(index + 1). \(name) \(curve.solidTitle)\(curves.count > 1 ? " (mean)" : "")"))
            if let dashed = curve.dashed {
                let train = meanCurve(row.trials.map { series($0, dashed) }.filter { !$0.isEmpty })
                if !train.isEmpty {
                    lines.append(.element(named: "g", nodes: [SVG.attribute("class", "train"),
                                                              SVG.attribute("clip-path", "url(#curves-plot)"),
                        SVG.polyline(train.map { point($0.epoch, $0.mean) }, stroke: colour, width: 1.5, dash: "5 3",
                                     title: "\(index + 1). \(name) \(curve.dashedTitle ?? dashed)")]))
                }
            }
            // Squares for some of its stopped trials, spread over their rungs.
            let halted = row.trials.compactMap { trial in stopped[trial].map { (trial: trial, rung: $0) } }
                .sorted { ($0.rung, $0.trial) < ($1.rung, $1.trial) }
            let budget = min(Report.stoppedSquares.perConfiguration, Report.stoppedSquares.inAll - squares.drawn)
            squares.stopped += halted.count
            for (trial, rung) in Report.spread(halted, count: budget) {
                guard let last = series(trial, curve.solid).last else { continue }
                lines.append(square(last.0, last.1, colour, "\(trial) stopped at epoch \(rung)"))
                squares.drawn += 1
            }
            nodes.append(SVG.group(series: row.trials[0], lines))
            let recordIndex = data.records.firstIndex { $0.id == row.trials[0] }
            legend.append(.span(.class("key"), .span(.class("swatch"), .style("background:\(colour)")),
                                .text("\(index + 1). \(recordIndex.map(context.label) ?? row.trials[0])\(row.trials.count > 1 ? " (\(row.trials.count) seeds)" : "")")))
        }
        var note = "\(curve.solidTitle); a band: mean ± sd over seeds; ■ a trial stopped at its rung"
        if squares.stopped > squares.drawn { note += " (\(squares.drawn) of these \(squares.stopped) shown)" }
        if !extra.isEmpty { note += "; grey: \(extra.count) more stopped trials" }
        legend.append(.span(.class("key note"), .text(note)))
        // The best configurations' series and the grey stopped trials' one.
        let chart = figure("curves", series: rows.count + 1, SVG.svg(width: width, height: height, label: "learning curves", nodes), legend: legend)
        guard let dashed = curve.dashed else { return chart }
        return .div(.class("curves"),
                    .input(.type(.checkbox), .id("curves-train")),
                    .label(.for("curves-train"), .text(" show \(curve.dashedTitle ?? dashed) (dashed)")),
                    chart)
    }
}

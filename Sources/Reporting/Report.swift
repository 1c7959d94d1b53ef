import Foundation
import Plot
import Sweeping
import Training

/// A self-contained HTML report of a sweep: inline SVG and CSS, no scripts, nothing fetched.
///
/// Every chart is a `<figure class="chart" data-chart=…>` whose data series are `<g class="series">`
/// groups, so a reader (or a test in a browser) can count what is drawn.
public struct Report {
    /// What is shown.
    public let data: ReportData
    /// The heatmap's two parameters (columns, rows).
    public let heatmap: (x: String, y: String)

    /// How many trials the loss curves show.
    public static let curveCount = 10

    /// A report of `data`; the heatmap uses `heatmap` or, by default, learning_rate × weight_decay
    /// (or the first two parameters that vary, when those two do not).
    public init(data: ReportData, heatmap: (x: String, y: String)? = nil) {
        self.data = data
        let ranking = Ranking(records: data.records, metric: data.metric)
        let varying = ranking.varyingParameters
        if let heatmap {
            self.heatmap = heatmap
        } else if varying.contains("learning_rate") && varying.contains("weight_decay") {
            self.heatmap = ("learning_rate", "weight_decay")
        } else {
            self.heatmap = (varying.first ?? "learning_rate", varying.dropFirst().first ?? "weight_decay")
        }
    }

    private var ranking: Ranking {
        Ranking(records: data.records, metric: data.metric)
    }

    /// The HTML document.
    public func render() -> String {
        let ranking = ranking
        let html = HTML(
            .head(
                .meta(.charset(.utf8)),
                .title("sweep report: \(data.name)"),
                .style(Report.css)
            ),
            .body(
                .h1(.text("Sweep \(data.name)")),
                .p(.class("facts"), .text(facts)),
                .h2(.text("Ranking by \(data.metric.name)")),
                rankingTable(ranking),
                .h2(.text("Loss per epoch, best \(min(Report.curveCount, ranking.rows.count)) configurations")),
                curves(ranking),
                .h2(.text("\(data.metric.name) per parameter value")),
                .div(.class("multiples"), .group(ranking.varyingParameters.map { perParameter($0) })),
                .h2(.text("\(data.metric.name) by \(heatmap.x) and \(heatmap.y)")),
                heatmapChart(),
                .h2(.text("All trials")),
                parallelCoordinates(ranking),
                .h2(.text("Sweep file")),
                .pre(.code(.text(data.specText ?? "(sweep.yaml not found)")))
            )
        )
        return html.render(indentedBy: nil)
    }

    // MARK: - Facts and table

    private var facts: String {
        let counts = Dictionary(grouping: data.records, by: \.status).mapValues(\.count)
        var parts = ["\(data.records.count)" + (data.plannedTrials.map { " of \($0)" } ?? "") + " trials recorded"]
        parts += TrialStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        let wall = data.runs.reduce(0) { $0 + ($1.finished - $1.started) }
        if !data.runs.isEmpty { parts.append("wall time \(duration(wall)) over \(data.runs.count) run\(data.runs.count == 1 ? "" : "s")") }
        parts.append("training time \(duration(data.records.reduce(0) { $0 + $1.seconds }))")
        let workers = Set(data.records.map(\.worker)).count, hosts = Set(data.records.map(\.host)).sorted()
        parts.append("\(workers) worker\(workers == 1 ? "" : "s") on \(hosts.joined(separator: ", "))")
        return parts.joined(separator: " · ")
    }

    private func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%dh %02dm", total / 3600, total / 60 % 60)
            : total >= 60 ? String(format: "%dm %02ds", total / 60, total % 60) : "\(total) s"
    }

    private func rankingTable(_ ranking: Ranking) -> Node<HTML.BodyContext> {
        let columns = ranking.varyingParameters
        let header = Node<HTML.TableContext>.tr(.group(
            [Node<HTML.TableRowContext>.th(.text("#"))] + columns.map { .th(.text($0)) }
                + [.th(.text(data.metric.name)), .th(.text("n")), .th(.text("status")), .th(.text("trial"))]))
        let rows = ranking.rows.prefix(25).map { row -> Node<HTML.TableContext> in
            var value = row.mean.map { String(format: "%.4f", $0) } ?? "–"
            if let sd = row.sd { value += " ± " + String(format: "%.4f", sd) }
            let cells: [Node<HTML.TableRowContext>] = [.td(.text(row.rank.map(String.init) ?? "–"))]
                + columns.map { .td(.text(row.parameters[$0] ?? "")) }
                + [.td(.text(value)), .td(.text("\(row.completed)")), .td(.text(row.status.rawValue)),
                   .td(.code(.text(row.trials.count == 1 ? row.trials[0] : "\(row.trials.count) trials")))]
            return .tr(.group(cells))
        }
        var nodes: [Node<HTML.TableContext>] = [header]
        nodes += rows
        return .group(
            .table(.class("ranking"), .group(nodes)),
            .if(ranking.rows.count > 25, .p(.class("note"), .text("… and \(ranking.rows.count - 25) more (sweep rank shows all)")))
        )
    }

    // MARK: - Charts

    private func figure(_ kind: String, series: Int, _ content: Node<HTML.BodyContext>,
                        legend: [Node<HTML.BodyContext>] = []) -> Node<HTML.BodyContext> {
        .element(named: "figure", nodes: [
            .attribute(named: "class", value: "chart"), .attribute(named: "data-chart", value: kind),
            .attribute(named: "data-series", value: "\(series)"), content,
        ] + (legend.isEmpty ? [] : [.div(.class("legend"), .group(legend))]))
    }

    /// A short label of a configuration: its values of the varying parameters.
    private func label(_ record: TrialRecord, _ ranking: Ranking) -> String {
        let fields = Dictionary(uniqueKeysWithValues: zip(record.layout.columns, record.fields))
        let parts = ranking.varyingParameters.map { "\($0)=\(fields[$0] ?? "")" }
        return parts.isEmpty ? record.id : parts.joined(separator: " ")
    }

    private func curves(_ ranking: Ranking) -> Node<HTML.BodyContext> {
        // The best row's first trial for each of the best configurations.
        let top = ranking.rows.prefix(Report.curveCount).compactMap { row in
            data.records.first { $0.id == row.trials[0] }
        }.filter { !(data.epochs[$0.id] ?? []).isEmpty }
        let (width, height) = (760.0, 340.0), (left, right, topMargin, bottom) = (56.0, 16.0, 12.0, 40.0)
        let allEpochs = top.flatMap { data.epochs[$0.id] ?? [] }
        // The built-in trainer's two losses; a program's metric, by the name it prints.
        let program = data.layout.metric
        func series(_ epochs: [EpochMetrics]) -> [(epoch: Int, solid: Double, dashed: Double?)] {
            if let program {
                return epochs.compactMap { e in e.value(named: program).flatMap { $0.isFinite ? (e.epoch, $0, nil) : nil } }
            }
            return epochs.filter(\.isFinite).map { ($0.epoch, $0.testLoss, $0.trainLoss) }
        }
        let allPoints = series(allEpochs)
        let x = LinearScale(domain: allPoints.map { Double($0.epoch) }, range: (left, width - right))
        let y = LinearScale(domain: allPoints.flatMap { [$0.solid] + ($0.dashed.map { [$0] } ?? []) }, range: (height - bottom, topMargin))
        var nodes = axes(x: x, y: y, width: width, height: height, xLabel: "epoch", yLabel: program ?? "loss", integerX: true)
        var legend: [Node<HTML.BodyContext>] = []
        for (index, record) in top.enumerated() {
            let colour = Palette.categorical[index % Palette.categorical.count]
            let points = series(data.epochs[record.id] ?? [])
            let solid = points.map { (x(Double($0.epoch)), y($0.solid)) }
            let dashed = points.compactMap { point in point.dashed.map { (x(Double(point.epoch)), y($0)) } }
            var lines = [SVG.polyline(solid, stroke: colour, width: 2, title: "\(record.id) \(program ?? "test loss")")]
            if !dashed.isEmpty { lines.append(SVG.polyline(dashed, stroke: colour, width: 1.5, dash: "5 3", title: "\(record.id) train loss")) }
            nodes.append(SVG.group(series: record.id, lines))
            legend.append(.span(.class("key"), .span(.class("swatch"), .style("background:\(colour)")),
                                .text("\(index + 1). \(label(record, ranking))")))
        }
        legend.append(.span(.class("key note"), .text(program.map { "\($0) by epoch" } ?? "solid: test loss · dashed: train loss")))
        return figure("curves", series: top.count, SVG.svg(width: width, height: height, label: "loss curves", nodes),
                      legend: legend)
    }

    private func perParameter(_ parameter: String) -> Node<HTML.BodyContext> {
        let index = data.layout.columns.firstIndex(of: parameter)!
        var groups: [String: [Double]] = [:]
        for record in data.records where record.status == .completed {
            if let value = record.metric(data.metric.name), value.isFinite { groups[record.fields[index], default: []].append(value) }
        }
        let keys = groups.keys.sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
        let (width, height) = (340.0, 220.0), (left, right, top, bottom) = (56.0, 12.0, 24.0, 40.0)
        let y = LinearScale(domain: groups.values.flatMap { $0 }, range: (height - bottom, top))
        let step = (width - left - right) / Double(max(keys.count, 1))
        var nodes: [Node<HTML.BodyContext>] = [SVG.text(left, 14, parameter, size: 12, fill: "#111")]
        nodes += yAxis(y, left: left, width: width)
        for (i, key) in keys.enumerated() {
            let values = groups[key]!
            let mean = values.reduce(0, +) / Double(values.count)
            let cx = left + step * (Double(i) + 0.5)
            nodes.append(SVG.group(series: key, [
                SVG.line(cx, y(values.min()!), cx, y(values.max()!), stroke: "#4e79a7", width: 2),
                SVG.circle(cx, y(mean), radius: 5, fill: "#4e79a7",
                           title: "\(parameter)=\(key): mean \(String(format: "%.4f", mean)), n=\(values.count)"),
            ]))
            nodes.append(SVG.text(cx, height - bottom + 16, key, anchor: "middle"))
        }
        return figure("parameter-\(parameter)", series: keys.count,
                      SVG.svg(width: width, height: height, label: "\(data.metric.name) by \(parameter)", nodes))
    }

    private func heatmapChart() -> Node<HTML.BodyContext> {
        guard let xi = data.layout.parameters.firstIndex(of: heatmap.x).map({ $0 + 2 }),
              let yi = data.layout.parameters.firstIndex(of: heatmap.y).map({ $0 + 2 })
        else { return .p(.class("note"), .text("unknown heatmap parameters \(heatmap.x), \(heatmap.y)")) }
        var cells: [String: [Double]] = [:]
        for record in data.records where record.status == .completed {
            if let value = record.metric(data.metric.name), value.isFinite {
                cells[record.fields[xi] + "|" + record.fields[yi], default: []].append(value)
            }
        }
        func sorted(_ values: Set<String>) -> [String] { values.sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) } }
        let xs = sorted(Set(data.records.map { $0.fields[xi] })), ys = sorted(Set(data.records.map { $0.fields[yi] }))
        let means = cells.mapValues { $0.reduce(0, +) / Double($0.count) }
        let (low, high) = (means.values.min() ?? 0, means.values.max() ?? 1)
        let (cell, left, top) = (64.0, 110.0, 16.0)
        let (width, height) = (left + cell * Double(xs.count) + 20, top + cell * Double(ys.count) + 50)
        var nodes: [Node<HTML.BodyContext>] = []
        for (row, yValue) in ys.enumerated() {
            var rowNodes: [Node<HTML.BodyContext>] = []
            for (column, xValue) in xs.enumerated() {
                let (cx, cy) = (left + cell * Double(column), top + cell * Double(row))
                guard let mean = means[xValue + "|" + yValue] else {
                    rowNodes.append(SVG.rect(cx, cy, cell - 2, cell - 2, fill: "#eee", title: "no completed trial"))
                    continue
                }
                var t = high > low ? (mean - low) / (high - low) : 0.5
                if !data.metric.minimize { t = 1 - t }
                rowNodes.append(SVG.rect(cx, cy, cell - 2, cell - 2, fill: Palette.ramp(t),
                                         title: "\(heatmap.x)=\(xValue) \(heatmap.y)=\(yValue): \(String(format: "%.4f", mean))"))
                rowNodes.append(SVG.text(cx + cell / 2 - 1, cy + cell / 2 + 4, String(format: "%.3f", mean), anchor: "middle",
                                         size: 11, fill: t > 0.6 ? "#111" : "#fff"))
            }
            nodes.append(SVG.group(series: "\(heatmap.y)=\(yValue)", rowNodes))
            nodes.append(SVG.text(left - 8, top + cell * (Double(row) + 0.5) + 4, yValue, anchor: "end"))
        }
        for (column, xValue) in xs.enumerated() {
            nodes.append(SVG.text(left + cell * (Double(column) + 0.5), top + cell * Double(ys.count) + 16, xValue, anchor: "middle"))
        }
        nodes.append(SVG.text(left + cell * Double(xs.count) / 2, height - 8, heatmap.x, anchor: "middle", size: 12))
        nodes.append(SVG.text(14, top + cell * Double(ys.count) / 2, heatmap.y, anchor: "middle", size: 12, rotate: true))
        return figure("heatmap", series: ys.count, SVG.svg(width: width, height: height, label: "heatmap", nodes))
    }

    private func parallelCoordinates(_ ranking: Ranking) -> Node<HTML.BodyContext> {
        let axesNames = ranking.varyingParameters + [data.metric.name]
        let (width, height) = (760.0, 320.0), (left, right, top, bottom) = (60.0, 60.0, 20.0, 40.0)
        let spacing = (width - left - right) / Double(max(axesNames.count - 1, 1))
        let finite = data.records.compactMap { $0.metric(data.metric.name) }.filter(\.isFinite)
        let metricScale = LinearScale(domain: finite, range: (height - bottom, top))
        let (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
        // Categorical axes: each parameter's distinct values, evenly spaced.
        var positions: [String: [String: Double]] = [:]
        for name in ranking.varyingParameters {
            let index = data.layout.columns.firstIndex(of: name)!
            let values = Set(data.records.map { $0.fields[index] }).sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
            let gap = (height - top - bottom) / Double(max(values.count - 1, 1))
            positions[name] = Dictionary(uniqueKeysWithValues: values.enumerated().map {
                ($1, values.count == 1 ? (height - bottom + top) / 2 : height - bottom - gap * Double($0))
            })
        }
        var nodes: [Node<HTML.BodyContext>] = []
        // Worst first, so the best lines are drawn on top.
        let ordered = data.records.sorted { a, b in
            let (x, y) = (a.metric(data.metric.name) ?? .infinity, b.metric(data.metric.name) ?? .infinity)
            return data.metric.minimize ? (x.isFinite ? x : .infinity) > (y.isFinite ? y : .infinity) : x < y
        }
        for record in ordered {
            let value = record.metric(data.metric.name) ?? .nan
            var points: [(Double, Double)] = []
            for (i, name) in ranking.varyingParameters.enumerated() {
                let index = data.layout.columns.firstIndex(of: name)!
                points.append((left + spacing * Double(i), positions[name]![record.fields[index]]!))
            }
            points.append((left + spacing * Double(axesNames.count - 1), value.isFinite ? metricScale(value) : top))
            var t = high > low && value.isFinite ? (value - low) / (high - low) : 1
            if !data.metric.minimize { t = 1 - t }
            let colour = value.isFinite && record.status == .completed ? Palette.ramp(t) : "#bbbbbb"
            nodes.append(SVG.group(series: record.id, [
                SVG.polyline(points, stroke: colour, width: 1.5, opacity: 0.8,
                             title: "\(record.id) \(record.status.rawValue) \(data.metric.name) \(value.isFinite ? String(format: "%.4f", value) : "–")"),
            ]))
        }
        for (i, name) in axesNames.enumerated() {
            let x = left + spacing * Double(i)
            nodes.append(SVG.line(x, top, x, height - bottom, stroke: "#555"))
            nodes.append(SVG.text(x, height - 12, name, anchor: "middle", size: 12, fill: "#111"))
            if let ticks = positions[name] {
                for (value, y) in ticks { nodes.append(SVG.text(x + 4, y - 3, value, size: 10)) }
            } else {
                for tick in metricScale.ticks { nodes.append(SVG.text(x + 4, metricScale(tick) + 3, String(format: "%.3g", tick), size: 10)) }
            }
        }
        return figure("parallel", series: data.records.count,
                      SVG.svg(width: width, height: height, label: "parallel coordinates", nodes),
                      legend: [.span(.class("key note"), .text("colour: \(data.metric.name), dark blue best, yellow worst; grey: diverged or failed"))])
    }

    private func axes(x: LinearScale, y: LinearScale, width: Double, height: Double, xLabel: String, yLabel: String,
                      integerX: Bool) -> [Node<HTML.BodyContext>] {
        var nodes = yAxis(y, left: x.start, width: width)
        nodes.append(SVG.line(x.start, y.start, x.end, y.start, stroke: "#555"))
        for tick in x.ticks where !integerX || tick.rounded() == tick {
            nodes.append(SVG.text(x(tick), y.start + 16, integerX ? "\(Int(tick))" : String(format: "%g", tick), anchor: "middle"))
        }
        nodes.append(SVG.text((x.start + x.end) / 2, height - 6, xLabel, anchor: "middle", size: 12))
        nodes.append(SVG.text(14, (y.start + y.end) / 2, yLabel, anchor: "middle", size: 12, rotate: true))
        return nodes
    }

    private func yAxis(_ y: LinearScale, left: Double, width: Double) -> [Node<HTML.BodyContext>] {
        var nodes: [Node<HTML.BodyContext>] = [SVG.line(left, y.end, left, y.start, stroke: "#555")]
        for tick in y.ticks {
            nodes.append(SVG.line(left, y(tick), width - 12, y(tick), stroke: "#e5e5e5"))
            nodes.append(SVG.text(left - 6, y(tick) + 4, String(format: "%.3g", tick), anchor: "end", size: 10))
        }
        return nodes
    }

    static let css = """
        body{font:14px/1.45 -apple-system,system-ui,"Segoe UI",Roboto,sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .facts{color:#555}.note{color:#777;font-size:12px}
        table.ranking{border-collapse:collapse;font-size:13px}table.ranking td,table.ranking th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
        table.ranking th{background:#f5f5f5}figure{margin:8px 0}
        .multiples{display:flex;flex-wrap:wrap;gap:8px}.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin-top:4px}
        .swatch{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border-radius:2px}
        pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px}
        """
}

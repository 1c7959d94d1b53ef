import Foundation
import Plot
import Sweeping
import Training
import SweepCore

/// What the charts share, worked out once per report: each trial's fields and metric, and one axis
/// per parameter a chart lays out.
struct Context: Sendable {
    let data: ReportData
    let ranking: Ranking
    /// Each record's fields (`TrialRecord.fields` formats them anew on every call).
    let fields: [[String]]
    /// Each record's metric, when it is a finite number.
    let metric: [Double?]
    /// Column name → index in `fields`.
    let column: [String: Int]
    /// The axes of the varying parameters and of the heatmap's two.
    let axes: [String: ParameterAxis]

    init(data: ReportData, ranking: Ranking, heatmap: (x: String, y: String)) {
        self.data = data
        self.ranking = ranking
        fields = data.records.map(\.fields)
        metric = data.records.map { record in record.metric(data.metric.name).flatMap { $0.isFinite ? $0 : nil } }
        column = Dictionary(data.layout.columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var axes: [String: ParameterAxis] = [:]
        for name in ranking.varyingParameters + [heatmap.x, heatmap.y] where axes[name] == nil && data.layout.parameters.contains(name) {
            let index = column[name]!
            axes[name] = ParameterAxis(name: name, values: fields.map { $0[index] }, log: data.logScale[name])
        }
        self.axes = axes
        bestFirst = Context.bestFirst(data, metric: metric)
    }

    /// A short label of a record's configuration: its values of the varying parameters.
    func label(_ record: Int) -> String {
        let parts = ranking.varyingParameters.map { "\($0)=\(DisplayNumber.value(fields[record][column[$0]!]))" }
        return parts.isEmpty ? data.records[record].id : parts.joined(separator: " ")
    }

    /// Record indices best first: finite metrics in the goal's direction, then the rest in file order.
    let bestFirst: [Int]

    static func bestFirst(_ data: ReportData, metric: [Double?]) -> [Int] {
        let minimize = data.metric.minimize
        return data.records.indices.sorted { a, b in
            switch (metric[a], metric[b]) {
            case let (x?, y?): return x != y ? (minimize ? x < y : x > y) : a < b
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a < b
            }
        }
    }
}

/// Show every `n`-th of labels `spacing` pixels apart so that none overlap (about 0.6 em per character).
func labelStride(_ labels: [String], spacing: Double, size: Double = 11) -> Int {
    let widest = Double(labels.map(\.count).max() ?? 0) * size * 0.6 + 6
    return max(1, Int((widest / max(spacing, 1)).rounded(.up)))
}

extension Report {
    /// The metric per value of one parameter (mean, and min–max): one mark per listed value, or per
    /// bin of a continuous parameter, placed on its linear or log scale.
    func perParameter(_ parameter: String, _ context: Context) -> Node<HTML.BodyContext> {
        let axis = context.axes[parameter]!, index = context.column[parameter]!
        var groups = [[Double]](repeating: [], count: axis.count)
        for (i, record) in data.records.enumerated() where record.status == .completed {
            if let value = context.metric[i] { groups[axis.slot(context.fields[i][index])].append(value) }
        }
        let (width, height) = (340.0, 220.0), (left, right, top, bottom) = (56.0, 12.0, 24.0, 40.0)
        let y = LinearScale(domain: groups.flatMap { $0 }, range: (height - bottom, top))
        let title = parameter + (axis.scale == .log ? " (log scale)" : "")
        var nodes: [Node<HTML.BodyContext>] = [SVG.text(left, 14, title, size: 12, fill: "#111")]
        nodes += yAxis(y, left: left, width: width)
        let colour = Palette.categorical[0]
        func summary(_ values: [Double]) -> String {
            let best = data.metric.minimize ? values.min()! : values.max()!
            return "mean \(String(format: "%.4f", values.reduce(0, +) / Double(values.count))), best \(String(format: "%.4f", best)), n=\(values.count)"
        }
        var drawn = 0
        if axis.isBinned, let kind = axis.scale {
            let x = ParameterScale(axis.edges.first!, axis.edges.last!, kind: kind, range: (left + 4, width - right - 4))
            nodes.append(SVG.line(left, y.start, width - right, y.start, stroke: "#555"))
            let ticks = x.ticks, every = labelStride(ticks.map { DisplayNumber.number($0) }, spacing: (width - left - right) / Double(max(ticks.count, 1)))
            for (i, tick) in ticks.enumerated() {
                nodes.append(SVG.line(x(tick), y.start, x(tick), y.start + 4, stroke: "#555"))
                if i % every == 0 { nodes.append(SVG.text(x(tick), height - bottom + 16, DisplayNumber.number(tick), anchor: "middle")) }
            }
            for (slot, values) in groups.enumerated() where !values.isEmpty {
                let (low, high) = (axis.edges[slot], axis.edges[slot + 1])
                let mean = values.reduce(0, +) / Double(values.count)
                // A band over the bin's width from the best to the worst value, the mean at its middle.
                nodes.append(SVG.group(series: axis.labels[slot], [
                    SVG.rect(x(low) + 0.5, y(values.max()!), max(x(high) - x(low) - 1, 1), max(y(values.min()!) - y(values.max()!), 1),
                             fill: colour, opacity: 0.22),
                    SVG.circle(x(x.middle(low, high)), y(mean), radius: 4, fill: colour,
                               title: "\(parameter) in \(axis.range(slot)): \(summary(values))"),
                ]))
                drawn += 1
            }
        } else {
            let step = (width - left - right) / Double(max(axis.count, 1))
            let every = labelStride(axis.labels, spacing: step)
            for (slot, values) in groups.enumerated() {
                let cx = left + step * (Double(slot) + 0.5)
                if slot % every == 0 { nodes.append(SVG.text(cx, height - bottom + 16, axis.labels[slot], anchor: "middle")) }
                guard !values.isEmpty else { continue }
                let mean = values.reduce(0, +) / Double(values.count)
                nodes.append(SVG.group(series: axis.labels[slot], [
                    SVG.line(cx, y(values.min()!), cx, y(values.max()!), stroke: colour, width: 2),
                    SVG.circle(cx, y(mean), radius: 5, fill: colour, title: "\(parameter)=\(axis.labels[slot]): \(summary(values))"),
                ]))
                drawn += 1
            }
        }
        return figure("parameter-\(parameter)", series: drawn,
                      SVG.svg(width: width, height: height, label: "\(data.metric.name) by \(parameter)", nodes))
    }

    /// The mean metric per cell of two parameters' axes (values, or bins of continuous parameters).
    func heatmapChart(_ context: Context) -> Node<HTML.BodyContext> {
        guard let xAxis = context.axes[heatmap.x], let yAxis = context.axes[heatmap.y],
              let xi = context.column[heatmap.x], let yi = context.column[heatmap.y]
        else { return .p(.class("note"), .text("unknown heatmap parameters \(heatmap.x), \(heatmap.y)")) }
        var sums = [[(sum: Double, count: Int)]](repeating: .init(repeating: (0, 0), count: xAxis.count), count: yAxis.count)
        for (i, record) in data.records.enumerated() where record.status == .completed {
            guard let value = context.metric[i] else { continue }
            let (column, row) = (xAxis.slot(context.fields[i][xi]), yAxis.slot(context.fields[i][yi]))
            sums[row][column].sum += value
            sums[row][column].count += 1
        }
        let means = sums.flatMap { $0 }.filter { $0.count > 0 }.map { $0.sum / Double($0.count) }
        let (low, high) = (means.min() ?? 0, means.max() ?? 1)
        let (cell, left, top) = (64.0, 110.0, 16.0)
        let (width, height) = (left + cell * Double(xAxis.count) + 30, top + cell * Double(yAxis.count) + 50)
        func describe(_ axis: ParameterAxis, _ slot: Int) -> String {
            axis.isBinned ? "\(axis.name) in \(axis.range(slot))" : "\(axis.name)=\(axis.labels[slot])"
        }
        var nodes: [Node<HTML.BodyContext>] = []
        for row in 0..<yAxis.count {
            var rowNodes: [Node<HTML.BodyContext>] = []
            for column in 0..<xAxis.count {
                let (cx, cy) = (left + cell * Double(column), top + cell * Double(row))
                let where_ = "\(describe(xAxis, column)), \(describe(yAxis, row))"
                let entry = sums[row][column]
                guard entry.count > 0 else {
                    rowNodes.append(SVG.rect(cx, cy, cell - 2, cell - 2, fill: "#eee", title: "\(where_): no completed trial"))
                    continue
                }
                let mean = entry.sum / Double(entry.count)
                var t = high > low ? (mean - low) / (high - low) : 0.5
                if !data.metric.minimize { t = 1 - t }
                rowNodes.append(SVG.rect(cx, cy, cell - 2, cell - 2, fill: Palette.ramp(t),
                                         title: "\(where_): mean \(String(format: "%.4f", mean)) of \(entry.count)"))
                rowNodes.append(SVG.text(cx + cell / 2 - 1, cy + cell / 2 + 4, DisplayNumber.number(mean, digits: 3), anchor: "middle",
                                         size: 11, fill: t > 0.6 ? "#111" : "#fff"))
            }
            nodes.append(SVG.group(series: "\(yAxis.name) \(yAxis.labels[row])", rowNodes))
        }
        // Values label their row or column; bins label the edges between them.
        if yAxis.isBinned {
            for (j, edge) in yAxis.edges.enumerated() {
                nodes.append(SVG.text(left - 8, top + cell * Double(j) + 3, DisplayNumber.number(edge), anchor: "end"))
            }
        } else {
            for (row, label) in yAxis.labels.enumerated() {
                nodes.append(SVG.text(left - 8, top + cell * (Double(row) + 0.5) + 4, label, anchor: "end"))
            }
        }
        let labelY = top + cell * Double(yAxis.count) + 16
        if xAxis.isBinned {
            for (j, edge) in xAxis.edges.enumerated() {
                nodes.append(SVG.text(left + cell * Double(j) - 1, labelY, DisplayNumber.number(edge), anchor: "middle"))
            }
        } else {
            let every = labelStride(xAxis.labels, spacing: cell)
            for (column, label) in xAxis.labels.enumerated() where column % every == 0 {
                nodes.append(SVG.text(left + cell * (Double(column) + 0.5), labelY, label, anchor: "middle"))
            }
        }
        func title(_ axis: ParameterAxis) -> String {
            axis.name + (axis.scale == .log ? " (log bins)" : axis.isBinned ? " (quantile bins)" : "")
        }
        nodes.append(SVG.text(left + cell * Double(xAxis.count) / 2, height - 8, title(xAxis), anchor: "middle", size: 12))
        nodes.append(SVG.text(14, top + cell * Double(yAxis.count) / 2, title(yAxis), anchor: "middle", size: 12, rotate: true))
        return figure("heatmap", series: yAxis.count, SVG.svg(width: width, height: height, label: "heatmap", nodes))
    }

    func axes(x: LinearScale, y: LinearScale, width: Double, height: Double, xLabel: String, yLabel: String,
              integerX: Bool) -> [Node<HTML.BodyContext>] {
        var nodes = yAxis(y, left: x.start, width: width)
        nodes.append(SVG.line(x.start, y.start, x.end, y.start, stroke: "#555"))
        for tick in x.ticks where !integerX || tick.rounded() == tick {
            nodes.append(SVG.text(x(tick), y.start + 16, integerX ? "\(Int(tick))" : DisplayNumber.number(tick), anchor: "middle"))
        }
        nodes.append(SVG.text((x.start + x.end) / 2, height - 6, xLabel, anchor: "middle", size: 12))
        nodes.append(SVG.text(14, (y.start + y.end) / 2, yLabel, anchor: "middle", size: 12, rotate: true))
        return nodes
    }

    func yAxis(_ y: LinearScale, left: Double, width: Double) -> [Node<HTML.BodyContext>] {
        var nodes: [Node<HTML.BodyContext>] = [SVG.line(left, y.end, left, y.start, stroke: "#555")]
        for tick in y.ticks {
            nodes.append(SVG.line(left, y(tick), width - 12, y(tick), stroke: "#e5e5e5"))
            nodes.append(SVG.text(left - 6, y(tick) + 4, DisplayNumber.number(tick), anchor: "end", size: 10))
        }
        return nodes
    }
}

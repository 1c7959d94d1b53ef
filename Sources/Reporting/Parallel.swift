import Foundation
import Plot
import Sweeping
import SweepCore

extension Report {
    /// How many trials parallel coordinates draw as lines, the best ones; the others are drawn binned.
    static let parallelLines = 50
    /// Bins of the metric's axis for the trials drawn binned.
    static let metricBins = 12

    /// Every trial across its parameters and metric: the best `parallelLines` as lines at their
    /// values, the others as bands between adjacent axes' slots (bins of continuous parameters),
    /// as wide as the trials they carry. So at most (axes − 1) × slots² bands, whatever the trials.
    func parallelCoordinates(_ context: Context) -> Node<HTML.BodyContext> {
        let parameters = ranking.varyingParameters
        let names = parameters + [data.metric.name]
        let (width, height) = (760.0, 320.0), (left, right, top, bottom) = (60.0, 60.0, 20.0, 40.0)
        let spacing = (width - left - right) / Double(max(names.count - 1, 1))
        let finite = context.metric.compactMap { $0 }
        let metricScale = LinearScale(domain: finite, range: (height - bottom, top))
        let order = context.bestFirst
        // Colour by rank among completed trials, so one far-off value does not make all others alike.
        var percentile = [Double?](repeating: nil, count: data.records.count)
        let ranked = order.filter { data.records[$0].status == .completed && context.metric[$0] != nil }
        for (rank, i) in ranked.enumerated() { percentile[i] = ranked.count > 1 ? Double(rank) / Double(ranked.count - 1) : 0 }
        func colour(_ t: Double?) -> String {
            guard let t else { return "#bbbbbb" }
            return Palette.ramp(t)  // ranks count from the best in either direction
        }

        // Each parameter axis: binned numbers on their scale, other slots evenly spaced.
        let axes = parameters.map { context.axes[$0]! }
        let columns = parameters.map { context.column[$0]! }
        let scales: [ParameterScale?] = axes.map { axis in
            axis.scale.map { ParameterScale(axis.edges.first!, axis.edges.last!, kind: $0, range: (height - bottom, top)) }
        }
        let slotY: [[Double]] = axes.indices.map { a in
            let axis = axes[a]
            if let scale = scales[a] { return (0..<axis.count).map { scale(scale.middle(axis.edges[$0], axis.edges[$0 + 1])) } }
            let gap = (height - top - bottom) / Double(max(axis.count - 1, 1))
            return (0..<axis.count).map { axis.count == 1 ? (height - bottom + top) / 2 : height - bottom - gap * Double($0) }
        }
        func y(_ a: Int, _ record: Int) -> Double {
            if a == parameters.count { return context.metric[record].map { metricScale($0) } ?? top }
            let text = context.fields[record][columns[a]]
            if let scale = scales[a], let x = Double(text) { return scale(x) }
            return slotY[a][axes[a].slot(text)]
        }

        var nodes: [Node<HTML.BodyContext>] = []
        let lines = Array(order.prefix(Report.parallelLines)), rest = order.dropFirst(Report.parallelLines)
        if !rest.isEmpty {
            let (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
            let metricBins = Report.metricBins
            func metricSlot(_ record: Int) -> Int {
                guard let value = context.metric[record] else { return metricBins }  // not finite: at the top
                return high > low ? min(Int((value - low) / (high - low) * Double(metricBins)), metricBins - 1) : 0
            }
            let metricSlotY = (0..<metricBins).map { metricScale(low + (high - low) * (Double($0) + 0.5) / Double(metricBins)) } + [top]
            func slot(_ a: Int, _ record: Int) -> Int {
                a == parameters.count ? metricSlot(record) : axes[a].slot(context.fields[record][columns[a]])
            }
            func slotPosition(_ a: Int, _ s: Int) -> Double { a == parameters.count ? metricSlotY[s] : slotY[a][s] }
            var bands: [(a: Int, from: Int, to: Int, count: Int, colour: Double?)] = []
            for a in 0..<(names.count - 1) {
                var flows: [Int: (count: Int, sum: Double, coloured: Int)] = [:]
                for record in rest {
                    let key = slot(a, record) * (metricBins + 1 + ParameterAxis.maxSlots) + slot(a + 1, record)
                    var flow = flows[key] ?? (0, 0, 0)
                    flow.count += 1
                    if let t = percentile[record] { flow.sum += t; flow.coloured += 1 }
                    flows[key] = flow
                }
                for (key, flow) in flows.sorted(by: { $0.key < $1.key }) {
                    let span = metricBins + 1 + ParameterAxis.maxSlots
                    bands.append((a, key / span, key % span, flow.count, flow.coloured > 0 ? flow.sum / Double(flow.coloured) : nil))
                }
            }
            let most = Double(bands.map(\.count).max() ?? 1)
            // Fewest first, so the main streams are drawn on top.
            let bandNodes = bands.sorted { $0.count < $1.count }.map { band in
                SVG.line(left + spacing * Double(band.a), slotPosition(band.a, band.from),
                         left + spacing * Double(band.a + 1), slotPosition(band.a + 1, band.to),
                         stroke: colour(band.colour), width: 1 + 7 * (Double(band.count) / most).squareRoot(),
                         title: "\(band.count) trial\(band.count == 1 ? "" : "s")")
            }
            nodes.append(SVG.group(opacity: 0.35, bandNodes))
        }
        // The best last, so they are drawn on top.
        for record in lines.reversed() {
            let value = context.metric[record]
            let points = names.indices.map { a in (left + spacing * Double(a), y(a, record)) }
            let status = data.records[record].status
            nodes.append(SVG.group(series: data.records[record].id, [
                SVG.polyline(points, stroke: status == .completed ? colour(percentile[record]) : "#bbbbbb", width: 1.5, opacity: 0.85,
                             title: "\(data.records[record].id) \(status.rawValue) \(data.metric.name) \(value.map { String(format: "%.4f", $0) } ?? "–")"),
            ]))
        }
        for (a, name) in names.enumerated() {
            let x = left + spacing * Double(a)
            nodes.append(SVG.line(x, top, x, height - bottom, stroke: "#555"))
            let isLog = a < parameters.count && axes[a].scale == .log
            nodes.append(SVG.text(x, height - 12, name + (isLog ? " (log)" : ""), anchor: "middle", size: 12, fill: "#111"))
            if a == parameters.count {
                for tick in metricScale.ticks { nodes.append(SVG.text(x + 4, metricScale(tick) + 3, DisplayNumber.number(tick), size: 10, halo: true)) }
            } else if let scale = scales[a] {
                for tick in scale.ticks { nodes.append(SVG.text(x + 4, scale(tick) + 3, DisplayNumber.number(tick), size: 10, halo: true)) }
            } else {
                // Labels 10 px high need about 12 px between them.
                let gap = axes[a].count > 1 ? slotY[a][0] - slotY[a][1] : 100
                let every = max(1, Int((12 / gap).rounded(.up)))
                for (s, label) in axes[a].labels.enumerated() where s % every == 0 {
                    nodes.append(SVG.text(x + 4, slotY[a][s] - 3, label, size: 10, halo: true))
                }
            }
        }
        let shown = rest.isEmpty ? "every trial a line"
            : "lines: the best \(lines.count) of \(data.records.count) trials; bands: the other \(rest.count), binned per axis, as wide as they are many"
        return figure("parallel", series: lines.count,
                      SVG.svg(width: width, height: height, label: "parallel coordinates", nodes),
                      legend: [.span(.class("key note"), .text(
                        "\(shown); colour: rank by \(data.metric.name), dark blue best, yellow worst; grey: not completed"))])
    }
}

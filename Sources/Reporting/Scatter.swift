import Foundation
import Plot

/// What the scatter charts share (the front, the history): marks beyond a chart's budget binned into
/// a density beneath the marks, and step lines with a bounded number of steps.
extension Report {
    /// A density of the points `(x, y)` (in pixels) in `densityCells` cells over the plot area of `x`
    /// and `y`, each as dark as it is full; nil without points. At most 40 × 24 rects, whatever the trials.
    static func density(_ points: [(Double, Double)], x: ParameterScale, y: ParameterScale) -> Node<HTML.BodyContext>? {
        guard !points.isEmpty else { return nil }
        let cells = Report.densityCells
        var density = [[Int]](repeating: [Int](repeating: 0, count: cells.x), count: cells.y)
        for (px, py) in points {
            let (u, v) = ((px - x.start) / (x.end - x.start), (py - y.end) / (y.start - y.end))
            guard u.isFinite, v.isFinite else { continue }
            let column = min(max(Int(u * Double(cells.x)), 0), cells.x - 1)
            let row = min(max(Int(v * Double(cells.y)), 0), cells.y - 1)
            density[row][column] += 1
        }
        let most = density.joined().max() ?? 0
        guard most > 0 else { return nil }
        let (cellWidth, cellHeight) = ((x.end - x.start) / Double(cells.x), (y.start - y.end) / Double(cells.y))
        var shades = [[(Double, Double)]](repeating: [], count: Report.shades)
        for (row, counts) in density.enumerated() {
            for (column, count) in counts.enumerated() where count > 0 {
                shades[Report.shade(Double(count) / Double(most))].append((x.start + Double(column) * cellWidth, y.end + Double(row) * cellHeight))
            }
        }
        return Report.shaded(shades, size: (cellWidth, cellHeight), colour: Palette.categorical[0], class: "density",
                             title: { level in "cells of about \(Int((Double(level + 1) / Double(Report.shades) * Double(most)).rounded())) trials" })
    }

    /// How many shades a density or a busy timeline uses.
    static let shades = 6

    /// The shade of a share in (0, 1].
    static func shade(_ share: Double) -> Int { min(max(Int((share * Double(shades)).rounded(.up)) - 1, 0), shades - 1) }

    /// Cells of one size as one path per shade (`cells[level]`: their top-left corners), each shade as
    /// opaque as its level: some 20 bytes a cell rather than a rect's 90.
    static func shaded(_ cells: [[(Double, Double)]], size: (Double, Double), colour: String, class name: String,
                       title: (Int) -> String) -> Node<HTML.BodyContext> {
        var nodes: [Node<HTML.BodyContext>] = [SVG.attribute("class", name)]
        for (level, corners) in cells.enumerated() where !corners.isEmpty {
            let path = corners.map { "M\(SVG.number($0.0)) \(SVG.number($0.1))h\(SVG.number(size.0))v\(SVG.number(size.1))h-\(SVG.number(size.0))z" }
            nodes.append(.element(named: "path", nodes: [
                SVG.attribute("d", path.joined()), SVG.attribute("fill", colour),
                SVG.attribute("fill-opacity", String(format: "%.2f", 0.1 + 0.85 * Double(level + 1) / Double(shades))),
                .element(named: "title", text: title(level)),
            ]))
        }
        return .element(named: "g", nodes: nodes)
    }

    /// `values` (x ascending) as a step line's corners: each value holds until the next changes it.
    /// Only changes are kept, at most `lineSteps` of them evenly spaced, and the last point.
    static func steps(_ values: [(Double, Double)]) -> [(Double, Double)] {
        var changes = values.indices.filter { $0 == 0 || values[$0].1 != values[$0 - 1].1 }
        if changes.count > Report.lineSteps {
            changes = (0..<Report.lineSteps).map { changes[$0 * changes.count / Report.lineSteps] }
        }
        if let last = values.indices.last, changes.last != last { changes.append(last) }
        return changes.map { values[$0] }
    }

    /// Corners `points` joined as a staircase (in pixels): horizontal, then vertical, at each.
    static func staircase(_ points: [(Double, Double)]) -> [(Double, Double)] {
        var steps: [(Double, Double)] = []
        for (k, point) in points.enumerated() {
            if k > 0 { steps.append((point.0, points[k - 1].1)) }
            steps.append(point)
        }
        return steps
    }
}

import Foundation
import Plot
import Sweeping

extension Report {
    /// Parameter importance as horizontal bars (PED-ANOVA's shares, `sweep importance`'s figures), with
    /// each parameter's noise level as a tick: a bar that does not pass its tick is within noise. Its
    /// size is one row a parameter, whatever the number of trials.
    func importanceChart() -> Node<HTML.BodyContext> {
        guard let importance = data.importance, importance.top > 0, importance.trials >= 2, !importance.entries.isEmpty else {
            return .p(.class("note"), .text("Too few completed trials to compare parameters."))
        }
        let labelWidth = 150.0, barWidth = 420.0, row = 22.0
        let width = labelWidth + barWidth + 130, height = Double(importance.entries.count) * row + 30
        var nodes: [SVG.Content] = []
        for (index, entry) in importance.entries.enumerated() {
            let y = 10 + Double(index) * row
            let share = entry.importance, noise = min(entry.noise, 1)
            let colour = entry.withinNoise ? "#bbb" : "#3b6fb6"
            let title = "\(entry.name): " + String(format: "%.1f%% of the importance; noise level %.1f%%", share * 100, entry.noise * 100)
            nodes.append(SVG.group(series: entry.name, [
                SVG.text(labelWidth - 8, y + 14, entry.name, anchor: "end"),
                SVG.rect(labelWidth, y + 3, max(barWidth * share, 1), row - 8, fill: colour, title: title),
                SVG.line(labelWidth + barWidth * noise, y, labelWidth + barWidth * noise, y + row - 2, stroke: "#c33", width: 1.5,
                         title: String(format: "noise level %.1f%%", entry.noise * 100)),
                SVG.text(labelWidth + barWidth * max(share, noise) + 8, y + 14,
                         String(format: "%.1f%%", share * 100) + (entry.withinNoise ? " within noise" : ""), fill: "#555"),
            ]))
        }
        nodes.append(SVG.text(labelWidth, height - 4, "share of the importance (0–100 %); red tick: the noise level", size: 10, fill: "#777"))
        return .group(
            figure("importance", series: importance.entries.count,
                   SVG.svg(width: width, height: height, label: "parameter importance", nodes)),
            .p(.class("note"), .text("PED-ANOVA: where the best \(importance.top) of \(importance.trials) completed trials lie against "
                                     + "where all of them lie, one parameter at a time (sweep importance prints the same)."))
        )
    }
}

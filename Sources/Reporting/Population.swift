import Foundation
import Plot
import Sweeping
import Training
import SweepCore

/// Population-based training: each member's run through its chain of stretches (the curve's figure
/// by epoch), a mark where a member copied a better one, and the schedules the best members followed,
/// a chart per explored hyperparameter. Bounded: at most `populationCurves` chains of their epochs,
/// and `scheduleCount` schedules of one point per stretch, whatever the population.
extension Report {
    /// How many members' runs the population chart draws (the best by rank).
    static let populationCurves = 20
    /// How many of the best members' schedules are drawn.
    static let scheduleCount = 5

    /// The members' schedules in rank order (population-based training only; empty otherwise).
    func rankedSchedules() -> [MemberSchedule] {
        guard data.layout.population else { return [] }
        let byLast = Dictionary(MemberSchedule.latest(in: data.records).map { ($0.last.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ranking.rows.compactMap { byLast[$0.trials[0]] }
    }

    /// The population's runs over epochs with the copies marked.
    func populationChart(_ schedules: [MemberSchedule]) -> Node<HTML.BodyContext> {
        let curve = data.layout.curve
        let shown = Array(schedules.prefix(Report.populationCurves))
        func points(_ schedule: MemberSchedule) -> [(Int, Double)] {
            schedule.stretches.flatMap { stretch in
                (data.epochs[stretch.id] ?? []).compactMap { e in e.value(named: curve.solid).flatMap { $0.isFinite ? (e.epoch, $0) : nil } }
            }
        }
        let runs = shown.map(points)
        let (width, height) = (760.0, 340.0), (left, right, topMargin, bottom) = (56.0, 16.0, 12.0, 40.0)
        let x = LinearScale(domain: runs.flatMap { $0.map { Double($0.0) } }, range: (left, width - right))
        let y = LinearScale(domain: runs.flatMap { $0.map(\.1) }, range: (height - bottom, topMargin))
        var nodes = axes(x: x, y: y, width: width, height: height, xLabel: "epoch", yLabel: curve.axis, integerX: true)
        var legend: [Node<HTML.BodyContext>] = []
        // The worst first, so the best are drawn on top.
        for (index, (schedule, run)) in zip(shown, runs).enumerated().reversed() {
            let colour = index < Report.scheduleCount ? Palette.categorical[index % Palette.categorical.count] : "#bdbdbd"
            let member = schedule.last.point.lineage?.member ?? 0
            var lines: [Node<HTML.BodyContext>] = [SVG.polyline(run.map { (x(Double($0.0)), y($0.1)) }, stroke: colour,
                                                                 width: index < Report.scheduleCount ? 2 : 1,
                                                                 title: "\(index + 1). member \(member) (\(schedule.last.id))")]
            // A copy: the stretch before this one belongs to another member.
            for (k, stretch) in schedule.stretches.enumerated().dropFirst() {
                let before = schedule.stretches[k - 1]
                guard before.point.lineage?.member != stretch.point.lineage?.member,
                      let at = run.last(where: { $0.0 <= before.config.epochs }) else { continue }
                lines.append(SVG.circle(x(Double(at.0)), y(at.1), radius: 3.5, fill: colour,
                                        title: "member \(stretch.point.lineage?.member ?? 0) copied member \(before.point.lineage?.member ?? 0) "
                                            + "at epoch \(before.config.epochs)"))
            }
            nodes.append(SVG.group(series: schedule.last.id, lines))
            if index < Report.scheduleCount {
                legend.insert(.span(.class("key"), .span(.class("swatch"), .style("background:\(colour)")),
                                    .text("\(index + 1). member \(member)")), at: 0)
            }
        }
        var note = "\(curve.solidTitle) of each member's run through its chain of stretches; ● where it copied a better member"
        if schedules.count > shown.count { note += "; the best \(shown.count) of \(schedules.count) members" }
        legend.append(.span(.class("key note"), .text(note)))
        return figure("population", series: shown.count, SVG.svg(width: width, height: height, label: "population", nodes), legend: legend)
    }

    /// A chart per hyperparameter explore changed: its value by epoch for the best members, as steps.
    func scheduleCharts(_ schedules: [MemberSchedule]) -> Node<HTML.BodyContext> {
        let best = Array(schedules.prefix(Report.scheduleCount))
        let names = ranking.varyingParameters.filter { name in
            (Hyperparameter(rawValue: name)?.changesBetweenStretches ?? false)
                && best.contains { Set($0.stretches.map { $0.point[name] }).count > 1 }
        }
        return .div(.class("multiples"), .group(names.map { name in
            let log = data.logScale[name] ?? false
            func value(_ record: TrialRecord) -> Double? {
                let number: Double
                switch record.point[name] {
                case .real(let x)?: number = x
                case .int(let n)?: number = Double(n)
                default: return nil
                }
                return log ? (number > 0 ? log10(number) : nil) : number
            }
            let (width, height) = (370.0, 220.0), (left, right, topMargin, bottom) = (56.0, 10.0, 10.0, 36.0)
            let ends: [Double] = best.flatMap { schedule in schedule.stretches.map { Double($0.config.epochs) } } + [0]
            let x = LinearScale(domain: ends, range: (left, width - right))
            let values: [Double] = best.flatMap { schedule in schedule.stretches.compactMap(value) }
            let y = LinearScale(domain: values, range: (height - bottom, topMargin))
            var nodes = axes(x: x, y: y, width: width, height: height, xLabel: "epoch", yLabel: log ? "log10 \(name)" : name, integerX: true)
            for (index, schedule) in best.enumerated().reversed() {
                var steps: [(Double, Double)] = []
                var start = 0.0
                for stretch in schedule.stretches {
                    guard let v = value(stretch) else { continue }
                    steps += [(x(start), y(v)), (x(Double(stretch.config.epochs)), y(v))]
                    start = Double(stretch.config.epochs)
                }
                nodes.append(SVG.group(series: schedule.last.id, [SVG.polyline(steps, stroke: Palette.categorical[index % Palette.categorical.count],
                                                                                width: 2, title: "\(index + 1). \(name) schedule")]))
            }
            return figure("schedule", series: best.count, SVG.svg(width: width, height: height, label: "\(name) schedule", nodes),
                          legend: [.span(.class("key note"), .text("\(name) by epoch, the best \(best.count) members (colours as above)"))])
        }))
    }
}

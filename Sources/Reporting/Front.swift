import Foundation
import Plot
import Sweeping
import SweepCore

/// The report's charts for several objectives: the Pareto front (one scatter for two objectives,
/// one per pair for more; the feasible front joined, infeasible trials grey, `warm_start:` trials as
/// hollow "prior" marks) and the hypervolume the trials dominate, by trial and by training time.
/// Their size is bounded whatever the number of trials: at most `Report.frontMarks` trials are drawn as
/// marks (the front first, then by front), the rest as a binned density beneath them, and a
/// hypervolume line has at most `Report.lineSteps` steps.
extension Report {
    /// The most trials a front chart draws as marks; the rest are a density of `densityCells` cells.
    static let frontMarks = 400, densityCells = (x: 40, y: 24)
    /// The most steps a hypervolume line draws.
    static let lineSteps = 400

    /// A trial's value of each objective (as recorded, not signed), when every one is a finite number.
    func objectiveValues(_ record: TrialRecord) -> [Double]? {
        let values = data.objectives.metrics.map { record.metric($0.name) }
        guard values.allSatisfy({ $0?.isFinite == true }) else { return nil }
        return values.map { $0! }
    }

    /// The trials on the chart: completed ones and stopped ones (at the values they reached).
    private func charted(_ records: [TrialRecord]) -> [(record: TrialRecord, values: [Double])] {
        records.compactMap { record in
            guard record.status == .completed || record.status == .stopped, let values = objectiveValues(record) else { return nil }
            return (record, values)
        }
    }

    /// The front charts, or nothing with one objective.
    func frontCharts() -> [Node<HTML.BodyContext>] {
        let objectives = data.objectives
        guard objectives.areSeveral else { return [] }
        let trials = charted(data.records), priors = charted(data.priors)
        // The front: completed, feasible trials no other such trial dominates on every objective.
        let eligible = trials.indices.filter { trials[$0].record.status == .completed && trials[$0].record.feasible != false }
        let signed = eligible.map { index in zip(objectives.metrics, trials[index].values).map { $0.minimize ? $1 : -$1 } }
        let fronts = Pareto.fronts(signed)
        let onFront = Set(zip(eligible, fronts).filter { $0.1 == 0 }.map(\.0))
        var charts: [Node<HTML.BodyContext>] = []
        let m = objectives.metrics.count
        let size: (Double, Double) = m == 2 ? (760, 380) : (360, 300)
        for i in 0..<m {
            for j in (i + 1)..<m {
                charts.append(scatter(i, j, trials: trials, priors: priors, onFront: onFront, size: size))
            }
        }
        return [.div(.class("multiples"), .group(charts))]
    }

    private func scatter(_ i: Int, _ j: Int, trials: [(record: TrialRecord, values: [Double])],
                         priors: [(record: TrialRecord, values: [Double])], onFront: Set<Int>, size: (Double, Double)) -> Node<HTML.BodyContext> {
        let (width, height) = size, (left, right, top, bottom) = (64.0, 16.0, 12.0, 40.0)
        let metrics = data.objectives.metrics
        let all = trials.map(\.values) + priors.map(\.values)
        let x = Report.objectiveScale(all.map { $0[i] }, range: (left, width - right))
        let y = Report.objectiveScale(all.map { $0[j] }, range: (height - bottom, top))
        var nodes = frontAxes(x: x, y: y, width: width, height: height, xLabel: metrics[i].name, yLabel: metrics[j].name)
        func title(_ record: TrialRecord, _ values: [Double], _ note: String) -> String {
            "\(record.id)\(note): " + zip(metrics, values).map { "\($0.name) \(DisplayNumber.number($1))" }.joined(separator: ", ")
        }
        var infeasible: [Node<HTML.BodyContext>] = [], feasible: [Node<HTML.BodyContext>] = [], front: [Node<HTML.BodyContext>] = []
        // The front first, then the feasible, then the rest, each in sweep order: the first `frontMarks` are marks.
        let order = trials.indices.sorted { a, b in
            let rank = { (i: Int) in onFront.contains(i) ? 0 : trials[i].record.feasible == false ? 2 : 1 }
            return rank(a) != rank(b) ? rank(a) < rank(b) : a < b
        }
        let marked = Set(order.prefix(Report.frontMarks))
        let binned = order.dropFirst(Report.frontMarks).map { (x(trials[$0].values[i]), y(trials[$0].values[j])) }
        if let density = Report.density(binned, x: x, y: y) { nodes.append(density) }
        for (index, trial) in trials.enumerated() where marked.contains(index) {
            let (cx, cy) = (x(trial.values[i]), y(trial.values[j]))
            if trial.record.feasible == false {
                infeasible.append(SVG.circle(cx, cy, radius: 3.5, fill: "#c8c8c8", title: title(trial.record, trial.values, " (infeasible)")))
            } else if onFront.contains(index) {
                front.append(SVG.circle(cx, cy, radius: 5, fill: Palette.categorical[2], title: title(trial.record, trial.values, " (front)")))
            } else {
                let stopped = trial.record.stoppedAt.map { " (stopped at \($0))" } ?? ""
                feasible.append(SVG.circle(cx, cy, radius: 3.5, fill: Palette.categorical[0], title: title(trial.record, trial.values, stopped)))
            }
        }
        let hollow = priors.prefix(Report.frontMarks).map { prior in
            Node<HTML.BodyContext>.element(named: "circle", nodes: [
                SVG.attribute("cx", SVG.number(x(prior.values[i]))), SVG.attribute("cy", SVG.number(y(prior.values[j]))),
                SVG.attribute("r", "4"), SVG.attribute("fill", "none"),
                SVG.attribute("stroke", "#555"), .element(named: "title", text: title(prior.record, prior.values, " (prior)")),
            ])
        }
        // The front joined in this pair's projection, as a staircase in the direction of both goals: the
        // corner between two neighbours holds the worse of their values on each axis (what neither beats).
        let frontPoints = onFront.map { trials[$0].values }.sorted { ($0[i], $0[j]) < ($1[i], $1[j]) }
        func worse(_ a: Double, _ b: Double, _ metric: Metric) -> Double { metric.minimize ? max(a, b) : min(a, b) }
        var steps: [(Double, Double)] = []
        for (k, point) in frontPoints.enumerated() {
            if k > 0 {
                let previous = frontPoints[k - 1]
                steps.append((x(worse(previous[i], point[i], metrics[i])), y(worse(previous[j], point[j], metrics[j]))))
            }
            steps.append((x(point[i]), y(point[j])))
        }
        nodes.append(SVG.group(series: "infeasible", infeasible))
        nodes.append(SVG.group(series: "prior", hollow))
        nodes.append(SVG.group(series: "trials", feasible))
        if metrics.count == 2, steps.count > 1 { nodes.append(SVG.polyline(steps, stroke: Palette.categorical[2], width: 1.5)) }
        nodes.append(SVG.group(series: "front", front))
        var legend: [Node<HTML.BodyContext>] = [
            .span(.class("key"), .span(.class("swatch"), .style("background:\(Palette.categorical[2])")), .text("Pareto front (\(front.count))")),
            .span(.class("key"), .span(.class("swatch"), .style("background:\(Palette.categorical[0])")), .text("other feasible trials")),
        ]
        if !infeasible.isEmpty { legend.append(.span(.class("key"), .span(.class("swatch"), .style("background:#c8c8c8")), .text("infeasible"))) }
        if !priors.isEmpty { legend.append(.span(.class("key note"), .text("hollow: warm-start trials (prior, not run here)"))) }
        if !binned.isEmpty { legend.append(.span(.class("key note"), .text("shaded: \(trials.count - marked.count) more trials, binned"))) }
        return figure("front-\(metrics[i].name)-\(metrics[j].name)", series: 4,
                      SVG.svg(width: width, height: height, label: "Pareto front: \(metrics[i].name) and \(metrics[j].name)", nodes),
                      legend: legend)
    }

    /// An objective's axis: logarithmic when its values are positive and span more than a factor of 20
    /// (model sizes from 25,000 to 1,300,000 would otherwise crowd the small models into one corner),
    /// else linear; padded by 5 % of the range (a twentieth of a decade on a log scale).
    static func objectiveScale(_ values: [Double], range: (Double, Double)) -> ParameterScale {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if low > 0 && high / low > 20 {
            return ParameterScale(low / pow(10, 0.05), high * pow(10, 0.05), kind: .log, range: range)
        }
        if low == high { (low, high) = (low - 0.5, high + 0.5) }
        let pad = (high - low) * 0.05
        return ParameterScale(low - pad, high + pad, kind: .linear, range: range)
    }

    /// Axes with round ticks on either kind of scale: grid lines and labels on the left and below.
    func frontAxes(x: ParameterScale, y: ParameterScale, width: Double, height: Double, xLabel: String,
                           yLabel: String) -> [Node<HTML.BodyContext>] {
        var nodes: [Node<HTML.BodyContext>] = [SVG.line(x.start, y.end, x.start, y.start, stroke: "#555"),
                                               SVG.line(x.start, y.start, x.end, y.start, stroke: "#555")]
        for tick in y.ticks {
            nodes.append(SVG.line(x.start, y(tick), x.end, y(tick), stroke: "#e5e5e5"))
            nodes.append(SVG.text(x.start - 6, y(tick) + 4, DisplayNumber.number(tick), anchor: "end", size: 10))
        }
        for tick in x.ticks { nodes.append(SVG.text(x(tick), y.start + 16, DisplayNumber.number(tick), anchor: "middle")) }
        nodes.append(SVG.text((x.start + x.end) / 2, height - 6, xLabel + (x.kind == .log ? " (log scale)" : ""), anchor: "middle", size: 12))
        nodes.append(SVG.text(14, (y.start + y.end) / 2, yLabel + (y.kind == .log ? " (log scale)" : ""), anchor: "middle", size: 12,
                              rotate: true))
        return nodes
    }

    /// The hypervolume of the feasible completed trials so far, in sweep order, by trial number and by
    /// training time spent; the reference point is the worst of each objective pushed 10 % out.
    func hypervolumeCharts() -> [Node<HTML.BodyContext>] {
        let objectives = data.objectives
        guard objectives.areSeveral else { return [] }
        let ordered = data.records.enumerated().sorted { a, b in
            let (x, y) = (a.element.number ?? Int.max, b.element.number ?? Int.max)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        let points: [[Double]?] = ordered.map { record in
            guard record.status == .completed, record.feasible != false, let values = objectiveValues(record) else { return nil }
            return zip(objectives.metrics, values).map { $0.minimize ? $1 : -$1 }
        }
        let reference = Pareto.referencePoint(points.compactMap { $0 }, dimensions: objectives.metrics.count)
        let volumes = Pareto.runningHypervolume(points, reference: reference)
        var spent = 0.0
        let seconds = ordered.map { record -> Double in
            spent += record.seconds
            return spent
        }
        let byTrial = Array(zip((1...max(ordered.count, 1)).map(Double.init), volumes))
        let byTime = Array(zip(seconds, volumes))
        let ref = zip(objectives.metrics, reference).map { "\($0.name) \(DisplayNumber.number($0.minimize ? $1 : -$1))" }.joined(separator: ", ")
        return [.div(.class("multiples"), .group([
            line(byTrial, kind: "hypervolume-trials", xLabel: "trials (in sweep order)", integerX: true),
            line(byTime, kind: "hypervolume-time", xLabel: "training seconds spent (in sweep order)", integerX: false),
        ])), .p(.class("note"), .text("Reference point: \(ref); feasible completed trials only."))]
    }

    private func line(_ all: [(Double, Double)], kind: String, xLabel: String, integerX: Bool) -> Node<HTML.BodyContext> {
        let points = Report.steps(all)
        let (width, height) = (360.0, 260.0), (left, right, top, bottom) = (64.0, 12.0, 12.0, 40.0)
        let x = LinearScale(domain: points.map(\.0), range: (left, width - right))
        let y = LinearScale(domain: points.map(\.1), range: (height - bottom, top))
        var nodes = axes(x: x, y: y, width: width, height: height, xLabel: xLabel, yLabel: "hypervolume", integerX: integerX)
        // A step line: the volume holds until the next trial raises it.
        let steps = Report.staircase(points.map { (x($0.0), y($0.1)) })
        nodes.append(SVG.group(series: "hypervolume", [SVG.polyline(steps, stroke: Palette.categorical[0], width: 2)]))
        return figure(kind, series: 1, SVG.svg(width: width, height: height, label: "hypervolume by \(xLabel)", nodes))
    }
}

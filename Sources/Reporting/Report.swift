import Foundation
import Plot
import Sweeping
import Training
import SweepCore

/// A self-contained HTML report of a sweep: inline SVG and CSS, nothing fetched. Only the table of
/// every trial needs its few lines of inline script (`tableScript`); every chart is plain SVG.
///
/// Every chart is a `<figure class="chart" data-chart=…>` whose data series are `<g class="series">`
/// groups, so a reader (or a test in a browser) can count what is drawn.
public struct Report: Sendable {
    /// What is shown.
    public let data: ReportData
    /// The heatmap's two parameters (columns, rows).
    public let heatmap: (x: String, y: String)

    /// The configurations, best first.
    let ranking: Ranking

    /// How many trials the loss curves show.
    public static let curveCount = 10

    /// A report of `data`; the heatmap uses `heatmap` or, by default, the two most important
    /// parameters (`ReportData.importance`), else learning_rate × weight_decay (or the first two
    /// parameters that vary, when those two do not).
    public init(data: ReportData, heatmap: (x: String, y: String)? = nil) {
        self.data = data
        // Population-based training ranks its members by their latest stretch, as `sweep rank` does.
        ranking = Ranking(records: MemberSchedule.ranked(data.records), metric: data.metric, objectives: data.objectives)
        let varying = ranking.varyingParameters
        let important = (data.importance?.entries ?? []).filter { !$0.withinNoise }.map(\.name).filter(varying.contains)
        if let heatmap {
            self.heatmap = heatmap
        } else if important.count >= 2 {
            self.heatmap = (important[0], important[1])
        } else if varying.contains("learning_rate") && varying.contains("weight_decay") {
            self.heatmap = ("learning_rate", "weight_decay")
        } else {
            self.heatmap = (varying.first ?? "learning_rate", varying.dropFirst().first ?? "weight_decay")
        }
    }

    /// The HTML document. Its size is bounded by the charts' pixels, the ranking table's 25 rows and
    /// the sweep file, whatever the number of trials (see `ParameterAxis`).
    public func render() -> String {
        let context = Context(data: data, ranking: ranking, heatmap: heatmap)
        // The table (its rows packed and gzipped) beside the charts; it goes in where its mark is. The
        // mark holds a fresh UUID, so no name or value in the page can be it (and every one is escaped,
        // so none can hold a comment's "<!--" at all).
        let mark = "<!--sweep: the trial table \(UUID().uuidString)-->"
        let (table, page) = bothAtOnce({ self.trialTable(context).render() }, { self.page(context, table: .raw(mark)).render(indentedBy: nil) })
        guard let at = page.range(of: mark) else { return page }
        return page.replacingCharacters(in: at, with: table)
    }

    private func page(_ context: Context, table: Node<HTML.BodyContext>) -> HTML {
        let schedules = rankedSchedules()
        return HTML(
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .title("sweep report: \(data.name)"),
                .style(Report.css),
                .raw(Report.tableScript)
            ),
            .body(
                .h1(.text("Sweep \(data.name)")),
                .p(.class("facts"), .text(facts)),
                .h2(.text(data.objectives.areSeveral ? "Ranking by Pareto front, then \(data.metric.name)" : "Ranking by \(data.metric.name)")),
                rankingTable(ranking),
                .if(data.objectives.areSeveral, .h2(.text("Pareto front"))),
                .group(frontCharts()),
                .if(data.objectives.areSeveral, .h2(.text("Hypervolume"))),
                .group(hypervolumeCharts()),
                .if(data.layout.population, .group(
                    .h2(.text("Population: each member's run")),
                    populationChart(schedules),
                    .h2(.text("Schedules of the best members")),
                    scheduleCharts(schedules))),
                .h2(.text("Optimization history")),
                historyCharts(context),
                .h2(.text("Learning curves, best \(min(Report.curveCount, ranking.rows.count)) configurations")),
                curves(context),
                .h2(.text("Parameter importance")),
                importanceChart(),
                .h2(.text("\(data.metric.name) per parameter value (slices)")),
                .div(.class("multiples"), .group(ranking.varyingParameters.map { perParameter($0, context) })),
                // A contour needs two parameters that vary (or were named); with one, its slice says it all.
                .if(heatmap.x != heatmap.y && context.axes[heatmap.x] != nil && context.axes[heatmap.y] != nil, .group(
                    .h2(.text("\(data.metric.name) by \(heatmap.x) and \(heatmap.y)")),
                    heatmapChart(context))),
                .h2(.text("All trials across parameters")),
                parallelCoordinates(context),
                .h2(.text("Worker timeline")),
                workerTimeline(),
                .h2(.text("Every trial")),
                table,
                .h2(.text("Sweep file")),
                .pre(.code(.text(data.specText ?? "(sweep.yaml not found)")))
            )
        )
    }

    // MARK: - Facts and table

    private var facts: String {
        let counts = Dictionary(grouping: data.records, by: \.status).mapValues(\.count)
        var parts = ["\(data.records.count)" + (data.plannedTrials.map { " of \($0)" } ?? "") + " trials recorded"]
        parts += TrialStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        let wall = data.runs.reduce(0) { $0 + ($1.finished - $1.started) }
        if !data.runs.isEmpty { parts.append("wall time \(duration(wall)) over \(data.runs.count) run\(data.runs.count == 1 ? "" : "s")") }
        parts.append("training time \(duration(data.records.reduce(0) { $0 + ($1.seconds.isFinite ? $1.seconds : 0) }))")
        parts.append(workersFact)
        return parts.joined(separator: " · ")
    }

    /// Workers per run and in all: "2 workers in each of 2 runs (4 in all) on vm".
    private var workersFact: String {
        // A trial stopped while paused at its rung is recorded by the coordinator, with no worker or host.
        let all = Set(data.records.map(\.worker).filter { !$0.isEmpty }).count
        let hosts = Set(data.records.map(\.host).filter { !$0.isEmpty }).sorted().joined(separator: ", ")
        func workers(_ count: Int) -> String { count == 1 ? "1 worker" : "\(count) workers" }
        let perRun = data.runs.map { Set($0.workers).count }.filter { $0 > 0 }
        guard perRun.count > 1 else { return "\(workers(all)) on \(hosts)" }
        let each = Set(perRun).count == 1 ? "\(workers(perRun[0])) in each of \(perRun.count) runs"
            : "\(perRun.map(String.init).joined(separator: ", ")) workers in \(perRun.count) runs"
        return "\(each) (\(all) in all) on \(hosts)"
    }

    private func duration(_ seconds: Double) -> String {
        // A row's seconds may be anything a program printed: a figure that is not one is not summed.
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "–" }
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%dh %02dm", total / 3600, total / 60 % 60)
            : total >= 60 ? String(format: "%dm %02ds", total / 60, total % 60) : "\(total) s"
    }

    private func rankingTable(_ ranking: Ranking) -> Node<HTML.BodyContext> {
        let columns = ranking.varyingParameters
        // With several objectives: the front, and each further objective's mean beside the first's.
        let several = data.objectives.areSeveral
        let others = several ? data.objectives.metrics.dropFirst().map(\.name) : []
        let constrained = !data.objectives.constraints.isEmpty
        let header = Node<HTML.TableContext>.tr(.group(
            [Node<HTML.TableRowContext>.th(.text("#"))] + (several ? [.th(.text("front"))] : []) + columns.map { .th(.text($0)) }
                + [.th(.text(data.metric.name))] + others.map { .th(.text($0)) }
                + [.th(.text("n")), .th(.text("status")), .th(.text("trial"))]))
        let rows = ranking.rows.prefix(25).map { row -> Node<HTML.TableContext> in
            var value = row.mean.map { String(format: "%.4f", $0) } ?? "–"
            if let sd = row.sd { value += " ± " + String(format: "%.4f", sd) }
            var status = row.status.rawValue
            if constrained && row.feasible == false { status += ", infeasible" }
            var cells: [Node<HTML.TableRowContext>] = [.td(.text(row.rank.map(String.init) ?? "–"))]
            if several { cells.append(.td(.text(row.front.map(String.init) ?? "–"))) }
            for column in columns { cells.append(.td(.text(DisplayNumber.value(row.parameters[column] ?? "")))) }
            cells.append(.td(.text(value)))
            for name in others {
                let mean: String = row.columns[name]?.mean.map { DisplayNumber.number($0) } ?? "–"
                cells.append(.td(.text(mean)))
            }
            let trial = row.trials.count == 1 ? row.trials[0] : "\(row.trials.count) trials"
            cells += [.td(.text("\(row.completed)")), .td(.text(status)), .td(.code(.text(trial)))]
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

    func figure(_ kind: String, series: Int, _ content: Node<HTML.BodyContext>,
                legend: [Node<HTML.BodyContext>] = []) -> Node<HTML.BodyContext> {
        .element(named: "figure", nodes: [
            SVG.attribute("class", "chart"), SVG.attribute("data-chart", kind),
            SVG.attribute("data-series", "\(series)"), content,
        ] + (legend.isEmpty ? [] : [.div(.class("legend"), .group(legend))]))
    }

    /// The stylesheet every page shares.
    public static let css = """
        body{font:14px/1.45 -apple-system,system-ui,"Segoe UI",Roboto,sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .facts{color:#555}.note{color:#777;font-size:12px}
        table.ranking{border-collapse:collapse;font-size:13px}table.ranking td,table.ranking th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
        table.ranking th{background:#f5f5f5}figure{margin:8px 0}
        .multiples{display:flex;flex-wrap:wrap;gap:8px}.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin-top:4px}
        .swatch{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border-radius:2px}
        pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px}
        svg{max-width:100%;height:auto}.scroll{overflow-x:auto}
        .curves .train{display:none}.curves input:checked~figure .train{display:inline}
        .trial-table .controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:4px 0}
        .trial-table input.filter{flex:1;min-width:200px;padding:3px 6px}
        table.trials{border-collapse:collapse;font-size:12px}table.trials td,table.trials th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
        table.trials th{background:#f5f5f5;cursor:pointer;user-select:none}.pager{display:flex;gap:10px;align-items:center;margin-top:4px}
        @media (max-width:700px){body{margin:8px auto;padding:0 8px}table.ranking{display:block;overflow-x:auto}}
        """
}

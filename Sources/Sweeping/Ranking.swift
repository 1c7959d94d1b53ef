import Foundation
import Training
import SweepCore

/// Configurations ranked by a metric: repeats of a configuration with different seeds form one row
/// (mean ± sd over its completed trials). Configurations with a completed trial come first; then those
/// early termination stopped, by their metric where they stopped (marked `stopped at` the epoch);
/// diverged and failed ones last.
public struct Ranking: Sendable {
    /// One configuration.
    public struct Row: Sendable {
        /// 1-based rank; tied means share one (1, 2, 2, 4). Nil for rows without a value of the metric.
        public var rank: Int?
        /// A representative point (the seed is its first trial's).
        public var point: TrialPoint
        /// The trials behind the row, in file order.
        public var trials: [String]
        /// Trials of the row's status whose value of the metric the mean and sd are of (its completed
        /// trials, or its stopped ones when none completed).
        public var completed: Int
        /// Trials of the row's status (completed, or stopped when none completed), with a value or without.
        public var ofStatus: Int
        /// Mean and sample standard deviation of the metric (sd nil for fewer than two).
        public var mean: Double?, sd: Double?
        /// `completed` if any trial completed, else `stopped` if any was stopped early, else `diverged` if
        /// any diverged, else `failed`. Rows of one status with a value of the metric come before those without.
        public var status: TrialStatus
        /// The row's values of the parameter columns.
        public var parameters: [String: String]
        /// The epochs its stopped trials were stopped at.
        public var stoppedAt: [Int] = []
        /// The other metric columns asked for, by name: over the same trials as the metric's.
        public var columns: [String: Summary] = [:]
        /// With several objectives, its Pareto front among the rows of its status and feasibility
        /// (1 is the first), by the objectives' means; nil with one objective or a missing value.
        public var front: Int?
        /// Whether its trials met the sweep's constraints (nil without constraints; false if any did not).
        public var feasible: Bool?
    }

    /// Mean and sample standard deviation of a metric over a row's trials (nil without values; sd
    /// nil for fewer than two).
    public struct Summary: Equatable, Sendable {
        /// The mean and the sample standard deviation.
        public var mean: Double?, sd: Double?

        /// The summary of `values` (the finite ones).
        init(_ values: [Double]) {
            let values = values.filter(\.isFinite)
            mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            if let mean, values.count > 1 {
                sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            }
        }
    }

    /// The metric column ranked by.
    public let metric: String
    /// Its direction.
    public let goal: Metric
    /// Other metric columns shown beside it.
    public let columns: [String]
    /// Best first: completed, then stopped, then diverged, then failed.
    public let rows: [Row]
    /// Parameter columns whose values differ between rows (the seed is grouped, not shown); a program
    /// sweep's in its file's order.
    public let varyingParameters: [String]
    /// What the sweep optimises: with several metrics, rows are ordered by Pareto front first.
    public let objectives: Objectives

    /// Ranks `records` by `metric` in its goal's direction, with the metric `columns` beside it; a
    /// trial's value of a metric is `value(record, name)` (by default a `trials.csv` column's:
    /// `test_loss`, `best_test_loss`, `test_accuracy`, `train_loss`, or a program sweep's metric and
    /// its best; `MetricColumns` gives the others).
    /// With `objectives` of several metrics (the first being `metric`), every objective is a column,
    /// and rows are ordered by status, then feasibility, then Pareto front, then the first objective.
    /// With constraints, feasible rows come before infeasible ones of the same status.
    public init(records: [TrialRecord], metric: Metric, columns: [String] = [], objectives: Objectives? = nil,
                value: (TrialRecord, String) -> Double? = { $0.metric($1) }) {
        self.metric = metric.name
        goal = metric
        let objectives = objectives ?? Objectives(metrics: [metric])
        self.objectives = objectives
        let columns = columns + objectives.metrics.dropFirst().map(\.name).filter { !columns.contains($0) && $0 != metric.name }
        self.columns = columns
        let metric = metric.name
        var groups: [String: [TrialRecord]] = [:]
        var order: [String] = []
        for record in records {
            let key = record.point.canonicalKey(includingSeed: false)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(record)
        }
        // Every record of one results file has one layout.
        let layout = records.first?.layout
        let parameterIndex = Dictionary(uniqueKeysWithValues: (layout?.columns ?? []).enumerated().map { ($1, $0) })
        var rows: [(key: String, row: Row)] = order.map { key in
            let members = groups[key]!
            // Completed trials rank the row; a row with none but stopped ones ranks after them, by the
            // metric at the epochs they stopped at.
            let ranked: TrialStatus = members.contains { $0.status == .completed } ? .completed : .stopped
            let rankedMembers = members.filter { $0.status == ranked }
            let values = rankedMembers.compactMap { value($0, metric) }.filter(\.isFinite)
            let summary = Summary(values)
            let (mean, sd) = (summary.mean, summary.sd)
            var others: [String: Summary] = [:]
            for column in columns { others[column] = Summary(rankedMembers.compactMap { value($0, column) }) }
            // A completed or stopped trial without a value of the metric (a program that did not print
            // it) keeps its status, unranked.
            let status: TrialStatus = !rankedMembers.isEmpty ? ranked
                : members.contains { $0.status == .diverged } ? .diverged : .failed
            let fields = members[0].fields
            var parameters: [String: String] = [:]
            for column in members[0].layout.parameters { parameters[column] = fields[parameterIndex[column]!] }
            let feasible: Bool? = objectives.constraints.isEmpty ? nil
                : (rankedMembers.isEmpty ? members : rankedMembers).allSatisfy { $0.feasible != false }
            return (key, Row(rank: nil, point: members[0].point, trials: members.map(\.id), completed: values.count,
                             ofStatus: rankedMembers.count, mean: mean, sd: sd, status: status, parameters: parameters,
                             stoppedAt: members.compactMap(\.stoppedAt), columns: others, feasible: feasible))
        }
        let statusOrder: [TrialStatus: Int] = [.completed: 0, .stopped: 1, .diverged: 2, .failed: 3]
        if objectives.areSeveral { Ranking.assignFronts(&rows, objectives: objectives, statusOrder: statusOrder) }
        let goal = self.goal
        // Sorted by small keys, not by the rows themselves: moving 20,000 rows about in a sort costs
        // more than the comparisons.
        let keys = rows.map { (status: statusOrder[$0.row.status]!, feasible: $0.row.feasible, front: $0.row.front, mean: $0.row.mean, key: $0.key) }
        let sorted = keys.indices.sorted { i, j in
            let (a, b) = (keys[i], keys[j])
            if a.status != b.status { return a.status < b.status }
            if (a.feasible == false) != (b.feasible == false) { return a.feasible != false }
            if (a.front == nil) != (b.front == nil) { return a.front != nil }
            if let x = a.front, let y = b.front, x != y { return x < y }
            if (a.mean == nil) != (b.mean == nil) { return a.mean != nil }
            if let x = a.mean, let y = b.mean, x != y { return goal.isBetter(x, than: y) }
            return a.key < b.key  // ties and unranked rows: a fixed order
        }
        rows = sorted.map { rows[$0] }
        for index in rows.indices where rows[index].row.mean != nil {
            let (row, previous) = (rows[index].row, index > 0 ? rows[index - 1].row : nil)
            let tiedWithPrevious = previous.map { previous in
                previous.mean == row.mean && previous.status == row.status && previous.feasible == row.feasible
                    && previous.front == row.front
                    && (!objectives.areSeveral || columns.allSatisfy { previous.columns[$0] == row.columns[$0] })
            } ?? false
            rows[index].row.rank = tiedWithPrevious ? rows[index - 1].row.rank : index + 1
        }
        let ranked = rows.map(\.row)
        self.rows = ranked
        varyingParameters = (layout?.parametersInFileOrder ?? []).filter { column in
            column != "seed" && Set(ranked.map { $0.parameters[column]! }).count > 1
        }
    }

    /// Numbers each row's Pareto front (1-based) among the rows of its status and feasibility whose
    /// every objective has a mean, by those means signed so that smaller is better.
    private static func assignFronts(_ rows: inout [(key: String, row: Row)], objectives: Objectives, statusOrder: [TrialStatus: Int]) {
        var groups: [String: [Int]] = [:]
        for (index, entry) in rows.enumerated() {
            let row = entry.row
            let vector = objectives.signed { name in name == objectives.metrics[0].name ? row.mean : row.columns[name]?.mean }
            guard !vector.contains(where: { !$0.isFinite }) else { continue }
            groups["\(statusOrder[row.status]!)/\(row.feasible != false)", default: []].append(index)
        }
        for members in groups.values {
            let vectors = members.map { index in
                objectives.signed { name in
                    name == objectives.metrics[0].name ? rows[index].row.mean : rows[index].row.columns[name]?.mean
                }
            }
            for (member, front) in zip(members, Pareto.fronts(vectors)) { rows[member].row.front = front + 1 }
        }
    }

    /// Whether any configuration was repeated with several seeds.
    public var hasRepeats: Bool { rows.contains { $0.trials.count > 1 } }

    /// An aligned text table of the best `top` rows (all when nil). Numbers show at most four
    /// significant digits (a parameter's more only where four would show two of its values alike).
    public func table(top: Int? = nil) -> String {
        let shown = top.map { Array(rows.prefix($0)) } ?? rows
        let severalObjectives = objectives.areSeveral
        let constrained = !objectives.constraints.isEmpty
        var header = ["#"] + (severalObjectives ? ["front"] : []) + varyingParameters + [metric]
        if hasRepeats { header.append("n") }
        header += columns + ["status", hasRepeats ? "trials" : "trial"]
        // Real values as labels, each column's taken together so that distinct values stay distinct.
        var labels: [String: [String: String]] = [:]
        for column in varyingParameters {
            let texts = Set(rows.filter { $0.isReal(column) }.map { $0.parameters[column]! }).sorted()
            labels[column] = Dictionary(uniqueKeysWithValues: zip(texts, DisplayNumber.distinctLabels(texts)))
        }
        var lines: [[String]] = [header.map(\.terminalCell)]
        for row in shown {
            var cells = [row.rank.map(String.init) ?? "-"]
            if severalObjectives { cells.append(row.front.map(String.init) ?? "-") }
            cells += varyingParameters.map { column in
                let text = row.parameters[column]!
                return labels[column]?[text] ?? text
            }
            cells.append(Ranking.text(Summary(mean: row.mean, sd: row.sd)))
            if hasRepeats { cells.append("\(row.completed)") }
            cells += columns.map { Ranking.text(row.columns[$0] ?? Summary([])) }
            let others = row.trials.count - row.ofStatus
            var status = row.status.rawValue
            if row.status == .stopped, let rung = row.stoppedAt.first, Set(row.stoppedAt).count == 1 { status += " at \(rung)" }
            if row.status != .failed && row.status != .diverged && others > 0 { status += " (\(others) not)" }
            if constrained && row.feasible == false { status += ", infeasible" }
            cells.append(status)
            cells.append(row.trials.count == 1 ? row.trials[0] : "\(row.trials.count) trials")
            lines.append(cells.map(\.terminalCell))
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max()! }
        var text = lines.map { cells in
            cells.enumerated().map { column, cell in
                cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
        if shown.count < rows.count { text += "(\(rows.count - shown.count) more; --top to show more)\n" }
        return text
    }

    /// A mean (± sd) for people: four significant digits, `-` for none.
    static func text(_ summary: Summary) -> String {
        var value = summary.mean.map { DisplayNumber.number($0) } ?? "-"
        if let sd = summary.sd { value += " ± " + DisplayNumber.number(sd) }
        return value
    }

    /// The best `top` rows as a JSON array: numbers at full precision, each parameter's value typed
    /// (a number, a boolean, a string; a program's value as its JSON; a list of widths).
    /// With `schedules` (population-based training's, by their last stretch's id), each row's member
    /// carries its `schedule`: its stretches in order, each with its trial, member, generation, the
    /// epoch it ends at and its values (what `sweep train --schedule` reads).
    public func json(top: Int? = nil, schedules: [String: MemberSchedule] = [:]) -> String {
        let shown = top.map { Array(rows.prefix($0)) } ?? rows
        let objects: [[String: Any]] = shown.map { row in
            var object: [String: Any] = [
                "parameters": row.typedParameters, "trials": row.trials, "completed": row.completed,
                "status": row.status.rawValue, "metric": metric, "goal": goal.goal.rawValue,
            ]
            object["rank"] = row.rank ?? NSNull()
            object["mean"] = Ranking.json(row.mean)
            object["sd"] = Ranking.json(row.sd)
            var others: [String: Any] = [:]
            for column in columns {
                let summary = row.columns[column] ?? Summary([])
                others[column] = ["mean": Ranking.json(summary.mean), "sd": Ranking.json(summary.sd)]
            }
            object["columns"] = others
            if !row.stoppedAt.isEmpty { object["stopped_at"] = row.stoppedAt }
            if objectives.areSeveral {
                object["front"] = row.front ?? NSNull()
                var values: [String: Any] = [metric: Ranking.json(row.mean)]
                for objective in objectives.metrics.dropFirst() { values[objective.name] = Ranking.json(row.columns[objective.name]?.mean) }
                object["objectives"] = values
            }
            if let feasible = row.feasible { object["feasible"] = feasible }
            if let schedule = schedules[row.trials[0]] {
                object["schedule"] = schedule.stretches.map { stretch -> [String: Any] in
                    let typed = Dictionary(row.parameters.keys.compactMap { column in stretch.point[column].map { (column, Ranking.Row.json($0)) } },
                                           uniquingKeysWith: { first, _ in first })
                    return ["trial": stretch.id, "member": stretch.point.lineage?.member ?? NSNull(),
                            "generation": stretch.point.lineage?.generation ?? NSNull(), "epochs": stretch.config.epochs,
                            "parameters": typed]
                }
            }
            return object
        }
        // Every value is a string, number, boolean, null, array or object, and no number is NaN or infinite.
        let data = try! JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A number for JSON, which has no NaN or infinity: null then.
    static func json(_ x: Double?) -> Any { x.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
}

extension Ranking.Summary {
    /// A summary with these figures.
    public init(mean: Double?, sd: Double?) {
        self.mean = mean
        self.sd = sd
    }
}

extension Ranking.Row {
    /// Whether the row's value of `column` is a real number (shown with four significant digits).
    func isReal(_ column: String) -> Bool {
        guard case .real? = point[column] else { return false }
        return true
    }

    /// The parameters' values typed for JSON.
    var typedParameters: [String: Any] {
        Dictionary(parameters.keys.compactMap { column in point[column].map { (column, Ranking.Row.json($0)) } },
                   uniquingKeysWith: { first, _ in first })
    }

    static func json(_ value: ParameterValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let n): return n
        // Python's json.dumps writes NaN and Infinity, which JSON itself lacks: as text then.
        case .real(let x): return x.isFinite ? x : value.jsonText
        case .string(let t): return t
        case .list(let items): return items.map(json)
        case .mapping(let pairs): return Dictionary(pairs.map { ($0.key, json($0.value)) }, uniquingKeysWith: { first, _ in first })
        }
    }
}

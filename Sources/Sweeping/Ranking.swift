import Foundation
import Programs
import Training

/// Configurations ranked by a metric: repeats of a configuration with different seeds form one row
/// (mean ± sd over its completed trials). Configurations with a completed trial come first; then those
/// early termination stopped, by their metric where they stopped (marked `stopped at` the epoch);
/// diverged and failed ones last.
public struct Ranking: Sendable {
    /// One configuration.
    public struct Row: Sendable {
        /// 1-based rank; tied means share one (1, 2, 2, 4). Nil for rows without a completed or stopped trial.
        public var rank: Int?
        /// A representative point (the seed is its first trial's).
        public var point: TrialPoint
        /// The trials behind the row, in file order.
        public var trials: [String]
        /// Completed trials, whose metric the mean and sd are of.
        public var completed: Int
        /// Mean and sample standard deviation of the metric (sd nil for fewer than two).
        public var mean: Double?, sd: Double?
        /// `completed` if any trial completed, else `stopped` if any was stopped early, else `diverged` if
        /// any diverged, else `failed`.
        public var status: TrialStatus
        /// The row's values of the parameter columns.
        public var parameters: [String: String]
        /// The epochs its stopped trials were stopped at.
        public var stoppedAt: [Int] = []
    }

    /// The metric column ranked by.
    public let metric: String
    /// Its direction.
    private let goal: Metric
    /// Best first: completed, then stopped, then diverged, then failed.
    public let rows: [Row]
    /// Parameter columns whose values differ between rows (the seed is grouped, not shown).
    public let varyingParameters: [String]

    /// Ranks `records` by `metric` (`test_loss`, `best_test_loss`, `test_accuracy`) in its goal's direction.
    public init(records: [TrialRecord], metric: Metric) {
        self.metric = metric.name
        goal = metric
        let metric = metric.name
        var groups: [String: [TrialRecord]] = [:]
        var order: [String] = []
        for record in records {
            let key = record.point.canonicalKey(includingSeed: false)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(record)
        }
        // Every record of one results file has one layout; the built-in trainer's when there are none.
        let layout = records.first?.layout ?? .model
        let parameterIndex = Dictionary(uniqueKeysWithValues: layout.columns.enumerated().map { ($1, $0) })
        var rows: [(key: String, row: Row)] = order.map { key in
            let members = groups[key]!
            // Completed trials rank the row; a row with none but stopped ones ranks after them, by the
            // metric at the epochs they stopped at.
            let ranked: TrialStatus = members.contains { $0.status == .completed } ? .completed : .stopped
            let values = members.filter { $0.status == ranked }.compactMap { $0.metric(metric) }.filter(\.isFinite)
            let mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            var sd: Double?
            if let mean, values.count > 1 {
                sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            }
            let status: TrialStatus = mean != nil ? ranked
                : members.contains { $0.status == .diverged } ? .diverged : .failed
            let fields = members[0].fields
            var parameters: [String: String] = [:]
            for column in layout.parameters { parameters[column] = fields[parameterIndex[column]!] }
            return (key, Row(rank: nil, point: members[0].point, trials: members.map(\.id), completed: values.count,
                             mean: mean, sd: sd, status: status, parameters: parameters,
                             stoppedAt: members.compactMap(\.stoppedAt)))
        }
        let statusOrder: [TrialStatus: Int] = [.completed: 0, .stopped: 1, .diverged: 2, .failed: 3]
        let goal = self.goal
        rows.sort { a, b in
            if a.row.status != b.row.status { return statusOrder[a.row.status]! < statusOrder[b.row.status]! }
            if let x = a.row.mean, let y = b.row.mean, x != y { return goal.isBetter(x, than: y) }
            return a.key < b.key  // ties and unranked rows: a fixed order
        }
        for index in rows.indices where rows[index].row.mean != nil {
            let tiedWithPrevious = index > 0 && rows[index - 1].row.mean == rows[index].row.mean
                && rows[index - 1].row.status == rows[index].row.status
            rows[index].row.rank = tiedWithPrevious ? rows[index - 1].row.rank : index + 1
        }
        let ranked = rows.map(\.row)
        self.rows = ranked
        varyingParameters = layout.parameters.filter { column in
            column != "seed" && Set(ranked.map { $0.parameters[column]! }).count > 1
        }
    }

    /// Whether any configuration was repeated with several seeds.
    public var hasRepeats: Bool { rows.contains { $0.trials.count > 1 } }

    /// An aligned text table of the best `top` rows (all when nil).
    public func table(top: Int? = nil) -> String {
        let shown = top.map { Array(rows.prefix($0)) } ?? rows
        var header = ["#"] + varyingParameters.map(\.terminalCell) + [metric.terminalCell]
        if hasRepeats { header.append("n") }
        header += ["status", hasRepeats ? "trials" : "trial"]
        var lines: [[String]] = [header]
        for row in shown {
            var cells = [row.rank.map(String.init) ?? "-"]
            cells += varyingParameters.map { row.parameters[$0]! }
            var value = row.mean.map { String(format: "%.4f", $0) } ?? "-"
            if let sd = row.sd { value += " ± " + String(format: "%.4f", sd) }
            cells.append(value)
            if hasRepeats { cells.append("\(row.completed)") }
            let others = row.trials.count - row.completed
            var status = row.status.rawValue
            if row.status == .stopped, let rung = row.stoppedAt.first, Set(row.stoppedAt).count == 1 { status += " at \(rung)" }
            if row.status != .failed && row.status != .diverged && others > 0 { status += " (\(others) not)" }
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

    /// The best `top` rows as a JSON array.
    public func json(top: Int? = nil) -> String {
        let shown = top.map { Array(rows.prefix($0)) } ?? rows
        let objects: [[String: Any]] = shown.map { row in
            var object: [String: Any] = [
                "parameters": row.parameters, "trials": row.trials, "completed": row.completed,
                "status": row.status.rawValue, "metric": metric,
            ]
            object["rank"] = row.rank ?? NSNull()
            object["mean"] = row.mean ?? NSNull()
            object["sd"] = row.sd ?? NSNull()
            return object
        }
        let data = try! JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

import Yams
import SweepCore

/// What a sweep ranks by, which way is better, and when it may end early: decided here only
/// (`sweep run`, `rank`, `status` and the report all ask this type).
public struct Metric: Equatable, Sendable {
    /// Which way is better.
    public enum Goal: String, Sendable {
        case minimize, maximize
    }

    /// A `trials.csv` metric: `test_loss` (the final epoch's), `best_test_loss` or `test_accuracy`.
    public var name: String
    /// Which way is better.
    public var goal: Goal
    /// W&B's `metric.target`: the sweep ends once a completed trial reaches it.
    public var target: Double?

    /// The metrics a sweep may rank by.
    public static let names = ["test_loss", "best_test_loss", "test_accuracy"]

    /// A metric; without a goal, accuracy is maximised and losses are minimised.
    public init(name: String = "test_loss", goal: Goal? = nil, target: Double? = nil) {
        self.name = name
        self.goal = goal ?? Metric.naturalGoal(of: name)
        self.target = target
    }

    /// The goal a metric has unless the sweep file says otherwise.
    public static func naturalGoal(of name: String) -> Goal { name.contains("accuracy") ? .maximize : .minimize }

    /// Whether smaller is better.
    public var minimize: Bool { goal == .minimize }

    /// Whether `value` is better than `other`.
    public func isBetter(_ value: Double, than other: Double) -> Bool { minimize ? value < other : value > other }

    /// Whether `value` reaches the target (at or beyond it, in the goal's direction).
    public func reachesTarget(_ value: Double) -> Bool {
        guard let target, value.isFinite else { return false }
        return minimize ? value <= target : value >= target
    }

    /// The completed record with the best value, if any.
    public func best(of records: [TrialRecord]) -> TrialRecord? {
        var best: (record: TrialRecord, value: Double)?
        for record in records where record.status == .completed {
            guard let value = record.metric(name), value.isFinite else { continue }
            if best.map({ isBetter(value, than: $0.value) }) ?? true { best = (record, value) }
        }
        return best?.record
    }

    /// Reads `metric:` from a sweep file; a program sweep's metric may have any name its program prints.
    /// `warnings` gains a line for each setting W&B runs that has no effect here.
    init(_ node: Node, reader: NodeReader, anyName: Bool = false, warnings: inout [String]) throws(SpecError) {
        let mapping = try reader.mapping(node, key: "metric")
        // Every key is looked at before a mistake is thrown; a misspelt `name` is one mistake, not two.
        var problems = Problems()
        var meant = Set<String>()
        let keys = ["name", "goal", "target", "impute", "impute_while_running"]
        for (keyNode, valueNode) in mapping {
            switch keyNode.string ?? "" {
            case "name", "goal", "target": continue
            case "impute":
                // How W&B's bayes scores a failed, crashed or killed run; W&B replaces a value it does not know
                // by its default, worst.
                guard let value = problems.attempt({ () throws(SpecError) in try reader.string(valueNode, key: "metric.impute") }),
                      value != "worst" else { continue }
                let known = ["latest", "best"].contains(value)
                warnings.append(reader.error(keyNode, key: "metric.impute", (known ? "\(value) has no effect: " :
                        "'\(value.prefix(40))' is not latest, best or worst (W&B uses worst then) and has no effect: ")
                    + "sweep's bayes counts a diverged trial as the worst and leaves failed ones out").description)
            case "impute_while_running":
                // W&B's bayes can learn a running run's metric so far; "false" (W&B's default) is what sweep does.
                guard let value = problems.attempt({ () throws(SpecError) in
                    try reader.string(valueNode, key: "metric.impute_while_running")
                }) else { continue }
                switch value {
                case "false": continue
                case "latest", "best", "worst":
                    warnings.append(reader.error(keyNode, key: "metric.impute_while_running", "\(value) has no effect: sweep's bayes "
                                                 + "learns only from finished trials, which keeps its proposals deterministic").description)
                default:
                    problems.record(reader.error(valueNode, key: "metric.impute_while_running",
                                                 "must be latest, best, worst or false, got \(reader.describe(valueNode))"))
                }
            case let other:
                let close = Suggestion.closest(to: other, in: keys)
                meant.formUnion(close)
                problems.record(reader.error(keyNode, key: "metric.\(other)", "unknown key; "
                                             + (Suggestion.didYouMean(close) ?? "expected name, goal, target, impute or impute_while_running")))
            }
        }
        let target = mapping["target"].flatMap { (node: Node) in
            problems.attempt { () throws(SpecError) in try reader.number(node, key: "metric.target") }
        }
        guard let nameNode = mapping["name"] else {
            if !meant.contains("name") {
                problems.record(reader.error(node, key: "metric.name", "missing; name the metric, e.g. {name: test_loss, goal: minimize}"))
            }
            throw SpecError.combining(problems.errors) ?? reader.error(node, key: "metric.name", "missing")
        }
        let name = problems.attempt { () throws(SpecError) in
            let name = try reader.string(nameNode, key: "metric.name")
            guard Metric.names.contains(name) || (anyName && !name.isEmpty && !name.contains("\n")) else {
                throw reader.error(nameNode, key: "metric.name", "'\(name.prefix(60))' is not a metric; "
                                   + (Suggestion.didYouMean(name, in: Metric.names) ?? "use one of \(Metric.names.joined(separator: ", "))"))
            }
            return name
        }
        var goal: Goal?
        if let goalNode = mapping["goal"], let text = problems.attempt({ () throws(SpecError) in try reader.string(goalNode, key: "metric.goal") }) {
            if let parsed = Goal(rawValue: text) {
                goal = parsed
            } else {
                // W&B drops a goal it does not know and minimizes (its tests correct "minimise" so); so does sweep, aloud.
                goal = .minimize
                warnings.append(reader.error(goalNode, key: "metric.goal", "'\(text.prefix(60))' is not minimize or maximize, so W&B "
                                             + "minimizes, and so does sweep: this sweep minimizes \((name ?? "").prefix(60))").description)
            }
        }
        try problems.throwIfAny()
        guard let name else { throw reader.error(nameNode, key: "metric.name", "cannot be read") }  // not reached: its mistake was thrown
        self.init(name: name, goal: goal, target: target)
    }
}

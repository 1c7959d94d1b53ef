import Yams
import Sweeping
import SweepCore

extension Metric {
    /// Reads `metric:` from a sweep file; a program sweep's metric may have any name its program prints.
    /// `warnings` gains a line for each setting W&B runs that has no effect here.
    /// `key` is where it is in the file (`metric`, or `metrics[1]` for one of several objectives).
    init(_ node: Node, reader: NodeReader, anyName: Bool = false, key: String = "metric", names: [String] = Metric.names,
         warnings: inout [String]) throws(SpecError) {
        let mapping = try reader.mapping(node, key: key)
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
                guard let value = problems.attempt({ () throws(SpecError) in try reader.string(valueNode, key: "\(key).impute") }),
                      value != "worst" else { continue }
                let known = ["latest", "best"].contains(value)
                warnings.append(reader.error(keyNode, key: "\(key).impute", (known ? "\(value) has no effect: " :
                        "'\(value.prefix(40))' is not latest, best or worst (W&B uses worst then) and has no effect: ")
                    + "sweep's bayes counts a diverged trial as the worst and leaves failed ones out").description)
            case "impute_while_running":
                // W&B's bayes can learn a running run's metric so far; "false" (W&B's default) is what sweep does.
                guard let value = problems.attempt({ () throws(SpecError) in
                    try reader.string(valueNode, key: "\(key).impute_while_running")
                }) else { continue }
                switch value {
                case "false": continue
                case "latest", "best", "worst":
                    warnings.append(reader.error(keyNode, key: "\(key).impute_while_running", "\(value) has no effect: sweep's bayes "
                                                 + "learns only from finished trials, which keeps its proposals deterministic").description)
                default:
                    problems.record(reader.error(valueNode, key: "\(key).impute_while_running",
                                                 "must be latest, best, worst or false, got \(reader.describe(valueNode))"))
                }
            case let other:
                let close = Suggestion.closest(to: other, in: keys)
                meant.formUnion(close)
                problems.record(reader.error(keyNode, key: "\(key).\(other)", "unknown key; "
                                             + (Suggestion.didYouMean(close) ?? "expected name, goal, target, impute or impute_while_running")))
            }
        }
        let target = mapping["target"].flatMap { (node: Node) in
            problems.attempt { () throws(SpecError) in try reader.number(node, key: "\(key).target") }
        }
        guard let nameNode = mapping["name"] else {
            if !meant.contains("name") {
                problems.record(reader.error(node, key: "\(key).name", "missing; name the metric, e.g. {name: test_loss, goal: minimize}"))
            }
            throw SpecError.combining(problems.errors) ?? reader.error(node, key: "\(key).name", "missing")
        }
        let name = problems.attempt { () throws(SpecError) in
            let name = try reader.string(nameNode, key: "\(key).name")
            guard names.contains(name) || (anyName && !name.isEmpty && !name.contains("\n")) else {
                throw reader.error(nameNode, key: "\(key).name", "'\(name.prefix(60))' is not a metric; "
                                   + (Suggestion.didYouMean(name, in: names) ?? "use one of \(names.joined(separator: ", "))"))
            }
            return name
        }
        var goal: Goal?
        if let goalNode = mapping["goal"], let text = problems.attempt({ () throws(SpecError) in try reader.string(goalNode, key: "\(key).goal") }) {
            if let parsed = Goal(rawValue: text) {
                goal = parsed
            } else {
                // W&B drops a goal it does not know and minimizes (its tests correct "minimise" so); so does sweep, aloud.
                goal = .minimize
                warnings.append(reader.error(goalNode, key: "\(key).goal", "'\(text.prefix(60))' is not minimize or maximize, so W&B "
                                             + "minimizes, and so does sweep: this sweep minimizes \((name ?? "").prefix(60))").description)
            }
        }
        try problems.throwIfAny()
        guard let name else { throw reader.error(nameNode, key: "\(key).name", "cannot be read") }  // not reached: its mistake was thrown
        self.init(name: name, goal: goal, target: target)
    }
}

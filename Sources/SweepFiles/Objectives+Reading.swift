import Foundation
import Yams
import Training
import Sweeping
import SweepCore

// Reading what a sweep optimises beyond one metric, and where it starts from: W&B's `metrics:` (several
// objectives), Ax's `metric_constraints:`, `warm_start:` folders and `enqueue:` points.

extension SweepSpec {
    /// `metrics:`, a list of at least two `{name, goal, target}`, each read as `metric:` is; names distinct.
    static func readObjectives(_ node: Node, reader: NodeReader, anyName: Bool, warnings: inout [String]) throws(SpecError) -> [Metric] {
        guard case .sequence(let items) = node else {
            throw reader.error(node, key: "metrics", "must be a list of at least two {name, goal}, got \(reader.describe(node))")
        }
        guard items.count >= 2 else {
            throw reader.error(node, key: "metrics", "lists \(items.count) metric\(items.count == 1 ? "" : "s"); give at least two, "
                               + "or one as metric: {name, goal}")
        }
        var problems = Problems()
        var metrics: [Metric] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            guard let metric = problems.attempt({ () throws(SpecError) in
                try Metric(item, reader: reader, anyName: anyName, key: "metrics[\(index)]", warnings: &warnings)
            }) else { continue }
            let reserved: Set<String> = ["trial", "status", "feasible", "best_epoch", "epochs_run", "attempts", "worker", "host",
                                         "reason", "number", "stopped_at", "epochs_trained"]
            if anyName, reserved.contains(metric.name) || (index > 0 && metric.name == "best_" + (metrics.first?.name ?? "")) {
                problems.record(reader.error(item, key: "metrics[\(index)].name", "'\(metric.name)' names another column of trials.csv; "
                                             + "give the figure another name"))
            }
            if let first = seen[metric.name] {
                problems.record(reader.error(item, key: "metrics[\(index)].name", "'\(metric.name.prefix(60))' is already metrics[\(first)]"))
            }
            seen[metric.name] = seen[metric.name] ?? index
            metrics.append(metric)
        }
        try problems.throwIfAny()
        return metrics
    }

    /// `metric_constraints:`, a list of `"name >= number"` / `"name <= number"`; the trainer's names are
    /// its figures, a program's any it prints.
    static func readConstraints(_ node: Node, reader: NodeReader, anyName: Bool) throws(SpecError) -> [MetricConstraint] {
        guard case .sequence(let items) = node else {
            throw reader.error(node, key: "metric_constraints", "must be a list such as [\"test_accuracy >= 0.85\"], got \(reader.describe(node))")
        }
        var problems = Problems()
        var constraints: [MetricConstraint] = []
        for (index, item) in items.enumerated() {
            let key = "metric_constraints[\(index)]"
            guard let text = problems.attempt({ () throws(SpecError) in try reader.string(item, key: key) }) else { continue }
            do throws(ConstraintError) {
                let constraint = try MetricConstraint(parsing: text)
                guard anyName || Metric.names.contains(constraint.name) else {
                    problems.record(reader.error(item, key: key, "'\(constraint.name.prefix(60))' is not a metric; "
                                                 + (Suggestion.didYouMean(constraint.name, in: Metric.names)
                                                    ?? "use one of \(Metric.names.joined(separator: ", "))")))
                    continue
                }
                constraints.append(constraint)
            } catch {
                problems.record(reader.error(item, key: key, error.description))
            }
        }
        try problems.throwIfAny()
        return constraints
    }

    /// `warm_start:`, a list of results folders (as given; relative ones from where sweep runs), each
    /// checked to hold a `trials.csv` when `checkFiles`.
    static func readWarmStart(_ node: Node, reader: NodeReader, checkFiles: Bool) throws(SpecError) -> [String] {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar: items = [node]
        default: throw reader.error(node, key: "warm_start", "must be a list of results folders, got \(reader.describe(node))")
        }
        var problems = Problems()
        var folders: [String] = []
        for (index, item) in items.enumerated() {
            let key = "warm_start[\(index)]"
            guard let folder = problems.attempt({ () throws(SpecError) in try reader.string(item, key: key) }) else { continue }
            if folders.contains(folder) {
                problems.record(reader.error(item, key: key, "'\(folder.prefix(200))' is listed twice"))
                continue
            }
            if checkFiles && !FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("trials.csv")) {
                problems.record(reader.error(item, key: key, "'\(folder.prefix(200))' holds no trials.csv; name a results folder of an earlier sweep"))
                continue
            }
            folders.append(folder)
        }
        try problems.throwIfAny()
        return folders
    }

    /// `enqueue:`, a list of points (a mapping of parameter names to values), each checked against the
    /// space: every parameter with more than one value given, none unknown, each value one its
    /// parameter admits. A parameter with one value may be left out.
    /// `value` reads one value as the runner's parameter reader reads its listed values.
    static func readEnqueue(_ node: Node, space: TrialSpace, reader: NodeReader,
                            value read: (Node, Parameter, String) throws(SpecError) -> ParameterValue) throws(SpecError) -> [TrialPoint] {
        guard case .sequence(let items) = node else {
            throw reader.error(node, key: "enqueue", "must be a list of points such as [{learning_rate: 0.1}], got \(reader.describe(node))")
        }
        var problems = Problems()
        var points: [TrialPoint] = []
        let byName = Dictionary(space.parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, item) in items.enumerated() {
            let key = "enqueue[\(index)]"
            guard let mapping = problems.attempt({ () throws(SpecError) in try reader.mapping(item, key: key) }) else { continue }
            var given: [String: ParameterValue] = [:]
            var wrong = false
            // Names given, even with a wrong value: they are not also missing.
            let named = Set(mapping.map { $0.key.string ?? "" })
            for (nameNode, valueNode) in mapping {
                let name = nameNode.string ?? ""
                guard let parameter = byName[name] else {
                    wrong = true
                    problems.record(reader.error(nameNode, key: "\(key).\(name.prefix(60))", "is not a parameter of this sweep; "
                                                 + (Suggestion.didYouMean(name, in: space.parameters.map(\.name))
                                                    ?? "its parameters are \(space.parameters.map(\.name).joined(separator: ", "))")))
                    continue
                }
                guard let value = problems.attempt({ () throws(SpecError) in
                    try read(valueNode, parameter, "\(key).\(name)")
                }) else {
                    wrong = true
                    continue
                }
                guard parameter.admits(value) else {
                    wrong = true
                    problems.record(reader.error(valueNode, key: "\(key).\(name)", "\(reader.describe(valueNode)) is not in this sweep's "
                                                 + "space for \(name) (\(parameter.form))"))
                    continue
                }
                given[name] = value
            }
            var values: [ParameterValue] = []
            for parameter in space.parameters {
                if let value = given[parameter.name] {
                    values.append(value)
                } else if parameter.gridCount == 1 {
                    values.append(parameter.gridValue(at: 0))
                } else if !named.contains(parameter.name) {
                    wrong = true
                    problems.record(reader.error(item, key: "\(key).\(parameter.name)", "missing; an enqueued point gives every parameter "
                                                 + "that has more than one value"))
                }
            }
            if !wrong { points.append(space.point(values)) }
        }
        try problems.throwIfAny()
        return points
    }

    /// Warnings and refusals between the objectives and the rest of the file: a timed objective makes
    /// decisions depend on timing; the median rule reads one metric.
    static func checkObjectives(_ objectives: Objectives, earlyTermination: EarlyTermination?, top: Node.Mapping, reader: NodeReader,
                                problems: inout Problems, warnings: inout [String]) {
        let timed = objectives.metrics.map(\.name).filter(Metric.timed.contains) + objectives.constraints.map(\.name).filter(Metric.timed.contains)
        if let name = timed.first, let node = top["metrics"] ?? top["metric_constraints"] ?? top["metric"] {
            warnings.append(reader.error(node, key: top["metrics"] != nil ? "metrics" : top["metric"] != nil ? "metric" : "metric_constraints",
                                         "\(name) is training time: bayes, early termination and the ranking then depend on how fast "
                                         + "each trial ran, so the same sweep file can decide differently on another run").description)
        }
        // Early termination compares what each epoch reached; the derived figures are not printed per epoch.
        let derived: Set<String> = ["model_size", "flops", "seconds"]
        if !objectives.areSeveral, derived.contains(objectives.metrics[0].name), earlyTermination != nil,
           let node = top["early_terminate"] {
            problems.record(reader.error(node, key: "early_terminate", "\(objectives.metrics[0].name) is not a figure of each epoch, "
                                         + "so a rung could not compare trials by it; rank by a loss or an accuracy, or give several metrics:"))
        }
        if objectives.areSeveral, let rule = earlyTermination, case .median = rule.rule, let node = top["early_terminate"] {
            problems.record(reader.error(node, key: "early_terminate.type", "median compares a trial with the median of one metric, "
                                         + "which several objectives do not have; use asha or hyperband (they order a rung by Pareto fronts)"))
        }
    }
}

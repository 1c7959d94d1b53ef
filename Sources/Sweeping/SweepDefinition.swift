import Foundation
import Training
import SweepCore

/// What a sweep file makes run, apart from how it is written: the method, the metric, the
/// parameters and their values, the program and its command, early termination, and the keys that
/// change which trials run or what they record (`random_seed` where something is drawn, bayes's
/// `parallelism`). Comments, the order of keys, `name`, `description`, `run_cap` (it only says how
/// many of the same positions run), `epoch_budget`, checkpoints, kept models, limits and keys without
/// effect are not part of it, and a built-in hyperparameter given as its default is the same as one
/// not given. Two files with equal definitions are one sweep: the second resumes the first's folder.
public struct SweepDefinition: Equatable, Sendable {
    /// One part of the definition: its key (`method`, `parameters.learning_rate`, …), its canonical
    /// text (compared, full precision) and how people read it (in messages).
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var canonical: String
        public var shown: String
    }

    /// The parts, sorted by key.
    public let entries: [Entry]

    /// The definition of `spec`.
    public init(_ spec: SweepSpec) {
        var entries: [Entry] = []
        func add(_ key: String, _ canonical: String, _ shown: String? = nil) {
            entries.append(Entry(key: key, canonical: canonical, shown: shown ?? canonical))
        }
        add("method", spec.method.rawValue)
        add("metric", "\(spec.metric.name) \(spec.metric.goal)" + (spec.metric.target.map { " target \($0)" } ?? ""),
            "\(spec.metric.name) (\(spec.metric.goal))" + (spec.metric.target.map { ", target \(DisplayNumber.number($0))" } ?? ""))
        let drawn = spec.method != .grid || (spec.earlyTermination?.brackets ?? 1) > 1
        if drawn { add("random_seed", "\(spec.randomSeed)") }
        if spec.method == .bayes { add("parallelism", "\(spec.parallelism)") }
        if let rule = spec.population {
            add("population", "size \(rule.populationSize) interval \(rule.perturbationInterval) quantile \(rule.quantileFraction) "
                + "resample \(rule.resampleProbability) factors \(rule.perturbationFactors.map { "\($0)" }.joined(separator: ","))")
        }
        if let rule = spec.earlyTermination {
            add("early_terminate", "\(rule)", rule.type)
        }
        if let program = spec.program {
            add("program", program.program ?? "")
            add("command", program.command.elements.joined(separator: " "))
        }
        for parameter in spec.parameters {
            if case .values(let choices, _) = parameter.domain, choices.count == 1,
               spec.runner.isDefault(choices[0].value, of: parameter.name) {
                continue  // the default, given or not, is the same trials
            }
            let (canonical, shown) = SweepDefinition.describe(parameter, runner: spec.runner)
            add("parameters." + parameter.name, canonical, shown)
        }
        self.entries = entries.sorted { $0.key < $1.key }
    }

    private static func describe(_ parameter: Parameter, runner: RunnerKind) -> (String, String) {
        switch parameter.domain {
        case .values(let choices, let probabilities):
            return listed(choices.map { runner.canonicalText($0.value, of: parameter.name) }, probabilities)
        case .distribution(let distribution):
            return describe(distribution)
        }
    }

    private static func listed(_ values: [String], _ probabilities: [Double]?) -> (String, String) {
        let weights = probabilities.map { " p " + $0.map { "\($0)" }.joined(separator: ",") } ?? ""
        let canonical = "[" + values.joined(separator: ", ") + "]" + weights
        let shown = values.count == 1 ? DisplayNumber.value(values[0])
            : "[" + values.map { DisplayNumber.value($0) }.joined(separator: ", ") + "]"
        return (canonical, shown)
    }

    private static func describe(_ distribution: Distribution) -> (String, String) {
        let canonical = "\(distribution.name) \(distribution.family)" + (distribution.q.map { " q \($0)" } ?? "")
        func n(_ x: Double) -> String { DisplayNumber.number(x) }
        let range: String
        switch distribution.family {
        case .integerUniform(let low, let high): range = "\(low)…\(high)"
        case .uniform(let low, let high): range = "\(n(low))…\(n(high))"
        case .logUniform(let low, let high): range = "\(n(exp(low)))…\(n(exp(high)))"
        case .inverseLogUniform(let low, let high): range = "\(n(exp(-high)))…\(n(exp(-low)))"
        case .normal(let mu, let sigma), .logNormal(let mu, let sigma): range = "mu \(n(mu)), sigma \(n(sigma))"
        case .beta(let a, let b): range = "a \(n(a)), b \(n(b))"
        }
        return (canonical, "\(distribution.name)(\(range)" + (distribution.q.map { ", q \(n($0))" } ?? "") + ")")
    }

    /// What differs from `other`, for people: `parameters learning_rate → momentum`, `epochs 1 → 2`,
    /// `method grid → random` (`other` is the earlier sweep).
    public func differences(from other: SweepDefinition) -> [String] {
        let mine = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0) })
        let theirs = Dictionary(uniqueKeysWithValues: other.entries.map { ($0.key, $0) })
        let prefix = "parameters."
        func parameters(_ entries: [String: Entry]) -> [String] {
            entries.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
        }
        var lines: [String] = []
        let (before, after) = (parameters(theirs), parameters(mine))
        let (gone, added) = (before.filter { !after.contains($0) }, after.filter { !before.contains($0) })
        if !gone.isEmpty || !added.isEmpty {
            lines.append("parameters " + (gone.isEmpty ? "" : gone.joined(separator: ", ") + " ") + "→"
                         + (added.isEmpty ? " (none)" : " " + added.joined(separator: ", ")))
        }
        for key in Set(mine.keys).union(theirs.keys).sorted() {
            let (old, new) = (theirs[key], mine[key])
            guard old?.canonical != new?.canonical else { continue }
            let name = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
            if key.hasPrefix(prefix) && (old == nil || new == nil) { continue }  // said above
            lines.append("\(name) \(old?.shown ?? "(none)") → \(new?.shown ?? "(none)")")
        }
        return lines
    }
}

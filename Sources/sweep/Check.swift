import ArgumentParser
import Foundation
import ResultsStore
import Programs
import Scheduling
import Sweeping
import Training
import SweepCore
import SweepFiles

/// `sweep check`: a sweep file validated exactly as `sweep run` reads it, touching nothing.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a sweep file without running it: the method, how many trials, and the first five.",
        discussion: """
            Reads the file exactly as `sweep run` and `sweep coordinator` do and writes nothing. Exit 0 if it \
            would run (warnings, such as keys that have no effect here, go to standard error), or 65 with one \
            line per mistake (up to 20), each naming the file, line and key; 66 if the file cannot be read.
            """)

    @Argument(help: ArgumentHelp("The sweep file.", valueName: "sweep.yaml"))
    var spec: String

    @Option(help: "How many of the first trials to show.")
    var show = 5

    func validate() throws {
        if show < 0 { throw ValidationError("--show must be 0 or more, got \(show)") }
    }

    func run() throws {
        let spec = try SweepSpec(contentsOf: spec)
        for warning in spec.warnings { warn(warning) }
        var lines = ["\(spec.file): ok"]
        lines.append("name: \(spec.name) (results in \(("Results" as NSString).appendingPathComponent(spec.name)))")
        if let program = spec.program {
            print((lines + ProgramCheck(spec: spec, program: program, show: show).lines).joined(separator: "\n"))
            return
        }
        switch spec.method {
        case .grid:
            let sizes = spec.parameters.map { "\($0.gridCount ?? 1)" }.joined(separator: " × ")
            // Enqueued points come first and count towards run_cap; the grid's points follow them.
            let enqueued = spec.space.enqueued.count, after = enqueued > 0 ? ", after the \(enqueued) enqueued" : ""
            if let size = spec.space.gridSize, size + enqueued == spec.count {
                lines.append("method: grid, \(size) trials (\(sizes))\(after)")
            } else {
                lines.append("method: grid, the first \(spec.count - enqueued) of \(spec.space.gridSize.map(String.init) ?? "more than \(Int.max)") "
                             + "points (\(sizes))\(after), capped by run_cap")
            }
        case .random:
            lines.append("method: random, \(spec.count) draws (run_cap) from random_seed \(spec.randomSeed); "
                         + "a repeated draw runs once")
        case .bayes:
            lines.append("method: bayes (TPE), \(spec.count) trials (run_cap) from random_seed \(spec.randomSeed); "
                         + "proposal k learns from trials 0…k−\(spec.parallelism + 1) (parallelism \(spec.parallelism))"
                         + (spec.earlyTermination == nil ? "" : ", trials k−\(2 * spec.parallelism)…k−\(spec.parallelism + 1) by their rung decisions"))
        case .pbt:
            if let rule = spec.population {
                let epochs = spec.populationEpochs, generations = rule.generations(of: epochs)
                lines.append("method: pbt, \(rule.populationSize) members × \(epochs) epochs in \(generations) stretches of "
                             + "\(rule.perturbationInterval) (\(spec.count) trials, \(rule.populationSize * epochs) epochs) from random_seed \(spec.randomSeed)")
                lines.append("at each boundary the worst \(DisplayNumber.number(rule.quantileFraction * 100))% copy the best "
                             + "\(DisplayNumber.number(rule.quantileFraction * 100))%'s weights and values, each value resampled with "
                             + "probability \(DisplayNumber.number(rule.resampleProbability)), else moved (× "
                             + rule.perturbationFactors.map { DisplayNumber.number($0) }.joined(separator: " or ") + ", or a neighbouring listed value)")
            }
        }
        if let note = Check.bayesNote(spec) { lines.append(note) }
        if let rule = spec.earlyTermination {
            // The rungs up to the longest trial's epochs.
            var longest = TrainingConfig().epochs
            if let epochs = spec.parameters.first(where: { $0.name == Hyperparameter.epochs.rawValue }) {
                switch epochs.domain {
                case .values(let choices, _): longest = choices.compactMap { epochs.number(of: $0.value) }.map { Int($0) }.max() ?? longest
                case .distribution(let distribution): longest = Int(min(distribution.support.high, 100_000))
                }
            }
            let rungs = rule.rungs(forEpochs: longest)
            lines.append("early_terminate: \(rule.type), eta \(DisplayNumber.number(rule.eta)), " + Check.describe(rungs: rungs, before: longest))
            if rule.brackets > 1 {
                let shares = zip(0..<rule.brackets, rule.bracketWeights).map { bracket, weight in
                    "from epoch \(rule.rungs(forEpochs: longest, bracket: bracket).first.map(String.init) ?? "–") "
                        + "(\(Int((100 * weight).rounded()))% of trials)"
                }
                lines.append("  \(rule.brackets) brackets, each trial drawn into one from random_seed; judged " + shares.joined(separator: ", "))
            }
            if case .asha(let bootstrap, _) = rule.rule, bootstrap > 0 {
                lines.append("  bootstrap_count \(bootstrap): the first \(bootstrap) trials to reach a rung are stopped there")
            }
            switch rule.rule {
            case .asha(_, strict: false), .hyperband(strict: false):
                lines.append("  strict: false: a trial is judged at a rung by its best \(spec.metric.name) so far")
            default: break
            }
        }
        if let budget = spec.epochBudget {
            lines.append("epoch_budget: the sweep ends once its trials, in order, have run \(budget) epochs")
        }
        lines += Check.objectiveLines(spec, source: "")
        lines.append("parameters:")
        let width = spec.parameters.map(\.name.count).max() ?? 0
        for parameter in spec.parameters {
            lines.append("  " + parameter.name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + "  \(parameter.form)  \(describe(parameter, runner: spec.runner))"
                         + (spec.method == .bayes && spec.runner.isNuisance(parameter.name) ? "  (bayes: drawn per trial, never learnt)" : ""))
        }
        let shown = min(show, spec.count)
        if shown > 0 {
            lines.append(spec.method == .bayes ? "first \(shown) trials, numbered from 0 (bayes: its random start):" : "first \(shown) trials, numbered from 0:")
            let swept = spec.parameters.compactMap { Hyperparameter(rawValue: $0.name) }
            for index in 0..<shown {
                let config = spec.point(at: index).trainingConfig ?? TrainingConfig()
                let settings = swept.map { "\($0.rawValue)=\(Check.display(config[$0]))" }.joined(separator: " ")
                var line = "  \(index)  \(config.trialID)  \(settings)" + (index < spec.space.enqueued.count ? "  (enqueued)" : "")
                do { try config.validate() } catch { line += "  (cannot be trained: \(error); it would be recorded as failed)" }
                lines.append(line)
            }
        }
        print(lines.joined(separator: "\n"))
    }

    /// What the sweep optimises and where it starts from: its metric or metrics (with targets), its
    /// constraints, the `warm_start:` folders (with how many of their trials lie in this sweep's space)
    /// and the `enqueue:` points. `source` says where a program's values come from.
    static func objectiveLines(_ spec: SweepSpec, source: String) -> [String] {
        /// `≤ 0.3` for a target to minimise towards, `≥ 0.9` for one to maximise towards.
        func target(_ metric: Metric) -> String {
            metric.target.map { "\(metric.minimize ? "≤" : "≥") \(DisplayNumber.number($0))" } ?? ""
        }
        var lines: [String] = []
        let objectives = spec.objectives
        if objectives.areSeveral {
            lines.append("metrics: " + objectives.metrics.map { "\($0.name) (\($0.goal.rawValue))" }.joined(separator: ", ") + source)
            lines.append("  ranked by Pareto front, then by \(spec.metric.name)"
                         + (spec.method == .bayes ? "; bayes is multi-objective TPE (good trials by non-domination rank, then hypervolume)" : "")
                         + (spec.earlyTermination == nil ? "" : "; a rung keeps the top 1/eta by Pareto front, then hypervolume contribution"))
            let targets = objectives.metrics.filter { $0.target != nil }
            if !targets.isEmpty {
                lines.append("  the sweep ends once a completed, feasible trial has " + targets.map { "\($0.name) \(target($0))" }.joined(separator: " and "))
            }
        } else {
            var metric = "metric: \(spec.metric.name) (\(spec.metric.goal.rawValue))" + source
            if spec.metric.target != nil { metric += "; the sweep ends once a completed trial reaches \(target(spec.metric))" }
            lines.append(metric)
        }
        if !objectives.constraints.isEmpty {
            lines.append("metric_constraints: " + objectives.constraints.map(\.description).joined(separator: ", ")
                         + "; trials.csv's feasible says whether a trial met them with the values it reached")
        }
        for folder in spec.warmStart {
            let records = (try? ResultStore.readTrials(ResultsDirectory(folder).trials, layout: RecordLayout(stored: SweepSpec.stored(in: folder)))) ?? []
            let inside = records.filter { spec.admits($0.point) }.count
            lines.append("warm_start: \(folder): \(inside) of its \(records.count) trials lie in this sweep's space and are learnt before trial 0"
                         + (records.count > inside ? "; \(records.count - inside) are left out" : ""))
        }
        if !spec.space.enqueued.isEmpty {
            lines.append("enqueue: \(spec.space.enqueued.count) point\(spec.space.enqueued.count == 1 ? "" : "s") run first, "
                         + "as trials 0…\(spec.space.enqueued.count - 1)")
        }
        return lines
    }

    /// Where a rule decides, as `sweep check` shows it (hyperband's bands may all lie past the trials' last epoch).
    static func describe(rungs: [Int], before epochs: Int) -> String {
        guard !rungs.isEmpty else { return "no rung before epoch \(epochs), so no trial is stopped early" }
        return "rungs at epochs " + rungs.prefix(8).map(String.init).joined(separator: ", ") + (rungs.count > 8 ? ", …" : "")
    }

    /// What a person needs to know of bayes's lag: proposal k learns only from trials 0…k−P−1
    /// (`parallelism` P), and TPE draws at random until it has learnt from its start-up trials; with
    /// a P large against `run_cap`, few trials or none are the model's. Nil when that is not so.
    static func bayesNote(_ spec: SweepSpec) -> String? {
        guard spec.method == .bayes, let cap = spec.runCap else { return nil }
        let lag = spec.parallelism
        let startup = TPE(axes: []).startupTrials
        let learnt = max(0, cap - 1 - lag)  // the last proposal, at position cap − 1
        let modelled = max(0, cap - lag - startup)
        guard 2 * lag >= cap || modelled == 0 else { return nil }
        let given = lag == SweepSpec.defaultParallelism ? "parallelism \(lag), the default" : "parallelism \(lag)"
        return "note: bayes's proposal k learns only from trials before k − \(lag) (\(given)): with run_cap \(cap), its last "
            + "proposal learns from \(learnt) trial\(learnt == 1 ? "" : "s")"
            + (modelled == 0 ? ", and it draws at random until it has learnt from \(startup), so every trial is a random draw"
                             : ", so only the last \(modelled) of \(cap) trials are proposed by its model")
            + "; set parallelism to the number of workers you run, or raise run_cap"
    }

    /// A trial's value as people read it: a number as short as it was typed, or with at most 4
    /// significant digits (a random draw; its id says exactly which).
    static func display(_ value: HyperparameterValue) -> String {
        if case .real = value { return DisplayNumber.value(value.description) }
        return value.description
    }

    /// A distribution's values as `sweep check` shows them, bounds as the file wrote them (`written`).
    static func describe(_ distribution: Distribution, written: [String: String]) -> String {
        func display(_ x: Double, written text: String?) -> String { Distribution.display(x, written: text) }
        var text = ""
        switch distribution.family {
        case .normal(let mu, let sigma), .logNormal(let mu, let sigma):
            text = "mu \(display(mu, written: written["mu"])), sigma \(display(sigma, written: written["sigma"])), "
        case .beta(let a, let b):
            text = "a \(display(a, written: written["a"])), b \(display(b, written: written["b"])), "
        default:
            break
        }
        text += "values in " + distribution.rangeText(written: written)
        if distribution.exponents != nil, let low = written["min"], let high = written["max"] {
            text += distribution.name.hasPrefix("inv_") ? " (e^-\(high) to e^-\(low))" : " (e^\(low) to e^\(high))"
        }
        if let q = distribution.q { text += " in steps of \(display(q, written: written["q"]))" }
        return text
    }

    private func describe(_ parameter: Parameter, runner: RunnerKind) -> String {
        switch parameter.domain {
        case .values(let choices, let probabilities):
            var text = choices.prefix(8).map { runner.cell($0.value, column: parameter.name) }.joined(separator: ", ")
                + (choices.count > 8 ? ", …" : "")
            if let probabilities { text += " with probabilities " + probabilities.map { "\($0)" }.joined(separator: ", ") }
            return text
        case .distribution(let distribution):
            return Check.describe(distribution, written: parameter.written)
        }
    }
}

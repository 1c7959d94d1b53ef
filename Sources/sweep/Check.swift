import ArgumentParser
import Foundation
import Programs
import Scheduling
import Sweeping
import Training

/// `sweep check`: a sweep file validated exactly as `sweep run` reads it, touching nothing.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a sweep file without running it: the method, how many trials, and the first five.",
        discussion: """
            Reads the file exactly as `sweep run` and `sweep coordinator` do and writes nothing. Exit 0 if it \
            would run (warnings, such as keys that have no effect here, go to standard error), or 65 with one \
            line naming the file, line and key of the first mistake.
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
            if let size = spec.space.gridSize, size == spec.count {
                lines.append("method: grid, \(spec.count) trials (\(sizes))")
            } else {
                lines.append("method: grid, the first \(spec.count) of \(spec.space.gridSize.map(String.init) ?? "more than \(Int.max)") "
                             + "points (\(sizes)), capped by run_cap")
            }
        case .random:
            lines.append("method: random, \(spec.count) draws (run_cap) from random_seed \(spec.randomSeed); "
                         + "a repeated draw runs once")
        case .bayes:
            lines.append("method: bayes (TPE), \(spec.count) trials (run_cap) from random_seed \(spec.randomSeed); "
                         + "proposal k learns from trials 0…k−\(spec.parallelism + 1) (parallelism \(spec.parallelism))"
                         + (spec.earlyTermination == nil ? "" : ", trials k−\(2 * spec.parallelism)…k−\(spec.parallelism + 1) by their rung decisions"))
        }
        if let rule = spec.earlyTermination {
            // The rungs up to the longest trial's epochs.
            var longest = TrainingConfig().epochs
            if let epochs = spec.parameters.first(where: { $0.name == .epochs }) {
                switch epochs.domain {
                case .values(let choices, _): longest = choices.compactMap { $0.value.number }.map { Int($0) }.max() ?? longest
                case .distribution(let distribution): longest = Int(min(distribution.support.high, 100_000))
                }
            }
            let rungs = rule.rungs(forEpochs: longest)
            lines.append("early_terminate: \(rule.type), eta \(rule.eta), " + Check.describe(rungs: rungs, before: longest))
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
        var metric = "metric: \(spec.metric.name) (\(spec.metric.goal.rawValue))"
        if let target = spec.metric.target {
            metric += "; the sweep ends once a completed trial reaches \(spec.metric.minimize ? "≤" : "≥") \(target)"
        }
        lines.append(metric)
        lines.append("parameters:")
        let width = spec.parameters.map(\.name.rawValue.count).max() ?? 0
        for parameter in spec.parameters {
            lines.append("  " + parameter.name.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
                         + "  \(parameter.form)  \(describe(parameter.domain))"
                         + (spec.method == .bayes && TPE.isNuisance(parameter.name) ? "  (bayes: drawn per trial, never learnt)" : ""))
        }
        let shown = min(show, spec.count)
        if shown > 0 {
            lines.append(spec.method == .bayes ? "first \(shown) trials (bayes: its random start):" : "first \(shown) trials:")
            let swept = spec.parameters.map(\.name)
            for index in 0..<shown {
                let config = spec.space.config(at: index)
                let settings = swept.map { "\($0.rawValue)=\(config[$0])" }.joined(separator: " ")
                var line = "  \(index + 1)  \(config.trialID)  \(settings)"
                do { try config.validate() } catch { line += "  (cannot be trained: \(error); it would be recorded as failed)" }
                lines.append(line)
            }
        }
        print(lines.joined(separator: "\n"))
    }

    /// Where a rule decides, as `sweep check` shows it (hyperband's bands may all lie past the trials' last epoch).
    static func describe(rungs: [Int], before epochs: Int) -> String {
        guard !rungs.isEmpty else { return "no rung before epoch \(epochs), so no trial is stopped early" }
        return "rungs at epochs " + rungs.prefix(8).map(String.init).joined(separator: ", ") + (rungs.count > 8 ? ", …" : "")
    }

    /// A distribution's values as `sweep check` shows them.
    static func describe(_ distribution: Distribution) -> String {
        let support = distribution.support
        return "values in [\(support.low), \(support.high)]" + (distribution.q.map { " in steps of \($0)" } ?? "")
    }

    private func describe(_ domain: Parameter.Domain) -> String {
        switch domain {
        case .values(let choices, let probabilities):
            var text = choices.prefix(8).map { "\($0.value)" }.joined(separator: ", ") + (choices.count > 8 ? ", …" : "")
            if let probabilities { text += " with probabilities " + probabilities.map { "\($0)" }.joined(separator: ", ") }
            return text
        case .distribution(let distribution):
            return Check.describe(distribution)
        }
    }
}

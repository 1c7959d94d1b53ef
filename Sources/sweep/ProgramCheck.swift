import Foundation
import Programs
import Sweeping
import SweepCore

/// What `sweep check` says of a program sweep: the program, the command, and each shown trial's argv.
struct ProgramCheck {
    let lines: [String]

    init(spec: SweepSpec, program: ProgramSpec, show: Int) {
        var lines: [String] = []
        if let name = program.program, let path = program.programPath { lines.append("program: \(name) (\(path))") }
        lines.append("command: " + program.command.elements.joined(separator: " "))
        let sizes = program.parameters.map { "\($0.gridCount ?? 1)" }.joined(separator: " × ")
        switch spec.method {
        case .grid:
            if let size = spec.space.gridSize, size == spec.count {
                lines.append("method: grid, \(spec.count) trials (\(sizes))")
            } else {
                lines.append("method: grid, the first \(spec.count) of \(spec.space.gridSize.map(String.init) ?? "more than \(Int.max)") "
                             + "points (\(sizes)), capped by run_cap")
            }
        default:
            let bound = spec.runCap.map { "\($0) trials (run_cap)" } ?? "unbounded (no run_cap: until it is stopped, as W&B)"
            lines.append("method: \(spec.method.rawValue)\(spec.method == .bayes ? " (TPE)" : ""), \(bound), from random_seed \(spec.randomSeed)")
            if let note = Check.bayesNote(spec) { lines.append(note) }
        }
        if let rule = spec.earlyTermination {
            let rungs = Check.describe(rungs: rule.rungs(forEpochs: EarlyTermination.maximumEpoch), before: EarlyTermination.maximumEpoch)
            lines.append("early_terminate: \(rule.type), eta \(DisplayNumber.number(rule.eta))\(rule.brackets > 1 ? ", \(rule.brackets) brackets" : ""), "
                         + "\(rungs); an epoch is one metric line of the program")
        }
        lines += Check.objectiveLines(spec, source: ", read from the program's JSON lines")
        lines.append("parameters:")
        let width = program.parameters.map(\.name.count).max() ?? 0
        for parameter in program.parameters {
            lines.append("  " + parameter.name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + "  \(parameter.form)  \(ProgramCheck.describe(parameter.domain, written: parameter.written))")
        }
        let shown = min(show, spec.count)
        if shown > 0 {
            lines.append("first \(shown) trials, numbered from 0\(spec.method == .bayes ? " (bayes: its random start)" : ""), each with the command it runs:")
            let environment = ProcessInfo.processInfo.environment
            for index in 0..<shown {
                // Numbers for people here; the command below carries them exactly.
                let point = spec.point(at: index)
                let settings = point.values.map { "\($0.key)=\(ProgramCheck.display($0.value))" }.joined(separator: " ")
                lines.append("  \(index)  \(point.id)  \(settings)")
                let argv = program.argv(of: point.values, environment: environment, jsonFile: "$SWEEP_TRIAL_DIR/args.json")
                lines.append("     $ " + argv.map(ProgramCheck.shellQuoted).joined(separator: " "))
            }
        }
        self.lines = lines
    }

    /// A value as people read it: as Python prints it, a long real number cut to 4 significant digits.
    static func display(_ value: ParameterValue) -> String {
        if case .real = value { return DisplayNumber.value(value.pythonText) }
        return value.pythonText
    }

    static func describe(_ domain: Parameter.Domain, written: [String: String]) -> String {
        switch domain {
        case .values(let choices, let probabilities):
            var text = choices.prefix(8).map(\.value.pythonRepr).joined(separator: ", ") + (choices.count > 8 ? ", …" : "")
            if let probabilities { text += " with probabilities " + probabilities.map { "\($0)" }.joined(separator: ", ") }
            return text
        case .distribution(let distribution):
            return Check.describe(distribution, written: written)
        }
    }

    /// The argument as a POSIX shell would need it to read it back as one word.
    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }
        if plain && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

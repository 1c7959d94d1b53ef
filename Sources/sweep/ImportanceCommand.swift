import ArgumentParser
import Foundation
import ResultsStore
import SweepCore
import SweepFiles
import Sweeping

/// `sweep importance`: how much each parameter matters for reaching the sweep's best trials.
struct ImportanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "importance",
        abstract: "How much each swept parameter matters for reaching the sweep's best trials (PED-ANOVA).",
        discussion: """
            Compares where the top 10 % of the completed trials lie with where all of them lie, one \
            parameter at a time (PED-ANOVA, Watanabe et al. 2023, as Optuna computes it); the shares sum \
            to 1. With several objectives the top are taken by Pareto front, as bayes takes its good \
            trials. Each parameter also gets a noise level, what it scores with its values shuffled among \
            the trials: one at or under it is within noise. A swept seed shows how much the runs' luck \
            decides. The same numbers for the same results folder, every time.
            """)

    @Argument(help: ArgumentHelp("A results directory (default: the most recent under Results/).", valueName: "results"))
    var path: String?

    @Option(help: ArgumentHelp("Score by this metric instead of the sweep's objectives (lower is better unless --goal).",
                               valueName: "metric"))
    var by: String?

    @Option(help: ArgumentHelp("minimize or maximize, for --by (default: maximize for accuracy, minimize otherwise).",
                               valueName: "goal"))
    var goal: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let goal, Metric.Goal(rawValue: goal) == nil {
            throw ValidationError("--goal must be minimize or maximize, got '\(goal)'")
        }
        if goal != nil && by == nil { throw ValidationError("--goal goes with --by") }
    }

    func run() throws {
        let directory = try path ?? ResultsFolders.mostRecentAnnounced()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunFailure("\(directory) is not a results directory; give one such as Results/quickstart", code: ExitStatus.noInput)
        }
        guard let spec = SweepSpec.stored(in: directory) else {
            throw RunFailure("\(directory) holds no sweep.yaml, so its parameters are not known; give a results directory "
                             + "that sweep run wrote", code: ExitStatus.noInput)
        }
        let csv = ResultsDirectory(directory).trials
        let records = FileManager.default.fileExists(atPath: csv)
            ? try ResultStore.readTrials(csv, layout: RecordLayout(stored: spec), warn: warn) : []
        var objectives = spec.objectives
        if let by {
            let names = MetricColumns(layout: RecordLayout(stored: spec)).names
            guard names.contains(by) else {
                let suggestion = Suggestion.didYouMean(by, in: names).map { "; " + $0 } ?? ""
                throw RunFailure("--by \(by.prefix(60)) is not a metric of sweep \(FolderIdentity.name(of: directory))\(suggestion)",
                                 code: ExitStatus.usage)
            }
            let direction = goal.flatMap(Metric.Goal.init(rawValue:)) ?? MetricColumns.naturalGoal(of: by)
            objectives = Objectives(metrics: [Metric(name: by, goal: direction)])
        }
        let importance = Importance(spec: spec, records: records, objectives: objectives)
        let scoredBy = objectives.metrics.map { "\($0.name) (\($0.goal.rawValue))" }.joined(separator: " and ")
        if json {
            print(Self.json(importance, scoredBy: objectives.metrics))
            return
        }
        guard !importance.entries.isEmpty else {
            say("sweep \(FolderIdentity.name(of: directory)) sweeps no parameter: nothing to compare")
            return
        }
        guard importance.top > 0, importance.trials >= 2 else {
            say("\(directory) holds \(importance.trials) completed trial\(importance.trials == 1 ? "" : "s") with every objective "
                + "finite: too few to compare")
            return
        }
        print("importance for reaching the best \(importance.top) of \(importance.trials) completed trials by \(scoredBy) (PED-ANOVA)")
        print(Self.table(importance), terminator: "")
        if importance.trials < 50 {
            say("with \(importance.trials) trials the noise levels are wide; more trials narrow them")
        }
    }

    /// The table: each parameter's share, a bar, and its noise level.
    static func table(_ importance: Importance) -> String {
        let width = max(9, importance.entries.map(\.name.count).max() ?? 0)
        var text = "  " + "parameter".padding(toLength: width, withPad: " ", startingAt: 0) + "  share  noise\n"
        for entry in importance.entries {
            let bar = String(repeating: "█", count: Int((entry.importance * 30).rounded()))
            let share = String(format: "%5.1f%%", entry.importance * 100)
            let noise = String(format: "%4.1f%%", entry.noise * 100)
            text += "  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + " \(share)  \(noise)  "
                + (entry.withinNoise ? "within noise" : bar) + "\n"
        }
        return text
    }

    /// The JSON form: method, the objectives, the counts, and each parameter's share and noise level.
    static func json(_ importance: Importance, scoredBy metrics: [Metric]) -> String {
        struct Entry: Encodable {
            var name: String, importance: Double, noise: Double, within_noise: Bool
        }
        struct Document: Encodable {
            var method = "ped-anova"
            var objectives: [[String: String]]
            var trials: Int, top: Int
            var parameters: [Entry]
        }
        let document = Document(objectives: metrics.map { ["name": $0.name, "goal": $0.goal.rawValue] },
                                trials: importance.trials, top: importance.top,
                                parameters: importance.entries.map { Entry(name: $0.name, importance: $0.importance, noise: $0.noise,
                                                                           within_noise: $0.withinNoise) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(document)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

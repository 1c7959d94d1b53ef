import Programs
import ArgumentParser
import Foundation
import Sweeping
import Training
import SweepCore
import ResultsStore
import SweepFiles

/// `sweep rank`: the best configurations of a results directory.
struct Rank: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank the configurations in a results directory (or trials.csv) by any of its metrics.",
        discussion: """
            Shows only the parameters that vary. Repeats of a configuration with different seeds form one \
            row: mean ± sd over its completed trials, and n. Diverged and failed trials come last. Without \
            a directory, reads the most recent sweep under Results/ and says which.
            """)

    @Argument(help: ArgumentHelp("A results directory or its trials.csv (default: the most recent under Results/).",
                                 valueName: "results"))
    var path: String?

    @Option(help: ArgumentHelp("Any metric of the sweep: test_loss (the final epoch's), test_accuracy, train_loss, "
                               + "a program's own figures, or best_<metric> for the best epoch's "
                               + "(default: the sweep's metric, else test_loss).", valueName: "metric"))
    var by: String?

    @Option(help: ArgumentHelp("minimize or maximize (default: the sweep's goal when --by is its metric; else "
                               + "maximize for accuracy, minimize otherwise).", valueName: "goal"))
    var goal: String?

    @Option(help: ArgumentHelp("Other metrics to show beside it, separated by commas.", valueName: "metrics"))
    var columns: String?

    @Option(help: "Show the best K configurations.")
    var top: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let goal, Metric.Goal(rawValue: goal) == nil {
            throw ValidationError("--goal must be minimize or maximize, got '\(goal)'")
        }
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    /// The metric columns asked for beside the ranked one, in order, each once.
    var extraColumns: [String] {
        var seen = Set<String>()
        return (columns ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    func run() throws {
        let path = try self.path ?? ResultsFolders.mostRecentAnnounced()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RunFailure("\(path) does not exist; give a results directory such as Results/quickstart, "
                             + "or its trials.csv", code: ExitStatus.noInput)
        }
        let csv = isDirectory.boolValue ? ResultsDirectory(path).trials : path
        let directory = (csv as NSString).deletingLastPathComponent
        // The sweep's columns and its own metric, if the spec is beside the CSV.
        let spec = SweepSpec.stored(in: directory)
        let layout = RecordLayout(stored: spec)
        let sweepMetric = spec?.metric ?? Metric()
        let name = by ?? sweepMetric.name
        let asked = [name] + extraColumns.filter { $0 != name }
        let records = FileManager.default.fileExists(atPath: csv) || !isDirectory.boolValue
            ? try ResultStore.readTrials(csv, layout: layout, warn: warn) : []

        // The epochs file is read only for a metric trials.csv does not hold.
        var available = MetricColumns(layout: layout)
        if MetricColumns.needEpochs(asked, layout: layout) {
            let epochs = ResultStore.readEpochs(ResultsDirectory(directory).epochs(layout), layout: layout)
            available = MetricColumns(layout: layout, epochs: epochs)
        }
        for (flag, metric) in [("--by", name)] + extraColumns.map({ ("--columns", $0) }) where !available.names.contains(metric) {
            let suggestion = Suggestion.didYouMean(metric, in: available.names).map { "; " + $0 } ?? ""
            // One line however many names its programs printed.
            let listed = available.names.prefix(40).joined(separator: ", ")
                + (available.names.count > 40 ? " and \(available.names.count - 40) more" : "")
            throw RunFailure("\(flag) \(metric.prefix(60)) is not a metric of sweep \(FolderIdentity.name(of: directory))\(suggestion) "
                             + "(its metrics: \(listed))", code: ExitStatus.usage)
        }

        // The direction: as asked; else the sweep's, for its own metric (or its best); else the figure's own.
        let figure = available.figure(of: name) ?? name
        let ownMetric = name == sweepMetric.name || figure == sweepMetric.name
        let direction = goal.flatMap(Metric.Goal.init(rawValue:))
            ?? (ownMetric ? sweepMetric.goal : MetricColumns.naturalGoal(of: figure))
        if goal == nil && !ownMetric && !["test_loss", "test_accuracy", "train_loss"].contains(figure) {
            say("ranking by \(name), \(direction == .minimize ? "lowest" : "highest") first "
                + "(--goal \(direction == .minimize ? "maximize" : "minimize") to reverse)")
        }
        available.goals = [sweepMetric.name: sweepMetric.goal]
        available.goals[figure] = direction
        // The sweep's own objectives and constraints, unless another metric was asked for.
        let objectives = by == nil || by == sweepMetric.name ? spec?.objectives : nil
        // Population-based training ranks members by their latest stretch, and shows how each got there.
        let schedules = layout.population ? MemberSchedule.latest(in: records) : []
        let byLast = Dictionary(schedules.map { ($0.last.id, $0) }, uniquingKeysWith: { first, _ in first })
        let ranking = Ranking(records: layout.population ? schedules.map(\.last) : records, metric: Metric(name: name, goal: direction),
                              columns: Array(asked.dropFirst()), objectives: objectives, value: available.value)
        if json {
            print(ranking.json(top: top, schedules: byLast), terminator: "")
        } else if records.isEmpty {
            say("\(csv) holds no trials yet")
        } else {
            print(ranking.table(top: top), terminator: "")
            if layout.population {
                let names = spec?.parameters.filter { Hyperparameter(rawValue: $0.name)?.changesBetweenStretches ?? false }.map(\.name) ?? []
                print("\nschedules (\(records.count) stretches of \(schedules.count) members; sweep rank --json for each stretch):")
                for row in ranking.rows.prefix(top ?? 10) {
                    guard let schedule = byLast[row.trials[0]] else { continue }
                    print("  \(row.rank.map(String.init) ?? "-")  \(row.trials[0])  \(schedule.text(names))")
                }
            }
        }
    }
}

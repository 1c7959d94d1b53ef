import ArgumentParser
import Foundation
import Sweeping

/// `sweep rank`: the best configurations of a results directory.
struct Rank: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank the configurations in a results directory (or trials.csv) by a metric.",
        discussion: """
            Shows only the parameters that vary. Repeats of a configuration with different seeds form one \
            row: mean ± sd over its completed trials, and n. Diverged and failed trials come last.
            """)

    @Argument(help: ArgumentHelp("A results directory or its trials.csv.", valueName: "results"))
    var path = "Results/quickstart"

    @Option(help: ArgumentHelp("test_loss (the final epoch's), best_test_loss, or test_accuracy "
                               + "(default: the sweep's metric, else test_loss).", valueName: "metric"))
    var by: String?

    @Option(help: "Show the best K configurations.")
    var top: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let by, !Metric.names.contains(by) {
            throw ValidationError("--by must be one of \(Metric.names.joined(separator: ", ")), got '\(by)'")
        }
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RunFailure("\(path) does not exist; give a results directory such as Results/quickstart, "
                             + "or its trials.csv", code: ExitStatus.noInput)
        }
        let csv = isDirectory.boolValue ? (path as NSString).appendingPathComponent("trials.csv") : path
        // The sweep's columns and its own metric, if the spec is beside the CSV (and no --by was given).
        let spec = SweepSpec.stored(in: (csv as NSString).deletingLastPathComponent)
        let records = try ResultStore.readTrials(csv, layout: spec?.layout ?? .model, warn: warn)
        var metric = Metric(name: by ?? "test_loss")
        if by == nil, let spec { metric = spec.metric }
        let ranking = Ranking(records: records, metric: metric)
        if json {
            print(ranking.json(top: top), terminator: "")
        } else if records.isEmpty {
            say("\(csv) holds no trials yet")
        } else {
            print(ranking.table(top: top), terminator: "")
        }
    }
}

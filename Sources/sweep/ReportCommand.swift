import ArgumentParser
import Foundation
import Reporting
import Sweeping
import SweepCore
import ResultsStore
import SweepFiles

/// `sweep report`: a self-contained HTML report of a results directory.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (ranking, history, learning curves, importance, slices, contour, parallel coordinates, worker timeline, every trial).",
        discussion: """
            The file opens offline: inline SVG and CSS, nothing fetched; only the table of every trial (sort, \
            filter, pages) needs its few lines of inline script. It is built from the results directory's files \
            (the CSVs, timeline.csv, sweep.yaml) only, so it works during a sweep too; `sweep serve` shows the \
            same page live. Its charts are bounded whatever the number of trials; the table grows by about 35 \
            bytes a trial. Without a directory, reports the most recent sweep under Results/ and says which.
            """)

    @Argument(help: ArgumentHelp("The results directory (default: the most recent under Results/).", valueName: "results"))
    var directory: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write (default: <results>/report.html).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The contour's column parameter (default: the most important one, else learning_rate).", valueName: "parameter"))
    var x: String?

    @Option(help: ArgumentHelp("The contour's row parameter (default: the second most important, else weight_decay).", valueName: "parameter"))
    var y: String?

    func run() throws {
        let directory = try self.directory ?? ResultsFolders.mostRecentAnnounced()
        guard FileManager.default.fileExists(atPath: ResultsDirectory(directory).trials) else {
            throw RunFailure("\(directory) has no trials.csv; give a results directory such as Results/quickstart", code: ExitStatus.noInput)
        }
        // The parameters are the sweep's: the built-in trainer's, or a program sweep's own.
        let parameters = RecordLayout(stored: SweepSpec.stored(in: directory)).parameters
        for (flag, value) in [("--x", x), ("--y", y)] {
            if let value, !parameters.contains(value) {
                throw ValidationError("\(flag) must be a parameter (\(parameters.joined(separator: ", "))), got '\(value)'")
            }
        }
        let path = try writeReport(directory: directory, output: output,
                                   heatmap: x == nil && y == nil ? nil : (x ?? "learning_rate", y ?? "weight_decay"))
        print(path)
    }
}

/// Renders the report of `directory` to `output` (default `<directory>/report.html`); returns the path.
func writeReport(directory: String, output: String? = nil, heatmap: (x: String, y: String)? = nil) throws -> String {
    let data = try ReportData(directory: directory)
    let html = Report(data: data, heatmap: heatmap).render()
    let path = output ?? ResultsDirectory(directory).report
    do {
        try html.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw RunFailure("cannot write \(path): \(error.localizedDescription)", code: ExitStatus.cannotCreate)
    }
    return path
}

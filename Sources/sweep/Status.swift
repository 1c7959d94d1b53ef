import ArgumentParser
import Coordinator
import Foundation
import Sweeping
import SweepCore
import Wire
import ResultsStore
import SweepFiles

/// `sweep status`: a running sweep from another terminal.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a sweep's progress: its workers, their trials and epochs, done/total, best so far.",
        discussion: """
            Asks the running coordinator over ZeroMQ (it leaves its endpoint in <results>/coordinator.json); \
            when none answers, reads the CSVs instead. Without a directory, shows every sweep under Results/ \
            whose coordinator is running, else the most recent one, and says which. On a terminal it refreshes \
            every --interval seconds until Ctrl-C; otherwise, or with --once, it prints once.
            """)

    @Argument(help: ArgumentHelp("The results directory (default: the running sweeps under Results/, else the most recent).",
                                 valueName: "results"))
    var directory: String?

    @Flag(help: "Print once and exit.")
    var once = false

    @Option(help: "Seconds between refreshes.")
    var interval: Double = 1

    func validate() throws {
        guard interval >= 0.1 else { throw ValidationError("--interval must be at least 0.1, got \(interval)") }
    }

    func run() throws {
        if let directory, !FileManager.default.fileExists(atPath: directory) {
            throw RunFailure("\(directory) does not exist; give a results directory such as Results/quickstart", code: ExitStatus.noInput)
        }
        let live = !once && isatty(STDOUT_FILENO) == 1
        if live { Interrupts.install() }
        var announced: [String]?
        repeat {
            let folders: [(directory: String, answer: CoordinatorAnswer)]
            if let directory {
                let pointer = CoordinatorPointer.read(from: directory)
                folders = [(directory, CoordinatorAnswer(pointer: pointer, report: pointer.flatMap { ResultsFolders.ask([$0])[0] }))]
            } else {
                let chosen = try ResultsFolders.forStatus()
                folders = chosen.folders
                // Said again only when the choice changes (a sweep started or ended meanwhile).
                if announced != folders.map(\.directory) {
                    announced = folders.map(\.directory)
                    say("reading \(folders.map(\.directory).joined(separator: ", ")) (\(chosen.why))")
                }
            }
            let text = try folders.map { try snapshot($0.directory, $0.answer) }.joined(separator: "\n")
            // Written straight to the file descriptor: print() buffers, and a live view must show at once.
            FileHandle.standardOutput.write(Data(((live ? "\u{1B}[H\u{1B}[2J" : "") + text).utf8))
            if !live { return }
            let deadline = Date().addingTimeInterval(interval)
            while Date() < deadline && Interrupts.caught == nil { usleep(50_000) }  // a refresh period, not a wait for anything
        } while Interrupts.caught == nil
    }

    /// The status block of `directory`: from its coordinator's report if it answered, and the CSVs.
    func snapshot(_ directory: String, _ answer: CoordinatorAnswer) throws -> String {
        let csv = ResultsDirectory(directory).trials
        let spec = SweepSpec.stored(in: directory)
        let records = FileManager.default.fileExists(atPath: csv)
            ? try ResultStore.readTrials(csv, layout: RecordLayout(stored: spec), warn: warn) : []
        let metric = spec?.metric ?? Metric()
        let name = FolderIdentity.name(of: directory)
        let total = answer.report?.total ?? spec?.count
        // This sweep's trials: those its file runs, at its positions. A folder may hold others too
        // (an earlier version of the file, another file of the same name): counted apart, so that
        // recorded never exceeds the total.
        var ours = records
        if let spec, let total {
            ours = records.filter { record in spec.admits(record.point) && (record.number.map { $0 < total } ?? true) }
            ours = Array(ours.prefix(total))
        } else if let report = answer.report {
            ours = Array(records.prefix(min(report.recorded, report.total)))
        }
        var counts = total.map { "\(ours.count)/\($0 < Int.max ? String($0) : "∞") recorded" } ?? "\(ours.count) recorded"
        if records.count > ours.count {
            let others = records.count - ours.count
            counts += " (the folder also holds \(others) \(others == 1 ? "trial" : "trials") this sweep file does not run)"
        }
        var lines: [String] = []
        if let pointer = answer.pointer, let report = answer.report {
            let running = report.workers.filter { $0.trial != nil }.count
            lines.append("sweep \(name): \(counts), \(running) running, \(report.workers.count) workers; "
                         + "coordinator pid \(report.pid) at \(pointer.endpoint)")
            lines += workerLines(report, spec: spec)
        } else {
            var ended = ""
            switch ResultStore.readRuns(ResultsDirectory(directory).runs).last?.outcome {
            case .targetReached?: ended = "; the sweep ended when a trial reached the target"
            case .budgetSpent?: ended = "; the sweep ended when its epoch budget was spent"
            default: break
            }
            lines.append("sweep \(name): \(counts)\(ended); "
                         + (answer.pointer.map { "the coordinator (pid \($0.pid)) does not answer" } ?? "no coordinator is running")
                         + " (figures from the CSVs)")
        }
        if let best = metric.best(of: ours), let value = best.metric(metric.name) {
            let settings: [(name: String, value: String)]
            if let spec {
                settings = spec.valueTexts(of: best.point)
            } else {
                let fields = Dictionary(uniqueKeysWithValues: zip(best.layout.columns, best.fields))
                settings = Ranking(records: ours, metric: metric).varyingParameters.map { ($0, fields[$0] ?? "") }
            }
            lines.append("best \(metric.name) \(DisplayNumber.number(value)) (trial \(best.id)\(Status.text(settings, prefix: ": ")))")
        }
        let statuses = Dictionary(grouping: ours, by: \.status).mapValues(\.count)
        if let stopped = statuses[.stopped] { lines.append("stopped early: \(stopped)") }
        if let diverged = statuses[.diverged] { lines.append("diverged: \(diverged)") }
        if let failed = statuses[.failed] { lines.append("failed: \(failed)") }
        return lines.map(\.terminalCell).joined(separator: "\n") + "\n"
    }

    /// One line per worker: its trial, the trial's values (those the sweep varies), its epoch, the
    /// last value of the sweep's metric and the last rung it passed; or idle.
    func workerLines(_ report: CoordinatorStatus, spec: SweepSpec?) -> [String] {
        let width = report.workers.map(\.name.count).max() ?? 0
        let varying = spec.map { Set($0.varyingNamesInFileOrder) }
        return report.workers.map { worker in
            var line = "  " + worker.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  on \(worker.host)  "
            guard let trial = worker.trial else { return line + "idle" }
            line += "training \(trial)"
            if let epochs = worker.epochs { line += ", epoch \(worker.epoch ?? 0)/\(epochs) done" }
            else if let epoch = worker.epoch { line += ", epoch \(epoch) done" }
            if let value = worker.value, let name = report.metric { line += ", \(name) \(DisplayNumber.number(value))" }
            if let rung = worker.rung { line += ", passed the rung at epoch \(rung)" }
            let values = (worker.values ?? []).filter { varying?.contains($0.name) ?? true }
            return line + Status.text(values.map { ($0.name, $0.value) }, prefix: ": ")
        }
    }

    /// `name=value` pairs for people (numbers with four significant digits), after `prefix`; empty without pairs.
    static func text(_ pairs: [(name: String, value: String)], prefix: String) -> String {
        pairs.isEmpty ? "" : prefix + pairs.map { "\($0.name)=\(DisplayNumber.value($0.value))" }.joined(separator: " ")
    }
}

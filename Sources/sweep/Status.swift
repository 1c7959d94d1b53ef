import ArgumentParser
import Coordinator
import Foundation
import Messaging
import Sweeping

/// `sweep status`: a running sweep from another terminal.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a sweep's progress: its workers, their trials and epochs, done/total, best so far.",
        discussion: """
            Asks the running coordinator over ZeroMQ (it leaves its endpoint in <results>/coordinator.json); \
            when none answers, reads the CSVs instead. On a terminal it refreshes every --interval seconds \
            until Ctrl-C; otherwise, or with --once, it prints once.
            """)

    @Argument(help: ArgumentHelp("The results directory.", valueName: "results"))
    var directory = "Results/quickstart"

    @Flag(help: "Print once and exit.")
    var once = false

    @Option(help: "Seconds between refreshes.")
    var interval: Double = 1

    func validate() throws {
        guard interval >= 0.1 else { throw ValidationError("--interval must be at least 0.1, got \(interval)") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw RunFailure("\(directory) does not exist; give a results directory such as Results/quickstart", code: ExitStatus.noInput)
        }
        let live = !once && isatty(STDOUT_FILENO) == 1
        if live { Interrupts.install() }
        repeat {
            let text = try snapshot()
            // Written straight to the file descriptor: print() buffers, and a live view must show at once.
            FileHandle.standardOutput.write(Data(((live ? "\u{1B}[H\u{1B}[2J" : "") + text).utf8))
            if !live { return }
            let deadline = Date().addingTimeInterval(interval)
            while Date() < deadline && Interrupts.caught == nil { usleep(50_000) }  // a refresh period, not a wait for anything
        } while Interrupts.caught == nil
    }

    /// The status block, from the coordinator if one answers, else from the CSVs.
    func snapshot() throws -> String {
        let csv = (directory as NSString).appendingPathComponent("trials.csv")
        let spec = SweepSpec.stored(in: directory)
        let records = FileManager.default.fileExists(atPath: csv)
            ? try ResultStore.readTrials(csv, layout: spec?.layout ?? .model, warn: warn) : []
        let metric = spec?.metric ?? Metric()
        let planned = spec?.count
        var lines: [String] = []
        let name = spec?.name ?? (directory as NSString).lastPathComponent
        let pointer = CoordinatorPointer.read(from: directory)
        if let pointer, let report = ask(pointer) {
            let running = report.workers.filter { $0.trial != nil }.count
            lines.append("sweep \(name): \(report.recorded)/\(report.total) recorded, \(running) running, "
                         + "\(report.workers.count) workers; coordinator pid \(report.pid) at \(pointer.endpoint)")
            let width = report.workers.map(\.name.count).max() ?? 0
            for worker in report.workers {
                var line = "  " + worker.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  on \(worker.host)  "
                if let trial = worker.trial {
                    line += "training \(trial)"
                    if let epochs = worker.epochs { line += ", epoch \(worker.epoch ?? 0)/\(epochs) done" }
                    if let rung = worker.rung { line += ", passed the rung at epoch \(rung)" }
                } else {
                    line += "idle"
                }
                lines.append(line)
            }
        } else {
            let done = records.count
            lines.append("sweep \(name): \(done)\(planned.map { "/\($0)" } ?? "") recorded; "
                         + (pointer == nil ? "no coordinator is running" : "the coordinator (pid \(pointer!.pid)) does not answer")
                         + " (figures from the CSVs)")
        }
        if let best = metric.best(of: records), let value = best.metric(metric.name) {
            let ranking = Ranking(records: records, metric: metric)
            let fields = Dictionary(uniqueKeysWithValues: zip(best.layout.columns, best.fields))
            let settings = ranking.varyingParameters.map { "\($0)=\(fields[$0] ?? "")" }.joined(separator: " ")
            lines.append("best \(metric.name) \(String(format: "%.4f", value)) (trial \(best.id)\(settings.isEmpty ? "" : ": " + settings))")
        }
        let statuses = Dictionary(grouping: records, by: \.status).mapValues(\.count)
        if let stopped = statuses[.stopped] { lines.append("stopped early: \(stopped)") }
        if let diverged = statuses[.diverged] { lines.append("diverged: \(diverged)") }
        if let failed = statuses[.failed] { lines.append("failed: \(failed)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Asks the coordinator; nil if it does not answer within a second.
    func ask(_ pointer: CoordinatorPointer) -> CoordinatorStatus? {
        guard let context = try? Context(), let socket = try? Socket(context, type: .dealer) else { return nil }
        if let key = pointer.curvePublicKey, let keys = try? CurveKeys.generate() {
            try? socket.set(.curveServerKey, Array(key.utf8))
            try? socket.set(.curvePublicKey, Array(keys.publicKey.utf8))
            try? socket.set(.curveSecretKey, Array(keys.secretKey.utf8))
        }
        guard (try? socket.connect(pointer.endpoint)) != nil,
              (try? socket.send([Message.status.encoded()])) == true else { return nil }
        let deadline = Date().addingTimeInterval(1)
        while Date() < deadline {
            guard (try? socket.waitForMessage(milliseconds: 100)) == true,
                  let frames = try? socket.receive(dontWait: true), let frame = frames.last else { continue }
            if case .statusReport(let report)? = try? Message.decode(frame) { return report }
        }
        return nil
    }
}

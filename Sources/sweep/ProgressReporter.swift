import Coordinator
import Scheduling
import Foundation
import Sweeping
import Training

/// Shows a running sweep: on a terminal one live status line; otherwise a plain log line per event.
final class ProgressReporter {
    private let total: Int
    private var done: Int
    private let startDone: Int
    private var failed = 0
    private var diverged = 0
    private var stopped = 0
    private var running: [String: (worker: String, epoch: Int)] = [:]
    private var best: (loss: Double, trial: String)?
    private let started = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(10)
    private let live: Bool
    private let workers: Int
    private let metric: String

    private let quiet: Bool
    /// Workers and hosts that joined, in order.
    private(set) var workerNames: [String] = []
    private(set) var hosts: [String] = []
    /// The same, to look up in constant time (ten thousand workers join).
    private var seenWorkers: Set<String> = [], seenHosts: Set<String> = []
    private var firstTrial: ContinuousClock.Instant?

    /// Seconds from the first trial handed out until now.
    /// From the first trial handed out to the last one recorded (not to the end of the farewell).
    var secondsSinceFirstTrial: Double { ((lastRecorded ?? ContinuousClock.now) - (firstTrial ?? started)).inSeconds }
    private var lastRecorded: ContinuousClock.Instant?

    private let goal: Metric
    /// Trials paused at a rung now.
    private var paused = 0

    init(total: Int, alreadyDone: Int, workers: Int, metric: Metric, best: TrialRecord?, quiet: Bool = false) {
        self.quiet = quiet
        self.goal = metric
        self.total = total
        self.done = alreadyDone
        self.startDone = alreadyDone
        self.workers = workers
        self.metric = metric.name
        self.live = isatty(STDERR_FILENO) == 1
        if let best, let value = best.metric(metric.name) { self.best = (value, best.id) }
    }

    func handle(_ event: SweepEvent) {
        switch event {
        case .workerJoined(let worker, let host):
            if seenWorkers.insert(worker).inserted { workerNames.append(worker) }
            if seenHosts.insert(host).inserted { hosts.append(host) }
            if !live && !quiet { log("worker \(worker) joined from \(host)") }
        case .workerLost(let worker, let trial):
            log("worker \(worker) lost\(trial.map { "; trial \($0) goes back to the queue" } ?? "")")
        case .trialStarted(let trial, let number, let worker, let attempt):
            running[trial] = (worker, 0)
            if firstTrial == nil { firstTrial = ContinuousClock.now }
            if !live && !quiet {
                log("trial \(trial) started on \(worker) (#\(number)\(attempt > 1 ? ", attempt \(attempt)" : ""))")
            }
        case .resumed(let trial, let epoch, let worker):
            running[trial] = (worker, epoch)
            if !live && !quiet { log("trial \(trial) resumes on \(worker) from its checkpoint after epoch \(epoch)") }
        case .checkpointStored:
            break  // every minute per worker: too often to log
        case .paused(let trial, let rung):
            running[trial] = nil
            paused += 1
            if !live && !quiet { log("trial \(trial) paused at rung \(rung) until earlier trials decide it") }
        case .promoted(let trial, let rung):
            paused -= 1
            if !live && !quiet { log("trial \(trial) passed rung \(rung): it continues from its checkpoint") }
        case .noModel(let trial, let reason):
            log("trial \(trial) ranks among the best but has no model kept (\(reason)); sweep export \(trial) remakes it")
        case .stopDecided(let trial, let rung):
            if !live && !quiet { log("trial \(trial) stopped early after epoch \(rung)") }
        case .epoch(let trial, let worker, let metrics):
            running[trial] = (worker, metrics.epoch)
        case .trialRecorded(let record):
            lastRecorded = ContinuousClock.now
            if record.status == .stopped && running[record.id] == nil && paused > 0 { paused -= 1 }
            running[record.id] = nil
            done += 1
            switch record.status {
            case .completed:
                if let value = record.metric(metric), value.isFinite,
                   best.map({ goal.isBetter(value, than: $0.loss) }) ?? true { best = (value, record.id) }
            case .diverged: diverged += 1
            case .failed: failed += 1
            case .stopped: stopped += 1
            }
            if !live && (!quiet || record.status == .failed) {
                let value = record.metric(metric).map { String(format: "%.4f", $0) } ?? "-"
                log("trial \(record.id) \(record.status.rawValue) \(metric) \(value) [\(done)/\(total)]"
                    + (record.reason.isEmpty ? "" : ": \(record.reason)"))
            }
        case .sweepEnded(let reason, let number):
            log(reason == .targetReached ? "trial #\(number) reached the target \(metric): the sweep ends there"
                                         : "the epoch budget is spent at trial #\(number): the sweep ends there")
        case .duplicateResult(let trial, let worker):
            if !live && !quiet { log("dropped a duplicate result of trial \(trial) from \(worker)") }
        case .authentication(let accepted, let key, let address):
            if !accepted { log("refused a worker at \(address): its key \(key) is not in the authorized keys") }
            else if !live { log("admitted a worker at \(address) with key \(key)") }
        case .rejected(let peer, let reason):
            log("dropped a message from \(peer): \(reason)")
        case .coordinatorFull(let workers, let limit):
            log("the coordinator is full: it holds \(workers) workers and cannot accept another connection (open-file limit "
                + "\(limit), one a worker); raise it with `ulimit -n` (up to `ulimit -Hn`; LimitNOFILE= for a systemd service) "
                + "and start the coordinator again: the sweep resumes, and meanwhile goes on with the workers it holds")
        }
        draw(force: true)
    }

    /// Redraws the live line (at most ten times a second unless forced).
    func draw(force: Bool = false) {
        guard live else { return }
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let elapsed = (now - started).inSeconds
        var eta = "-"
        let finishedHere = done - startDone
        if finishedHere > 0 && done < total {
            eta = clock(elapsed / Double(finishedHere) * Double(total - done))
        }
        var line = "[\(done)/\(total)] running \(running.count)"
        if paused > 0 { line += ", paused \(paused)" }
        if stopped > 0 { line += ", stopped \(stopped)" }
        if failed > 0 { line += ", failed \(failed)" }
        if diverged > 0 { line += ", diverged \(diverged)" }
        line += ", \(clock(elapsed)) elapsed, ETA \(eta)"
        if let best { line += ", best \(metric) \(String(format: "%.4f", best.loss)) (\(best.trial))" }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    /// Ends the live line.
    func finish() {
        if live {
            draw(force: true)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func log(_ text: String) {
        if live { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        FileHandle.standardError.write(Data("sweep: \(text)\n".utf8))
    }

    private func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}

import Foundation
import Programs
import Training
import SweepCore
import Wire

/// The trial side of the session: what the shell's trainer or program reports, and what follows.
extension WorkerSession {
    /// The trial at hand (at most one).
    enum Job: Sendable {
        case idle
        case assigned(Assignment)
        case running(Run)
        case resultPending(Pending)
    }

    /// A trial of the built-in trainer waiting for the checkpoint it resumes from.
    struct Assignment: Sendable {
        let trial: String
        let number: Int?
        let config: TrainingConfig
        let work: Message.Work
        /// The checkpoint's size, as `work.resumeBytes` announced it.
        let total: Int
        var bytes: [UInt8] = []
    }

    /// A result sent and not yet acknowledged.
    struct Pending: Sendable {
        let trial: String
        let number: Int?
        let outcome: TrainingResult
        /// The final weights sent before the result (to keep the model), sent again with it after a
        /// reconnect: a coordinator that counted this worker as lost refused them the first time.
        var final: (bytes: [UInt8], epoch: Int)? = nil
    }

    /// A trial being run by the shell.
    struct Run: Sendable {
        enum Kind: Sendable {
            case trainer(TrainingConfig, Message.Work)
            case program(ProgramJob, attempt: Int)
        }

        enum Step: Sendable {
            /// The shell was told to start it and has not said it did.
            case starting
            case running
            /// Waiting at a rung with the checkpoint sent there (sent again after a reconnect).
            case atRung(epoch: Int, checkpoint: [UInt8])
        }

        /// What the checkpoint asked of the shell is for.
        enum Purpose: Sendable {
            case periodic
            case rung
            /// The final weights, sent before this result.
            case final(TrainingResult)
        }

        let trial: String
        let number: Int?
        let kind: Kind
        var step = Step.starting
        /// Epochs done: the trainer's (a resumed checkpoint's count), or a program's metric lines.
        var epochsDone = 0
        /// A program's epochs, one per metric line.
        var epochs: [EpochMetrics] = []
        /// Early termination: end the run once this many epochs are done, and cut the result there.
        var stopAfter: Int?
        /// The coordinator no longer wants it (or the worker leaves): no result, only `ready`.
        var abandoned = false
        /// `halt` went out.
        var halted = false
        /// A checkpoint asked of the shell and not yet taken.
        var wanted: Purpose?
        var lastCheckpoint: Instant
        /// When a program's last metric line came (an epoch's seconds, unless the line says).
        var lastLine: Instant
        var stream: LogStream

        init(trial: String, number: Int?, kind: Kind, now: Instant) {
            self.trial = trial
            self.number = number
            self.kind = kind
            lastCheckpoint = now
            lastLine = now
            if case .program(_, let attempt) = kind {
                stream = LogStream(trial: trial, attempt: attempt, now: now)
            } else {
                stream = LogStream(trial: trial, attempt: 1, now: now)
            }
        }

        var isTrainer: Bool {
            if case .trainer = kind { return true }
            return false
        }
    }

    // MARK: - The built-in trainer

    mutating func trainingStarted(epochsDone: Int, _ resumption: Resumption) {
        guard var run = takeRun(where: { $0.isTrainer && $0.step.isStarting }, "trainingStarted") else { return }
        run.epochsDone = epochsDone
        run.step = .running
        run.lastCheckpoint = currentTime
        switch resumption {
        case .fresh: log("training \(run.trial)")
        case .resumed: log("training \(run.trial) from its checkpoint after epoch \(epochsDone)")
        case .refused(let reason): log("refused the checkpoint of \(run.trial) (\(reason)); training it from scratch")
        }
        put(run)
    }

    mutating func epochFinished(_ metrics: EpochMetrics) {
        guard var run = takeRun(where: { $0.isTrainer && !$0.step.isStarting }, "an epoch's end"),
              case .trainer(_, let work) = run.kind else { return }
        run.epochsDone = metrics.epoch
        send(.progress(trial: run.trial, metrics: metrics))
        haltIfDue(&run)
        // A rung it may not pass yet: send the checkpoint and wait there (unless stopped by then).
        if work.pauseAt?.contains(metrics.epoch) == true, metrics.isFinite, run.epochsDone < (run.stopAfter ?? .max),
           !run.abandoned, exit == nil {
            requestCheckpoint(.rung, &run)
        }
        put(run)
    }

    mutating func checkpointTaken(_ bytes: [UInt8]) {
        guard var run = takeRun(where: { $0.wanted != nil }, "a checkpoint"), let purpose = run.wanted else { return }
        run.wanted = nil
        switch purpose {
        case .periodic:
            sendCheckpoint(bytes, trial: run.trial, epoch: run.epochsDone)
            put(run)
        case .rung:
            run.step = .atRung(epoch: run.epochsDone, checkpoint: bytes)
            sendCheckpoint(bytes, trial: run.trial, epoch: run.epochsDone)
            put(run)
        case .final(let result):
            sendCheckpoint(bytes, trial: run.trial, epoch: run.epochsDone)
            finish(run, result, final: (bytes, run.epochsDone))
        }
    }

    mutating func trainingEnded(_ result: TrainingResult) {
        guard var run = takeRun(where: { $0.isTrainer && !$0.step.isStarting }, "a training's end"),
              case .trainer(let config, let work) = run.kind else { return }
        if run.abandoned || exit != nil { return endAbandoned(run) }
        var result = result
        if let stopAfter = run.stopAfter, stopAfter < config.epochs, result.epochs.count >= stopAfter {
            result = TrainingResult(config: config, epochs: Array(result.epochs.prefix(stopAfter)), status: .stopped)
            log("stopped \(run.trial) after epoch \(stopAfter)")
        } else if result.status == .completed && work.sendFinal == true {
            requestCheckpoint(.final(result), &run)  // the result follows the checkpoint
            put(run)
            return
        }
        finish(run, result)
    }

    // MARK: - A program

    mutating func programStarted() {
        guard var run = takeRun(where: { !$0.isTrainer && $0.step.isStarting }, "a program's start"),
              case .program(_, let attempt) = run.kind else { return }
        run.step = .running
        run.lastLine = currentTime
        log("running \(run.trial) (attempt \(attempt))")
        put(run)
    }

    mutating func programCouldNotStart(_ reason: String) {
        guard var run = takeRun(where: { !$0.isTrainer && $0.step.isStarting }, "a program's failure to start") else { return }
        log("cannot start \(run.trial): \(reason)")
        var text = TrialLog()
        text.append(Array("cannot start: \(reason)\n".utf8))
        for piece in run.stream.finish(text, end: "could not start") { send(piece) }
        finish(run, TrainingResult(config: nil, epochs: [], status: .failed, reason: "cannot start: \(reason)"))
    }

    /// A metric line is the program's next epoch (the unit of early termination, as W&B counts a
    /// program's logged rows).
    mutating func metricLine(_ line: MetricLine) {
        guard var run = takeRun(where: { !$0.isTrainer && !$0.step.isStarting }, "a metric line") else { return }
        let values = line.values.map { (name: $0.name, value: $0.value) }
        let metrics = EpochMetrics(epoch: run.epochs.count + 1,
                                   seconds: line.value("seconds") ?? (currentTime - run.lastLine).inSeconds, named: values)
        run.lastLine = currentTime
        run.epochs.append(metrics)
        run.epochsDone = run.epochs.count
        send(.progress(trial: run.trial, metrics: metrics))
        haltIfDue(&run)
        put(run)
    }

    mutating func logOutput(_ output: TrialLog) {
        guard var run = takeRun(where: { !$0.isTrainer && !$0.step.isStarting }, "a program's output") else { return }
        for piece in run.stream.pieces(of: output, now: currentTime) { send(piece) }
        put(run)
    }

    /// The log's last pieces, then the result (unless the trial was abandoned).
    mutating func programEnded(_ outcome: ProgramRun.Outcome, log output: TrialLog, ending: String, note: String?) {
        guard var run = takeRun(where: { !$0.isTrainer && !$0.step.isStarting }, "a program's end"),
              case .program(let program, _) = run.kind else { return }
        if run.abandoned || exit != nil {
            return endAbandoned(run, lastWords: run.stream.finish(output, end: "abandoned: " + ending))
        }
        for piece in run.stream.finish(output, end: ending) { send(piece) }
        let epochs = run.epochs
        switch outcome {
        case .completed:
            finish(run, TrainingResult(config: nil, epochs: epochs, status: .completed, reason: note))
        case .diverged:
            log("\(run.trial) diverged: \(program.metric) is not finite at epoch \(epochs.count)")
            finish(run, TrainingResult(config: nil, epochs: epochs, status: .diverged, reason: note))
        case .stopped:
            let cut = run.stopAfter ?? epochs.count
            log("stopped \(run.trial) after epoch \(cut)")
            finish(run, TrainingResult(config: nil, epochs: Array(epochs.prefix(cut)), status: .stopped, reason: note))
        case .failed(let reason):
            log("\(run.trial) failed: \(reason)")
            finish(run, TrainingResult(config: nil, epochs: epochs, status: .failed,
                                       reason: [reason, note].compactMap { $0 }.joined(separator: "; ")))
        }
    }

    /// The running trial, taken out of the job if `fits` it; otherwise the shell said something out
    /// of turn, which is logged (a shell's bug, never a silent drop).
    private mutating func takeRun(where fits: (Run) -> Bool, _ what: String) -> Run? {
        // Out of the job before anything changes it, so its buffers stay unshared and grow in place.
        guard case .running(let run) = job else {
            log("ignoring \(what): no trial here expects it")
            return nil
        }
        job = .idle
        guard fits(run) else {
            job = .running(run)
            log("ignoring \(what): no trial here expects it")
            return nil
        }
        return run
    }
}

extension WorkerSession.Run.Step {
    var isStarting: Bool {
        if case .starting = self { return true }
        return false
    }
}

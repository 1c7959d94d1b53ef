import CSupport
import Foundation
import Messaging
import Programs
import Training

/// Connects to a coordinator, trains the trials it hands out, and reports every epoch and result.
///
/// Single-threaded: while training, the trainer's tick services the socket (heartbeats, `stop`,
/// `bye`), so no second thread ever touches the socket. A result is re-sent after every reconnect
/// until the coordinator acknowledges it. Checkpoints go to the coordinator as the trial's `work`
/// asks (every `checkpoint_every` seconds, at rungs, at the end); at a rung the worker waits for
/// `proceed` or `stop`; a trial handed out with a checkpoint resumes from it.
///
/// A program trial (`work.program`) runs the program as a child in its own process group under a
/// small supervisor: its metric lines go out as progress, a stop sends SIGTERM and, after the grace,
/// SIGKILL, and if this worker dies the supervisor kills the group. Its log goes to the coordinator
/// before its result.
public final class Worker {
    /// How a worker's run ended.
    public enum Exit: Equatable, Sendable {
        /// The coordinator said `bye`.
        case finished
        /// The coordinator refused this worker.
        case refused(String)
        /// The parent process (`sweep run`) went away.
        case orphaned
        /// `shouldStop` said so.
        case stopped
    }

    private let options: WorkerOptions
    private let context: Context
    private var socket: Socket
    private var data: FashionMNIST?
    private var heartbeat = Duration.milliseconds(1000)
    private var liveness = 3
    private var lastHeard = ContinuousClock.now
    private var lastSent = ContinuousClock.now
    private var nextReconnect = ContinuousClock.now
    private var backoff = Duration.milliseconds(1000)
    private var welcomed = false
    /// The trial being trained: its id, position and configuration, and how many epochs are done.
    private var training: String?
    private var trainingNumber: Int?
    private var trainingConfig: TrainingConfig?
    private var epochsDone = 0
    /// Early termination: stop after this epoch and report the result cut there.
    private var stopAfter: Int?
    private var abandon = false
    /// How to train the current trial (checkpoints, rungs).
    private var work = Message.Work()
    /// The rung the worker waits at, and the checkpoint sent there (sent again after a reconnect).
    private var waitingAt: Int?
    private var rungCheckpoint: [UInt8] = []
    /// A trial waiting for the checkpoint it resumes from, and the pieces so far.
    private var resuming: (id: String, number: Int?, config: TrainingConfig, work: Message.Work, bytes: [UInt8])?
    private var pending: (trial: String, number: Int?, outcome: TrainingResult)?
    private var exit: Exit?
    private var shouldStop: () -> Bool = { false }
    private let log: (String) -> Void

    /// Prepares a worker; nothing is connected until `run`.
    public init(options: WorkerOptions, log: @escaping (String) -> Void = { _ in }) throws(ZMQError) {
        self.options = options
        self.log = log
        context = try Context()
        socket = try Worker.makeSocket(context, options: options)
        if options.parentPID != nil { _ = sweep_set_parent_death_signal(SIGTERM) }
    }

    private static func makeSocket(_ context: Context, options: WorkerOptions) throws(ZMQError) -> Socket {
        let socket = try Socket(context, type: .dealer)
        if let serverKey = options.serverKey {
            let keys: CurveKeys
            if let secret = options.secretKey {
                // Checked when the key file was read; a bad key here is a programming error upstream.
                guard let derived = try? CurveKeys(secretKey: secret) else { throw ZMQError("zmq_curve_public", errno: EINVAL) }
                keys = derived
            } else {
                keys = try CurveKeys.generate()  // anonymous: enough when the coordinator admits any key
            }
            try socket.set(.curveServerKey, Array(serverKey.utf8))
            try socket.set(.curvePublicKey, Array(keys.publicKey.utf8))
            try socket.set(.curveSecretKey, Array(keys.secretKey.utf8))
        }
        try socket.set(.routingID, Array(options.name.utf8))
        try socket.set(.maxMessageSize, Message.maximumSize)
        try socket.connect(options.endpoint)
        return socket
    }

    /// Works until the coordinator says `bye` (or refuses us, or `shouldStop`).
    public func run(shouldStop: @escaping () -> Bool = { false }) throws -> Exit {
        self.shouldStop = shouldStop
        sayHello()
        while exit == nil {
            if shouldStop() { return .stopped }
            try service(waitMilliseconds: 100)
        }
        return exit!
    }

    // MARK: - The socket

    /// Handles whatever has arrived (waiting up to `waitMilliseconds` for the first), beats, and
    /// reconnects when the coordinator has gone quiet.
    private func service(waitMilliseconds: Int, orInputOn descriptors: [Int32] = []) throws {
        if let parent = options.parentPID, getppid() != parent {
            exit = .orphaned
            return
        }
        do {
            if try socket.waitForMessage(orInputOn: descriptors, milliseconds: waitMilliseconds) {
                while exit == nil, let frames = try socket.receive(dontWait: true) {
                    try handle(frames)
                }
            }
        } catch let error as ZMQError where error.isInterrupted {
            return
        }
        let now = ContinuousClock.now
        if now - lastSent >= heartbeat { send(.heartbeat) }
        if now - lastHeard > heartbeat * liveness && now >= nextReconnect {
            try reconnect()
        }
    }

    private func handle(_ frames: [[UInt8]]) throws {
        guard frames.count == 1 else { return }
        let message: Message
        do {
            message = try Message.decode(frames[0])
        } catch {
            log("dropped a frame from the coordinator: \(error)")
            return
        }
        lastHeard = ContinuousClock.now
        switch message {
        case .welcome(let milliseconds, let liveness):
            heartbeat = .milliseconds(max(10, milliseconds))
            self.liveness = max(1, liveness)
            backoff = .milliseconds(1000)
            welcomed = true
            resuming = nil  // its pieces, if any, went to the old connection
            if let pending {
                send(.result(trial: pending.trial, number: pending.number, outcome: pending.outcome))
            } else if let training, let waitingAt {
                // Still at the rung: the new coordinator needs the checkpoint to decide.
                for piece in Message.checkpointMessages(rungCheckpoint, trial: training, epoch: waitingAt) { send(piece) }
            } else if training == nil {
                send(.ready)
            }
        case .trial(let id, let number, let config, let work):
            guard training == nil, pending == nil, resuming == nil else {
                log("ignoring trial \(id): still busy")
                return
            }
            if let job = work.program {
                runProgram(id, number: number, job: job, attempt: work.attempt ?? 1)
                return
            }
            guard let config else { return }  // the decoder lets a trial without either through: never
            if let total = work.resumeBytes, total > 0 {
                resuming = (id, number, config, work, [])
                return
            }
            try train(id, number: number, config, work: work, from: nil)
        case .checkpoint(let chunk):
            try receive(chunk)
        case .checkpointStored(let trial, let epoch):
            log("checkpoint of \(trial) after epoch \(epoch) stored")
        case .proceed(let trial, let epoch):
            if training == trial && waitingAt == epoch { waitingAt = nil }
        case .ack(let trial):
            if pending?.trial == trial {
                pending = nil
                send(.ready)
            }
        case .stop(let trial, let afterEpoch):
            if resuming?.id == trial && afterEpoch == nil {
                resuming = nil
                send(.ready)
            }
            if training == trial {
                if let afterEpoch {
                    stopAfter = afterEpoch  // the trainer's tick ends the run once that many epochs are done
                } else {
                    abandon = true
                }
            }
            // A result already sent and cut by the coordinator itself (afterEpoch), or not wanted (nil).
            if pending?.trial == trial && afterEpoch == nil {
                pending = nil
                send(.ready)
            }
        case .bye:
            if training != nil { abandon = true }
            exit = .finished
        case .error(let reason):
            if training != nil { abandon = true }
            exit = .refused(reason)
        case .heartbeat:
            break
        default:
            log("unexpected \(message) from the coordinator")
        }
    }

    /// A piece of the checkpoint the announced trial resumes from; once whole, training starts (from
    /// scratch, with one line, if the checkpoint is bad).
    private func receive(_ chunk: Message.Chunk) throws {
        guard var pending = resuming, pending.id == chunk.trial, let total = pending.work.resumeBytes,
              chunk.total == total, chunk.offset == pending.bytes.count,
              total <= TrainingCheckpoint.maximumSize(for: pending.config) else {
            if let pending = resuming, pending.id == chunk.trial {
                log("checkpoint for \(chunk.trial) arrived out of order; training it from scratch")
                resuming = nil
                try train(pending.id, number: pending.number, pending.config, work: pending.work, from: nil)
            }
            return
        }
        resuming = nil  // no copy-on-write of the growing buffer
        pending.bytes += chunk.data
        guard pending.bytes.count == total else {
            resuming = pending
            return
        }
        var checkpoint: TrainingCheckpoint?
        do {
            checkpoint = try TrainingCheckpoint(decoding: pending.bytes)
        } catch {
            log("refused the checkpoint of \(pending.id) (\(error)); training it from scratch")
        }
        try train(pending.id, number: pending.number, pending.config, work: pending.work, from: checkpoint)
    }

    private func train(_ id: String, number: Int?, _ config: TrainingConfig, work: Message.Work,
                       from checkpoint: TrainingCheckpoint?) throws {
        if data == nil { data = try FashionMNIST.load(directory: options.dataDirectory) }
        training = id
        trainingNumber = number
        trainingConfig = config
        self.work = work
        stopAfter = nil
        abandon = false
        waitingAt = nil
        defer { training = nil; trainingNumber = nil; trainingConfig = nil; stopAfter = nil; waitingAt = nil; rungCheckpoint = [] }
        var trainer = try Trainer(config: config, data: data!)
        if let checkpoint {
            do {
                trainer = try Trainer(resuming: checkpoint, config: config, data: data!)
                log("training \(id) from its checkpoint after epoch \(trainer.epochs.count)")
            } catch {
                log("refused the checkpoint of \(id) (\(error)); training it from scratch")
            }
        } else {
            log("training \(id)")
        }
        epochsDone = trainer.epochs.count
        let interval = work.checkpointEvery.flatMap { $0 > 0 ? Duration.seconds($0) : nil }
        let rungs = Set(work.pauseAt ?? [])
        let clock = ContinuousClock()
        var lastCheckpoint = clock.now
        var result = trainer.run(
            onEpoch: { metrics in
                self.epochsDone = metrics.epoch
                self.send(.progress(trial: id, metrics: metrics))
                if rungs.contains(metrics.epoch) && metrics.isFinite && self.epochsDone < (self.stopAfter ?? Int.max) {
                    self.waitAtRung(trainer, trial: id)
                    lastCheckpoint = clock.now
                }
            },
            tick: {
                // Keep the connection alive through long epochs; nothing waits here.
                try? self.service(waitMilliseconds: 0)
                if let interval, clock.now - lastCheckpoint >= interval, !self.abandon, self.exit == nil {
                    self.sendCheckpoint(trainer.checkpoint().encoded(), trial: id, epoch: trainer.epochs.count)
                    lastCheckpoint = clock.now
                }
                return !self.abandon && self.exit == nil && self.epochsDone < (self.stopAfter ?? Int.max)
            })
        guard !abandon, exit == nil else {
            log("abandoned \(id)")
            if exit == nil { send(.ready) }
            return
        }
        if let stopAfter, stopAfter < config.epochs, result.epochs.count >= stopAfter {
            result = TrainingResult(config: config, epochs: Array(result.epochs.prefix(stopAfter)), status: .stopped)
            log("stopped \(id) after epoch \(stopAfter)")
        } else if result.status == .completed && work.sendFinal == true {
            sendCheckpoint(trainer.checkpoint().encoded(), trial: id, epoch: trainer.epochs.count)
        }
        pending = (id, number, result)
        send(.result(trial: id, number: number, outcome: result))
    }

    /// Runs a program trial to its end: each metric line goes out as the next epoch's progress (the
    /// unit of early termination, as W&B counts a program's logged rows); a stop after an epoch, the
    /// coordinator's `stop` or `bye`, or Ctrl-C ends the program (SIGTERM, then SIGKILL after the
    /// grace). Its output goes to the coordinator as it comes (`LogStream`), so a killed attempt's log
    /// survives up to its last piece; the result follows the log's last piece, unless the trial was
    /// abandoned.
    private func runProgram(_ id: String, number: Int?, job: ProgramJob, attempt: Int) {
        training = id
        trainingNumber = number
        stopAfter = nil
        abandon = false
        defer { training = nil; trainingNumber = nil; stopAfter = nil }
        let clock = ContinuousClock()
        var stream = LogStream(trial: id, attempt: attempt)
        func finish(_ epochs: [EpochMetrics], _ status: TrainingResult.Status, reason: String?) {
            let result = TrainingResult(config: nil, epochs: epochs, status: status, reason: reason)
            pending = (id, number, result)
            send(.result(trial: id, number: number, outcome: result))
        }
        let run: ProgramRun
        do {
            let launch = try ProgramLaunch(job: job, trial: id, attempt: attempt, workdir: options.workdir,
                                           trialRoot: options.trialRoot, inherited: options.environment(ProcessInfo.processInfo.environment))
            run = try ProgramRun(executable: launch.executable, argv: launch.argv, environment: launch.environment,
                                 directory: launch.directory,
                                 limits: .init(metric: job.metric, maxSeconds: job.maxSeconds, stopGraceSeconds: job.stopGrace),
                                 now: clock.now)
        } catch {
            log("cannot start \(id): \(error)")
            var text = TrialLog()
            text.append(Array("cannot start: \(error)\n".utf8))
            stream.finish(text, end: "could not start").forEach(send)
            finish([], .failed, reason: "cannot start: \(error)")
            return
        }
        log("running \(id) (attempt \(attempt))")
        var epochs: [EpochMetrics] = []
        var lastLine = clock.now
        while run.outcome == nil {
            if abandon || exit != nil || shouldStop() || epochs.count >= (stopAfter ?? Int.max) { run.stop(now: clock.now) }
            // Output, a message, or the next deadline (timeout, grace), whichever comes first.
            let descriptors = run.descriptors
            do {
                try service(waitMilliseconds: descriptors.isEmpty ? 1 : 50, orInputOn: descriptors)
            } catch {
                log("the socket failed while \(id) ran: \(error)")
            }
            for line in run.service(now: clock.now) {
                let now = clock.now
                let values = line.values.map { (name: $0.name, value: $0.value) }
                let metrics = EpochMetrics(epoch: epochs.count + 1, seconds: line.value("seconds") ?? (now - lastLine).inSeconds,
                                           named: values)
                lastLine = now
                epochs.append(metrics)
                send(.progress(trial: id, metrics: metrics))
            }
            stream.pieces(of: run.log, now: clock.now).forEach(send)
        }
        let outcome = run.outcome!
        let ending = run.endDescription
        guard !abandon, exit == nil, !shouldStop() else {
            log("abandoned \(id)")
            stream.finish(run.log, end: "abandoned: " + ending).forEach(send)
            if exit == nil && !shouldStop() { send(.ready) }
            return
        }
        stream.finish(run.log, end: ending).forEach(send)
        let note = run.leftoverNote
        switch outcome {
        case .completed:
            finish(epochs, .completed, reason: note)
        case .diverged:
            log("\(id) diverged: \(job.metric) is not finite at epoch \(epochs.count)")
            finish(epochs, .diverged, reason: note)
        case .stopped:
            let cut = stopAfter ?? epochs.count
            log("stopped \(id) after epoch \(cut)")
            finish(Array(epochs.prefix(cut)), .stopped, reason: note)
        case .failed(let reason):
            log("\(id) failed: \(reason)")
            finish(epochs, .failed, reason: [reason, note].compactMap { $0 }.joined(separator: "; "))
        }
    }

    /// At a rung: send the checkpoint and wait (answering the coordinator) until told to go on,
    /// stop there, or abandon the trial (it pauses).
    private func waitAtRung(_ trainer: Trainer, trial: String) {
        rungCheckpoint = trainer.checkpoint().encoded()
        waitingAt = epochsDone
        sendCheckpoint(rungCheckpoint, trial: trial, epoch: epochsDone)
        while waitingAt != nil && !abandon && exit == nil && epochsDone < (stopAfter ?? Int.max) {
            if let parent = options.parentPID, getppid() != parent { exit = .orphaned }
            try? service(waitMilliseconds: 100)
        }
        waitingAt = nil
        rungCheckpoint = []
    }

    private func sendCheckpoint(_ bytes: [UInt8], trial: String, epoch: Int) {
        for piece in Message.checkpointMessages(bytes, trial: trial, epoch: epoch) { send(piece) }
    }

    private func sayHello() {
        welcomed = false
        send(.hello(.init(worker: options.name, host: options.host, pid: getpid(), running: training,
                          number: trainingNumber, config: trainingConfig)))
        lastHeard = ContinuousClock.now
    }

    /// A fresh socket and a new hello, backing off exponentially (capped) while nobody answers.
    private func reconnect() throws {
        log("coordinator silent for \(heartbeat * liveness); reconnecting")
        socket = try Worker.makeSocket(context, options: options)
        nextReconnect = ContinuousClock.now + backoff
        backoff = min(backoff * 2, .milliseconds(options.maxBackoffMilliseconds))
        sayHello()
    }

    private func send(_ message: Message) {
        lastSent = ContinuousClock.now
        _ = try? socket.send([message.encoded()], dontWait: true)
    }
}

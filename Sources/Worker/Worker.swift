import CProcess
import Foundation
import Logging
import Messaging
import Programs
import Training
import SweepCore
import Wire

/// Connects to a coordinator, trains the trials it hands out, and reports every epoch and result.
///
/// The shell around a `WorkerSession`, which makes every decision of the protocol: this class owns
/// the socket, the data, the clock and the running `Trainer` or `ProgramRun`, moves frames in and
/// out of the session and carries out its effects. Single-threaded: while a trial runs, the
/// trainer's tick (or the loop that waits on a program's pipes and the socket together) moves the
/// frames that arrived and the time into the session, so no second thread ever touches the socket.
///
/// A program trial (`work.program`) runs the program as a child in its own process group under a
/// small supervisor: its metric lines go out as progress, a stop sends SIGTERM and, after the grace,
/// SIGKILL, and if this worker dies the supervisor kills the group. Its log goes to the coordinator
/// before its result.
public final class Worker {
    /// How a worker's run ended.
    public typealias Exit = WorkerSession.Exit

    private let options: WorkerOptions
    private let context: Context
    private var socket: Socket
    private var data: FashionMNIST?
    private var session: WorkerSession
    /// A trial the session asked for, started once the frames at hand are through.
    private var start: WorkerSession.Effect?
    /// The trainer running now (for the checkpoints the session asks of it).
    private var trainer: Trainer?
    /// The program running now (for `halt`).
    private var program: ProgramRun?
    /// The session said `halt`: the trainer's next tick ends its run.
    private var halted = false
    /// The session said `exit`.
    private var exit: Exit?
    /// The socket's queue is full (the coordinator takes nothing): said once, not per message.
    private var dropping = false
    /// The last failure said during a trial, so one that repeats every tick is said once.
    private var lastFailure: String?
    private var shouldStop: () -> Bool = { false }
    /// Where the worker says what it does (swift-log; `sweep worker` prints it on stderr, `--quiet`
    /// keeps errors only): its progress at `info`, what went wrong at `warning` or `error`.
    private let logger: Logger

    /// Prepares a worker; nothing is connected until `run`.
    public init(options: WorkerOptions, logger: Logger = Logger(label: "sweep.worker")) throws(ZMQError) {
        self.options = options
        self.logger = logger
        context = try Context()
        socket = try Worker.makeSocket(context, options: options)
        session = WorkerSession(worker: options.name, host: options.host, pid: getpid(),
                                maxBackoff: .milliseconds(options.maxBackoffMilliseconds), now: .now)
        if options.parentPID != nil { _ = sweep_set_parent_death_signal(SIGTERM) }
    }

    private static func makeSocket(_ context: Context, options: WorkerOptions) throws(ZMQError) -> Socket {
        let socket = try Socket(context, type: .dealer)
        if let serverKey = options.serverKey {
            let keys: CurveKeys
            if let secret = options.secretKey {
                do {
                    keys = try CurveKeys(secretKey: secret)
                } catch {
                    // Checked when the key file was read; a bad key here is a programming error upstream.
                    throw ZMQError("zmq_curve_public", errno: EINVAL)
                }
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
    ///
    /// Throws when the data cannot be read, a trial's configuration is invalid, or the socket fails
    /// while no trial runs (during a trial such a failure is logged and the next tick tries again).
    public func run(shouldStop: @escaping () -> Bool = { false }) throws -> Exit {
        self.shouldStop = shouldStop
        try perform(session.connect(now: .now))
        while exit == nil {
            if let start {
                self.start = nil
                try begin(start)
            } else {
                try pump(waitMilliseconds: 100)
            }
        }
        return exit!
    }

    // MARK: - Frames and effects

    /// Tells the session what happened outside (the parent's end, a stop asked), then takes what has
    /// arrived (waiting up to `waitMilliseconds` for the first, or for input on `descriptors`), and
    /// the time.
    private func pump(waitMilliseconds: Int, orInputOn descriptors: [Int32] = []) throws {
        if let parent = options.parentPID, getppid() != parent { try feed(.orphaned) }
        if shouldStop() { try feed(.interrupted) }
        guard exit == nil else { return }
        do {
            if try socket.waitForMessage(orInputOn: descriptors, milliseconds: waitMilliseconds) {
                // Frames after a trial wait for the trial's own loop; after the exit, for nobody.
                while session.exit == nil, start == nil, let frames = try socket.receive(dontWait: true) {
                    try receive(frames)
                }
            }
        } catch let error as ZMQError where error.isInterrupted {
            return  // a signal: the caller looks at `shouldStop` and comes back
        }
        try feed(.tick)
    }

    /// `pump` where no error may escape (the trainer's tick, a rung, a program's loop): said, and the
    /// next call tries again.
    private func pumpLogging(waitMilliseconds: Int, orInputOn descriptors: [Int32] = [], during trial: String) {
        do {
            try pump(waitMilliseconds: waitMilliseconds, orInputOn: descriptors)
            lastFailure = nil
        } catch {
            logFailure("the socket failed while \(trial) ran: \(error)")
        }
    }

    /// Says a failure met during a trial, once while it repeats tick after tick.
    private func logFailure(_ line: String) {
        guard line != lastFailure else { return }
        lastFailure = line
        logger.warning("\(line)")
    }

    /// What the session says it does: progress, for people following the worker.
    private func log(_ line: String) { logger.info("\(line)") }

    private func receive(_ frames: [[UInt8]]) throws {
        guard frames.count == 1 else {
            logger.warning("dropped a message of \(frames.count) frames from the coordinator")
            return
        }
        let message: Message
        do {
            message = try Message.decode(frames[0])
        } catch {
            logger.warning("dropped a frame from the coordinator: \(error)")
            return
        }
        try feed(.received(message))
    }

    private func feed(_ input: WorkerSession.Input) throws {
        try perform(session.handle(input, now: .now))
    }

    /// Carries out the session's effects in order. Throws only when a fresh socket cannot be made.
    private func perform(_ effects: [WorkerSession.Effect]) throws {
        for effect in effects {
            switch effect {
            case .send(let message):
                send(message)
            case .log(let line):
                log(line)
            case .reconnect:
                socket = try Worker.makeSocket(context, options: options)
                dropping = false
            case .train, .runProgram:
                start = effect
            case .takeCheckpoint:
                guard let trainer else {
                    logger.warning("the session asked for a checkpoint with no trainer running")
                    continue
                }
                try feed(.checkpointTaken(trainer.checkpoint().encoded()))
            case .halt:
                halted = true
                program?.stop(now: .now)
            case .exit(let reason):
                exit = reason
            }
        }
    }

    private func send(_ message: Message) {
        do {
            if try socket.send([message.encoded()], dontWait: true) {
                dropping = false
            } else if !dropping {
                // The session sends again what matters (results, a rung's checkpoint) after the next welcome.
                logger.warning("the socket's queue is full; messages are dropped until the coordinator takes them")
                dropping = true
            }
        } catch {
            logger.warning("could not send a message to the coordinator: \(error)")
        }
    }

    // MARK: - Running a trial

    private func begin(_ start: WorkerSession.Effect) throws {
        switch start {
        case .train(let trial, let config, let checkpoint):
            try train(trial, config: config, resumeFrom: checkpoint)
        case .runProgram(let trial, let job, let attempt):
            try runProgram(trial, job: job, attempt: attempt)
        default:
            logger.error("cannot start \(start)")
        }
    }

    /// Trains `config` (from `checkpoint` if it is good) while the trainer's tick moves frames; at a
    /// rung, moves frames until the session lets it go on.
    private func train(_ trial: String, config: TrainingConfig, resumeFrom checkpoint: [UInt8]?) throws {
        if data == nil { data = try FashionMNIST.load(directory: options.dataDirectory) }
        var trainer = try Trainer(config: config, data: data!)
        var resumption = WorkerSession.Resumption.fresh
        if let checkpoint {
            do {
                trainer = try Trainer(resuming: TrainingCheckpoint(decoding: checkpoint), config: config, data: data!)
                resumption = .resumed
            } catch {
                resumption = .refused("\(error)")
            }
        }
        self.trainer = trainer
        halted = false
        defer { self.trainer = nil }
        try feed(.trainingStarted(epochsDone: trainer.epochs.count, resumption: resumption))
        let result = trainer.run(
            onEpoch: { metrics in
                self.feedLogging(.epochFinished(metrics), during: trial)
                while self.session.isWaitingAtRung {
                    self.pumpLogging(waitMilliseconds: 100, during: trial)
                }
            },
            tick: {
                // Keep the connection alive through long epochs; nothing waits here.
                self.pumpLogging(waitMilliseconds: 0, during: trial)
                return !self.halted
            })
        try feed(.trainingEnded(result))
    }

    private func feedLogging(_ input: WorkerSession.Input, during trial: String) {
        do {
            try feed(input)
        } catch {
            logFailure("the socket failed while \(trial) ran: \(error)")
        }
    }

    /// Runs a program trial to its end, waiting on its pipes and the socket together: its metric
    /// lines, output and end go to the session (which sends progress, log pieces and the result);
    /// a `halt` stops it (SIGTERM, then SIGKILL after the grace).
    private func runProgram(_ trial: String, job: ProgramJob, attempt: Int) throws {
        let run: ProgramRun
        do {
            let launch = try ProgramLaunch(job: job, trial: trial, attempt: attempt, workdir: options.workdir,
                                           trialRoot: options.trialRoot, inherited: options.environment(ProcessInfo.processInfo.environment))
            run = try ProgramRun(executable: launch.executable, argv: launch.argv, environment: launch.environment,
                                 directory: launch.directory,
                                 limits: .init(metric: job.metric, maxSeconds: job.maxSeconds, stopGraceSeconds: job.stopGrace),
                                 now: .now)
        } catch {
            return try feed(.programCouldNotStart("\(error)"))
        }
        program = run
        halted = false
        defer { program = nil }
        try feed(.programStarted)
        while run.outcome == nil {
            // Output, a message, or the next deadline (timeout, grace), whichever comes first.
            let descriptors = run.descriptors
            pumpLogging(waitMilliseconds: descriptors.isEmpty ? 1 : 50, orInputOn: descriptors, during: trial)
            for line in run.service(now: .now) { feedLogging(.metricLine(line), during: trial) }
            feedLogging(.logOutput(run.log), during: trial)
        }
        try feed(.programEnded(run.outcome!, log: run.log, ending: run.endDescription, leftoverNote: run.leftoverNote))
    }
}

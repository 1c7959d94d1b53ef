import CSupport
import Foundation
import Messaging
import Training

/// Connects to a coordinator, trains the trials it hands out, and reports every epoch and result.
///
/// Single-threaded: while training, the trainer's tick services the socket (heartbeats, `stop`,
/// `bye`), so no second thread ever touches the socket. A result is re-sent after every reconnect
/// until the coordinator acknowledges it.
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
    private var pending: (trial: String, number: Int?, outcome: TrainingResult)?
    private var exit: Exit?
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
    private func service(waitMilliseconds: Int) throws {
        if let parent = options.parentPID, getppid() != parent {
            exit = .orphaned
            return
        }
        do {
            if try socket.waitForMessage(milliseconds: waitMilliseconds) {
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
            if let pending {
                send(.result(trial: pending.trial, number: pending.number, outcome: pending.outcome))
            } else if training == nil {
                send(.ready)
            }
        case .trial(let id, let number, let config):
            guard training == nil, pending == nil else {
                log("ignoring trial \(id): still busy")
                return
            }
            try train(id, number: number, config)
        case .ack(let trial):
            if pending?.trial == trial {
                pending = nil
                send(.ready)
            }
        case .stop(let trial, let afterEpoch):
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

    private func train(_ id: String, number: Int?, _ config: TrainingConfig) throws {
        if data == nil { data = try FashionMNIST.load(directory: options.dataDirectory) }
        training = id
        trainingNumber = number
        trainingConfig = config
        epochsDone = 0
        stopAfter = nil
        abandon = false
        defer { training = nil; trainingNumber = nil; trainingConfig = nil; stopAfter = nil }
        log("training \(id)")
        let trainer = try Trainer(config: config, data: data!)
        var result = trainer.run(
            onEpoch: { metrics in
                self.epochsDone = metrics.epoch
                self.send(.progress(trial: id, metrics: metrics))
            },
            tick: {
                // Keep the connection alive through long epochs; nothing waits here.
                try? self.service(waitMilliseconds: 0)
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
        }
        pending = (id, number, result)
        send(.result(trial: id, number: number, outcome: result))
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

import Foundation
import Programs
import Training
import Worker
import SweepCore
import Wire

/// A scripted shell around a `WorkerSession`: virtual time, every effect recorded, and the checkpoints
/// the session asks for answered at once with `checkpoint` (as the real shell answers from its
/// trainer). Nothing here blocks or reads a clock after `init`.
struct SessionDriver {
    typealias Effect = WorkerSession.Effect

    var session: WorkerSession
    /// The virtual time (the origin is read once; the session only sees what the driver passes).
    private(set) var now: ContinuousClock.Instant
    let start: ContinuousClock.Instant
    /// Every effect so far, in order (the answers to `takeCheckpoint` included).
    private(set) var effects: [Effect] = []
    /// What `takeCheckpoint` returns.
    var checkpoint: [UInt8] = Array(repeating: 7, count: 100)

    static let config: TrainingConfig = {
        var config = TrainingConfig()
        config.epochs = 5
        return config
    }()

    init(maxBackoff: Duration = .seconds(30)) {
        start = ContinuousClock.now
        now = start
        session = WorkerSession(worker: "w1", host: "h", pid: 42, maxBackoff: maxBackoff, now: now)
        record(session.connect(now: now))
    }

    /// Feeds `input` at the current time; returns its effects (with those of a checkpoint taken).
    @discardableResult
    mutating func feed(_ input: WorkerSession.Input) -> [Effect] {
        let before = effects.count
        record(session.handle(input, now: now))
        return Array(effects[before...])
    }

    /// Feeds a message from the coordinator.
    @discardableResult
    mutating func receive(_ message: Message) -> [Effect] { feed(.received(message)) }

    /// Moves the time on by `duration` in `step`s, feeding `tick` after each; returns the effects.
    @discardableResult
    mutating func run(for duration: Duration, step: Duration = .milliseconds(100)) -> [Effect] {
        let before = effects.count
        let end = now + duration
        while now < end {
            now = min(now + step, end)
            record(session.handle(.tick, now: now))
        }
        return Array(effects[before...])
    }

    /// Moves the time on without a tick (as when the shell is busy between two inputs).
    mutating func advance(_ duration: Duration) { now += duration }

    /// Seconds since the driver's origin.
    var elapsed: Duration { now - start }

    private mutating func record(_ new: [Effect]) {
        for effect in new {
            effects.append(effect)
            if effect == .takeCheckpoint { record(session.handle(.checkpointTaken(checkpoint), now: now)) }
        }
    }

    // MARK: - Scripts

    /// Welcomed with `heartbeat` and `liveness`; returns the effects.
    @discardableResult
    mutating func welcome(heartbeatMilliseconds: Int = 1000, liveness: Int = 3) -> [Effect] {
        receive(.welcome(heartbeatMilliseconds: heartbeatMilliseconds, liveness: liveness))
    }

    /// Assigned `trial` of the built-in trainer, started by the "shell" (from scratch).
    @discardableResult
    mutating func assignTraining(_ trial: String = "t1", number: Int? = 3, work: Message.Work = .init(),
                                 config: TrainingConfig = SessionDriver.config) -> [Effect] {
        var out = receive(.trial(id: trial, number: number, config: config, work: work))
        if out.contains(where: { if case .train = $0 { return true } else { return false } }) {
            out += feed(.trainingStarted(epochsDone: 0, resumption: .fresh))
        }
        return out
    }

    /// The trainer finished `epoch` (loss `loss`).
    @discardableResult
    mutating func epoch(_ epoch: Int, loss: Double = 0.5) -> [Effect] {
        feed(.epochFinished(SessionDriver.metrics(epoch, loss: loss)))
    }

    static func metrics(_ epoch: Int, loss: Double = 0.5) -> EpochMetrics {
        EpochMetrics(epoch: epoch, trainLoss: loss, testLoss: loss, testAccuracy: 0.8, seconds: 1)
    }

    static func result(epochs: Int, status: TrainingResult.Status = .completed, config: TrainingConfig = SessionDriver.config) -> TrainingResult {
        TrainingResult(config: config, epochs: (1...max(1, epochs)).prefix(epochs).map { metrics($0) }, status: status)
    }

    static let job = ProgramJob(sweep: "s", program: "train.py", directory: "/tmp", command: ["${program}"],
                                arguments: [], metric: "loss", maxSeconds: nil, stopGrace: 5)
}

extension Array where Element == WorkerSession.Effect {
    /// The messages sent, in order.
    var sent: [Message] {
        compactMap { if case .send(let message) = $0 { return message } else { return nil } }
    }

    /// The log lines, in order.
    var logs: [String] {
        compactMap { if case .log(let line) = $0 { return line } else { return nil } }
    }

    /// The results sent.
    var results: [(trial: String, number: Int?, outcome: TrainingResult)] {
        sent.compactMap { if case .result(let trial, let number, let outcome) = $0 { return (trial, number, outcome) } else { return nil } }
    }

    /// The checkpoint pieces sent.
    var pieces: [Message.Chunk] {
        sent.compactMap { if case .checkpoint(let chunk) = $0 { return chunk } else { return nil } }
    }

    /// The log pieces sent.
    var logPieces: [Message.LogPiece] {
        sent.compactMap { if case .log(let piece) = $0 { return piece } else { return nil } }
    }

    /// The hellos sent.
    var hellos: [Message.Hello] {
        sent.compactMap { if case .hello(let hello) = $0 { return hello } else { return nil } }
    }

    /// How many of the effects are `effect`.
    func count(_ effect: WorkerSession.Effect) -> Int { filter { $0 == effect }.count }
}

import Foundation
import Training
import SweepCore

/// One message of the coordinator–worker protocol: a JSON object in one frame, with `"v"` and `"type"`.
public enum Message: Equatable, Sendable {
    // Worker → coordinator.
    /// First words of a (re)connecting worker; `running` names a trial it is still training.
    case hello(Hello)
    /// The worker can take a trial.
    case ready
    /// An epoch of `trial` finished.
    case progress(trial: String, metrics: EpochMetrics)
    /// `trial` (position `number` of the sweep) finished; the worker re-sends this until it is acknowledged.
    case result(trial: String, number: Int?, outcome: TrainingResult)
    /// Still alive.
    case heartbeat
    /// A piece of a checkpoint of `trial`: worker → coordinator (to keep), coordinator → worker (to
    /// resume from, after a `trial` with `work.resumeBytes`). Pieces go in order; see `Chunk`.
    case checkpoint(Chunk)
    /// A piece of a program trial's output (stdout and stderr) as the program writes it, streamed
    /// while it runs, so a killed attempt's log survives up to its last piece; kept in
    /// `logs/<trial>.log` beside the results. See `LogPiece`.
    case log(LogPiece)

    // Coordinator → worker.
    /// The coordinator accepted `hello`; beat every `heartbeatMilliseconds`, dead after `liveness` missed.
    case welcome(heartbeatMilliseconds: Int, liveness: Int)
    /// Train `config` (or run `work.program`) and report as `trial`, position `number` of the sweep,
    /// as `work` says.
    case trial(id: String, number: Int?, config: TrainingConfig?, work: Work = Work())
    /// The checkpoint of `trial` after `epoch` epochs is on disk.
    case checkpointStored(trial: String, epoch: Int)
    /// Go on past rung `epoch` (the worker waits there after sending its checkpoint).
    case proceed(trial: String, epoch: Int)
    /// The result of `trial` is on disk; forget it.
    case ack(trial: String)
    /// Abandon `trial` (it was recorded or reassigned), or, with `afterEpoch`, stop it after that epoch
    /// and report the result cut there (early termination).
    case stop(trial: String, afterEpoch: Int?)
    /// The sweep is over: exit.
    case bye
    /// The coordinator refused this peer; the reason says why.
    case error(reason: String)

    // Anyone → coordinator, and the answer (`sweep status`).
    /// How is the sweep going?
    case status
    /// The answer to `status`.
    case statusReport(CoordinatorStatus)

    /// What a worker says about itself.
    public struct Hello: Codable, Equatable, Sendable {
        /// A name unique among workers, e.g. "host:pid".
        public var worker: String
        /// The machine's host name.
        public var host: String
        /// The worker's process id.
        public var pid: Int32
        /// The trial the worker is still training after a reconnect, if any.
        public var running: String?
        /// That trial's position and configuration: a restarted coordinator, which holds no list of
        /// trials, checks the claim against its sweep with them.
        public var number: Int?
        public var config: TrainingConfig?

        /// Creates a hello.
        public init(worker: String, host: String, pid: Int32, running: String? = nil, number: Int? = nil,
                    config: TrainingConfig? = nil) {
            self.worker = worker
            self.host = host
            self.pid = pid
            self.running = running
            self.number = number
            self.config = config
        }
    }

    /// How to train a trial, beyond its configuration. Every field is optional: absent, the worker
    /// trains from scratch to the end, sending no checkpoint.
    public struct Work: Codable, Equatable, Sendable {
        /// Seconds of training between checkpoints sent (nil or 0: none but those below).
        public var checkpointEvery: Double?
        /// Rungs (epochs): after each, send a checkpoint and wait for `proceed` or `stop`.
        public var pauseAt: [Int]?
        /// Send a checkpoint of the final weights before the result (to keep the model).
        public var sendFinal: Bool?
        /// A checkpoint of this many bytes follows in `checkpoint` messages: resume from it.
        public var resumeBytes: Int?
        /// A program trial: the program to run instead of the built-in trainer.
        public var program: ProgramJob?
        /// Which attempt this is (1 for the first), for a program's `SWEEP_ATTEMPT`.
        public var attempt: Int?

        enum CodingKeys: String, CodingKey {
            case checkpointEvery = "checkpoint_every", pauseAt = "pause_at", sendFinal = "send_final"
            case resumeBytes = "resume_bytes", program, attempt
        }

        /// Creates instructions.
        public init(checkpointEvery: Double? = nil, pauseAt: [Int]? = nil, sendFinal: Bool? = nil, resumeBytes: Int? = nil,
                    program: ProgramJob? = nil, attempt: Int? = nil) {
            self.checkpointEvery = checkpointEvery
            self.pauseAt = pauseAt
            self.sendFinal = sendFinal
            self.resumeBytes = resumeBytes
            self.program = program
            self.attempt = attempt
        }
    }

    /// One piece of a checkpoint: bytes `offset..<offset + data.count` of `total`, for `trial` after
    /// `epoch` epochs. A checkpoint of a large model (10 MB for 1024-512) is many pieces, each well
    /// inside the frame limit; receivers keep one assembly per peer and drop it at the first piece out
    /// of order, so garbage costs at most one checkpoint's memory.
    public struct Chunk: Codable, Equatable, Sendable {
        public var trial: String
        public var epoch: Int
        public var offset: Int
        public var total: Int
        /// Base64 in JSON.
        public var data: Data

        /// Creates a piece.
        public init(trial: String, epoch: Int, offset: Int, total: Int, data: Data) {
            self.trial = trial
            self.epoch = epoch
            self.offset = offset
            self.total = total
            self.data = data
        }
    }

    /// A piece of a program trial's output: bytes `offset..<offset + data.count` of attempt `attempt`'s
    /// stdout and stderr as they arrived (offsets count every byte the program wrote, so a receiver
    /// sees what is missing). The attempt's last piece carries `end`: how the program ended.
    public struct LogPiece: Codable, Equatable, Sendable {
        public var trial: String
        public var attempt: Int
        public var offset: Int
        /// Base64 in JSON.
        public var data: Data
        /// On the attempt's last piece: how it ended ("exit 0", "killed by signal 9", "stopped").
        public var end: String?

        /// Creates a piece.
        public init(trial: String, attempt: Int, offset: Int, data: Data, end: String? = nil) {
            self.trial = trial
            self.attempt = attempt
            self.offset = offset
            self.data = data
            self.end = end
        }

        /// The longest `end` a receiver takes.
        public static let maximumEndLength = 1000
    }

    /// The largest piece of a checkpoint in one message: base64 makes it 683 KiB, inside `maximumSize`.
    public static let chunkSize = 512 * 1024

    /// `bytes` as `checkpoint` messages of at most `chunkSize` bytes each.
    public static func checkpointMessages(_ bytes: [UInt8], trial: String, epoch: Int) -> [Message] {
        stride(from: 0, to: max(bytes.count, 1), by: chunkSize).map { offset in
            .checkpoint(Chunk(trial: trial, epoch: epoch, offset: offset, total: bytes.count,
                              data: Data(bytes[offset..<min(offset + chunkSize, bytes.count)])))
        }
    }

    /// The protocol version this build speaks.
    public static let protocolVersion = 1
    /// The largest frame either side accepts (the coordinator's socket enforces it too).
    public static let maximumSize = 1 << 20

    /// The wire form: every field optional, so one decoder serves every type.
    private struct Envelope: Codable {
        var v: Int?
        var type: String?
        var hello: Hello?
        var trial: String?
        var metrics: EpochMetrics?
        var outcome: TrainingResult?
        var config: TrainingConfig?
        var heartbeatMs: Int?
        var liveness: Int?
        var reason: String?
        var report: CoordinatorStatus?
        var number: Int?
        var afterEpoch: Int?
        var work: Work?
        var chunk: Chunk?
        var epoch: Int?
        var piece: LogPiece?

        enum CodingKeys: String, CodingKey {
            case v, type, hello, trial, metrics, outcome, config, heartbeatMs = "heartbeat_ms", liveness, reason, report
            case number, afterEpoch = "after_epoch", work, chunk, epoch, piece
        }
    }

    private static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// The JSON bytes of this message.
    public func encoded() -> [UInt8] {
        var envelope = Envelope(v: Message.protocolVersion)
        switch self {
        case .hello(let hello): envelope.type = "hello"; envelope.hello = hello
        case .ready: envelope.type = "ready"
        case .progress(let trial, let metrics): envelope.type = "progress"; envelope.trial = trial; envelope.metrics = metrics
        case .result(let trial, let number, let outcome):
            envelope.type = "result"; envelope.trial = trial; envelope.number = number; envelope.outcome = outcome
        case .heartbeat: envelope.type = "heartbeat"
        case .welcome(let interval, let liveness):
            envelope.type = "welcome"; envelope.heartbeatMs = interval; envelope.liveness = liveness
        case .trial(let id, let number, let config, let work):
            envelope.type = "trial"; envelope.trial = id; envelope.number = number; envelope.config = config
            envelope.work = work == Work() ? nil : work
        case .checkpoint(let chunk): envelope.type = "checkpoint"; envelope.chunk = chunk
        case .log(let piece): envelope.type = "log"; envelope.piece = piece
        case .checkpointStored(let trial, let epoch): envelope.type = "checkpoint_stored"; envelope.trial = trial; envelope.epoch = epoch
        case .proceed(let trial, let epoch): envelope.type = "proceed"; envelope.trial = trial; envelope.epoch = epoch
        case .ack(let trial): envelope.type = "ack"; envelope.trial = trial
        case .stop(let trial, let afterEpoch): envelope.type = "stop"; envelope.trial = trial; envelope.afterEpoch = afterEpoch
        case .bye: envelope.type = "bye"
        case .error(let reason): envelope.type = "error"; envelope.reason = reason
        case .status: envelope.type = "status"
        case .statusReport(let report): envelope.type = "status_report"; envelope.report = report
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same message is the same bytes
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Message.nonFinite.positiveInfinity, negativeInfinity: Message.nonFinite.negativeInfinity,
            nan: Message.nonFinite.nan)
        // Encoding plain values cannot fail: every float is representable with the strategy above.
        return Array(try! encoder.encode(envelope))
    }

    /// Parses a frame; throws for anything that is not a well-formed message of this version.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Message {
        guard bytes.count <= maximumSize else { throw .oversized(bytes: bytes.count) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        let envelope: Envelope
        do {
            envelope = try decoder.decode(Envelope.self, from: Data(bytes))
        } catch {
            throw .malformed(Message.describe(error))
        }
        guard let version = envelope.v else { throw .malformed("no \"v\" field") }
        guard version == protocolVersion else { throw .unsupportedVersion(version) }
        guard let type = envelope.type else { throw .malformed("no \"type\" field") }
        func need<T>(_ value: T?, _ field: String) throws(WireError) -> T {
            guard let value else { throw .malformed("\(type) without \"\(field)\"") }
            return value
        }
        switch type {
        case "hello": return .hello(try need(envelope.hello, "hello"))
        case "ready": return .ready
        case "progress": return .progress(trial: try need(envelope.trial, "trial"), metrics: try need(envelope.metrics, "metrics"))
        case "result":
            return .result(trial: try need(envelope.trial, "trial"), number: envelope.number,
                           outcome: try need(envelope.outcome, "outcome"))
        case "heartbeat": return .heartbeat
        case "welcome":
            return .welcome(heartbeatMilliseconds: try need(envelope.heartbeatMs, "heartbeat_ms"),
                            liveness: try need(envelope.liveness, "liveness"))
        case "trial":
            let work = envelope.work ?? Work()
            guard envelope.config != nil || work.program != nil else { throw .malformed("trial without \"config\" or a program") }
            return .trial(id: try need(envelope.trial, "trial"), number: envelope.number, config: envelope.config, work: work)
        case "checkpoint":
            let chunk = try need(envelope.chunk, "chunk")
            guard chunk.offset >= 0, chunk.total >= 0, chunk.epoch >= 0, chunk.data.count <= chunkSize,
                  chunk.offset + chunk.data.count <= chunk.total else {
                throw .malformed("\(type) piece \(chunk.offset)+\(chunk.data.count) of \(chunk.total) bytes")
            }
            return .checkpoint(chunk)
        case "log":
            let piece = try need(envelope.piece, "piece")
            guard piece.offset >= 0, piece.attempt >= 1, piece.data.count <= chunkSize, piece.offset <= Int.max - piece.data.count,
                  (piece.end?.utf8.count ?? 0) <= LogPiece.maximumEndLength else {
                throw .malformed("log piece \(piece.offset)+\(piece.data.count) of attempt \(piece.attempt)")
            }
            return .log(piece)
        case "checkpoint_stored":
            return .checkpointStored(trial: try need(envelope.trial, "trial"), epoch: try need(envelope.epoch, "epoch"))
        case "proceed": return .proceed(trial: try need(envelope.trial, "trial"), epoch: try need(envelope.epoch, "epoch"))
        case "ack": return .ack(trial: try need(envelope.trial, "trial"))
        case "stop": return .stop(trial: try need(envelope.trial, "trial"), afterEpoch: envelope.afterEpoch)
        case "bye": return .bye
        case "error": return .error(reason: try need(envelope.reason, "reason"))
        case "status": return .status
        case "status_report": return .statusReport(try need(envelope.report, "report"))
        default: throw .unknownType(type)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(([key] + []).map(\.stringValue).joined()) in \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }
}

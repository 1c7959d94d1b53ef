import Foundation
import Testing
import Training
import SweepCore
import Wire

/// The wire codec: every message survives a round trip; bad bytes get a named error.
@Suite("Wire messages")
struct MessageTests {
    static var config: TrainingConfig {
        var config = TrainingConfig()
        config.learningRate = 0.1
        config.hidden = [1024, 512]
        config.augment = .rotateFlipVFlip
        config.trainLimit = 512
        return config
    }

    static let metrics = EpochMetrics(epoch: 3, trainLoss: 0.1 + 0.2, testLoss: .nan, testAccuracy: 0.5, seconds: 1e-3)

    static let messages: [Message] = [
        .hello(.init(worker: "a:1", host: "a", pid: 1)),
        .hello(.init(worker: "b:2", host: "b", pid: 2, running: "0123456789abcdef")),
        .hello(.init(worker: "c:3", host: "c", pid: 3, running: "0123456789abcdef", number: 7, config: config)),
        .ready, .heartbeat, .bye,
        .progress(trial: "t1", metrics: metrics),
        .result(trial: "t1", number: nil, outcome: TrainingResult(config: config, epochs: [metrics], status: .diverged)),
        .result(trial: "t1", number: 12, outcome: TrainingResult(config: config, epochs: [metrics], status: .stopped)),
        .welcome(heartbeatMilliseconds: 1000, liveness: 3),
        .trial(id: "t2", number: 4, config: config),
        .trial(id: "t2", number: 4, config: config,
               work: .init(checkpointEvery: 60, pauseAt: [1, 3, 9], sendFinal: true, resumeBytes: 123_456)),
        .checkpoint(.init(trial: "t6", epoch: 3, offset: 0, total: 5, data: Data([0, 1, 2, 255, 254]))),
        .checkpointStored(trial: "t6", epoch: 3), .proceed(trial: "t6", epoch: 3),
        .ack(trial: "t3"), .stop(trial: "t4", afterEpoch: nil), .stop(trial: "t5", afterEpoch: 3),
        .error(reason: "protocol version 2 is not supported"),
        // A program trial: its work names the program, its values and its attempt; its result has no config.
        .trial(id: "p1", number: 2, config: nil,
               work: .init(program: ProgramJob(sweep: "s", folder: "f1", program: "train.py", directory: "/d",
                                               command: ["${interpreter}", "${program}", "${args}"],
                                               arguments: [.init("lr", .real(0.1)), .init("opt", .mapping([.init("name", .string("a b"))]))],
                                               metric: "acc", maxSeconds: 60, stopGrace: 1),
                           attempt: 3)),
        .progress(trial: "p1", metrics: EpochMetrics(epoch: 1, seconds: 0.5, named: [("acc", 0.75), ("odd,name", 1)])),
        .result(trial: "p1", number: 2, outcome: TrainingResult(config: nil, epochs: [], status: .failed, reason: "exit 1: boom")),
        .log(.init(trial: "p1", attempt: 3, offset: 0, data: Data("line\n\u{0}\u{ff}".utf8))),
        .log(.init(trial: "p1", attempt: 3, offset: 9, data: Data(), end: "killed by signal 9")),
        .status,
        .statusReport(CoordinatorStatus(total: 4, recorded: 1, stopped: 1, workers: [
            .init(name: "w:1", host: "h", trial: "p1", epoch: 1, epochs: nil, rung: 0,
                  values: [.init(name: "lr", value: "0.1")], value: 0.75),
            .init(name: "w:2", host: "h", trial: nil, epoch: nil, epochs: nil),
        ], pid: 7, metric: "acc")),
    ]

    @Test(arguments: messages)
    func roundTrips(_ message: Message) throws {
        let bytes = message.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"v\":1"))
        let decoded = try Message.decode(bytes)
        // NaN never equals itself, so compare the encodings of the decoded value too.
        #expect(String(decoding: decoded.encoded(), as: UTF8.self) == text)
        if case .progress = message {} else if case .result = message {} else { #expect(decoded == message) }
    }

    @Test func aStatusReportCarriesTrialValuesAndTheLastMetricAndReadsAnOldOne() throws {
        let worker = CoordinatorStatus.WorkerInfo(name: "w:1", host: "h", trial: "t1", epoch: 2, epochs: nil,
                                                  values: [.init(name: "lr", value: "0.05"), .init(name: "note", value: "a b")],
                                                  value: 0.25)
        let report = CoordinatorStatus(total: 4, recorded: 1, workers: [worker], pid: 7, metric: "loss")
        guard case .statusReport(let decoded) = try Message.decode(Message.statusReport(report).encoded())
        else { Issue.record("wrong type"); return }
        #expect(decoded == report)
        // A coordinator of the first version sent none of the new fields: its report still reads.
        let old = #"{"v":1,"type":"status_report","report":{"total":4,"recorded":1,"pid":7,"#
            + #""workers":[{"name":"w:1","host":"h","trial":"t1","epoch":2}]}}"#
        guard case .statusReport(let first) = try Message.decode(Array(old.utf8)) else { Issue.record("wrong type"); return }
        #expect(first.metric == nil && first.workers.first?.values == nil && first.workers.first?.value == nil)
        #expect(first.workers.first?.trial == "t1" && first.total == 4)
    }

    @Test func floatsKeepEveryBit() throws {
        guard case .progress(_, let metrics) = try Message.decode(Message.progress(trial: "t", metrics: Self.metrics).encoded())
        else { Issue.record("wrong type"); return }
        #expect(metrics.trainLoss == 0.1 + 0.2)
        #expect(metrics.testLoss.isNaN)
    }

    @Test(arguments: [
        ("not json", WireError.malformed("")),
        ("[1,2]", WireError.malformed("")),
        ("{\"type\":\"ready\"}", WireError.malformed("no \"v\" field")),
        ("{\"v\":2,\"type\":\"ready\"}", WireError.unsupportedVersion(2)),
        ("{\"v\":1}", WireError.malformed("no \"type\" field")),
        ("{\"v\":1,\"type\":\"launch\"}", WireError.unknownType("launch")),
        ("{\"v\":1,\"type\":\"trial\",\"trial\":\"x\"}", WireError.malformed("trial without \"config\" or a program")),
        ("{\"v\":\"one\",\"type\":\"ready\"}", WireError.malformed("")),
    ])
    func badFramesAreNamed(text: String, expected: WireError) {
        do {
            _ = try Message.decode(Array(text.utf8))
            Issue.record("decoded \(text)")
        } catch {
            switch (error, expected) {
            case (.malformed(let reason), .malformed(let wanted)):
                #expect(wanted.isEmpty || reason == wanted, "\(reason)")
                #expect(!error.description.isEmpty)
            default:
                #expect(error == expected)
            }
        }
    }

    @Test func oversizedFramesAreRefusedBeforeParsing() {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: Message.maximumSize + 1)
        #expect(throws: WireError.oversized(bytes: Message.maximumSize + 1)) { try Message.decode(big) }
    }

    @Test func aCheckpointOfTenMegabytesTravelsInPiecesInsideTheFrameLimit() throws {
        // The 1024-512 model with momentum: 2 × 1,333,770 floats, about 10.7 MB.
        var bytes = [UInt8](repeating: 0, count: 10_670_160)
        var random = SplitMix64(seed: 3)
        for i in stride(from: 0, to: bytes.count, by: 97) { bytes[i] = UInt8(truncatingIfNeeded: random.next()) }
        let pieces = Message.checkpointMessages(bytes, trial: "t", epoch: 7)
        #expect(pieces.count == 21)
        var joined: [UInt8] = []
        for piece in pieces {
            let frame = piece.encoded()
            #expect(frame.count <= Message.maximumSize)
            guard case .checkpoint(let chunk) = try Message.decode(frame) else { Issue.record("not a piece"); return }
            #expect(chunk.offset == joined.count && chunk.total == bytes.count && chunk.epoch == 7)
            joined += chunk.data
        }
        #expect(joined == bytes)
    }

    @Test func aPieceThatDoesNotFitItsCheckpointIsMalformed() {
        for (offset, total, size) in [(10, 12, 3), (-1, 5, 1), (0, 5, Message.chunkSize + 1)] {
            let frame = Message.checkpoint(.init(trial: "t", epoch: 1, offset: offset, total: max(total, size), data: Data(count: size)))
                .encoded()
            let fixed = offset == 10 ? Array(String(decoding: frame, as: UTF8.self)
                .replacingOccurrences(of: "\"total\":\(max(total, size))", with: "\"total\":\(total)").utf8) : frame
            #expect(throws: WireError.self) { try Message.decode(fixed) }
        }
    }
}

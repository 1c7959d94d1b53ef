import Foundation
import Messaging
import Training
import SweepCore
import Wire

/// Many workers in one process that train nothing: each answers a trial at once with a one-epoch
/// result of zeros. They exist only for `Scripts/bench coordinator`, to measure what the coordinator
/// itself costs per trial (dispatch, decode, durable record, acknowledge).
public final class NoopWorkerSwarm {
    private let context: Context
    private let sockets: SocketGroup
    private var finished: Set<Int> = []
    /// Results acknowledged so far.
    public private(set) var acknowledged = 0

    /// Connects `count` DEALER sockets named `prefix-0`… to `endpoint`.
    public init(endpoint: String, count: Int, prefix: String) throws(ZMQError) {
        let context = try Context()
        self.context = context
        sockets = try SocketGroup(count: count) { (index: Int) throws(ZMQError) -> Socket in
            let socket = try Socket(context, type: .dealer)
            try socket.set(.routingID, Array("\(prefix)-\(index)".utf8))
            try socket.connect(endpoint)
            return socket
        }
    }

    /// Says hello from every socket and answers until each has been told `bye`.
    public func run() throws {
        let host = ProcessInfo.processInfo.hostName
        for index in 0..<sockets.count {
            _ = try sockets.with(index) { socket in
                try socket.send([Message.hello(.init(worker: "noop-\(index)", host: host, pid: getpid())).encoded()])
            }
        }
        var lastBeat = ContinuousClock.now
        while finished.count < sockets.count {
            for index in try sockets.readable(milliseconds: 100) {
                try sockets.with(index) { socket in
                    while let frames = try socket.receive(dontWait: true) {
                        guard let frame = frames.last, let message = try? Message.decode(frame) else { continue }
                        switch message {
                        case .welcome:
                            try socket.send([Message.ready.encoded()])
                        case .trial(let id, let number, let config, _):
                            let outcome = TrainingResult(
                                config: config, epochs: [EpochMetrics(epoch: 1, trainLoss: 0, testLoss: 0, testAccuracy: 0, seconds: 0)],
                                status: .completed)
                            try socket.send([Message.result(trial: id, number: number, outcome: outcome).encoded()])
                        case .ack:
                            acknowledged += 1
                            try socket.send([Message.ready.encoded()])
                        case .bye, .error:
                            finished.insert(index)
                        default:
                            break
                        }
                    }
                }
            }
            if ContinuousClock.now - lastBeat > .milliseconds(500) {
                lastBeat = ContinuousClock.now
                for index in 0..<sockets.count where !finished.contains(index) {
                    _ = try sockets.with(index) { try $0.send([Message.heartbeat.encoded()], dontWait: true) }
                }
            }
        }
    }
}

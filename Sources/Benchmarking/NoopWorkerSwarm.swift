import Foundation
import Messaging
import Training
import SweepCore
import SystemCalls
import Wire

/// Many workers in one process that train nothing: each answers a trial at once with a one-epoch
/// result of zeros. They exist only for `Scripts/bench coordinator`, to measure what the coordinator
/// itself costs per trial (dispatch, decode, durable record, acknowledge) and per worker (joining,
/// heartbeats). Like a real worker, each sends a heartbeat only after a beat without sending anything.
public final class NoopWorkerSwarm {
    private let context: Context
    private let sockets: SocketGroup
    private var finished: [Bool]
    private var finishedCount = 0
    private let made = ContinuousClock.now
    private let prefix: String
    /// Results acknowledged so far.
    public private(set) var acknowledged = 0
    /// Messages sent since the swarm started asking for work (the coordinator's inputs).
    public private(set) var sent = 0
    /// Hellos said again, by a worker that heard nothing for a liveness window (as a real one reconnects).
    public private(set) var rejoined = 0

    /// Connects `count` DEALER sockets named `prefix-0`… to `endpoint`. Each is two descriptors (its
    /// mailbox and its connection): the open-file limit is raised to the hard limit, and a count it
    /// cannot hold is refused in one line.
    public init(endpoint: String, count: Int, prefix: String) throws {
        let limit = OpenFileLimit.raiseToHard()
        let needed = 2 * count + 64
        guard needed <= limit.soft else {
            throw SwarmError("\(count) simulated workers need about \(needed) open files; this process may open \(limit.soft) "
                             + "(hard limit \(limit.hard)): spread them over more processes or raise `ulimit -n`")
        }
        self.prefix = prefix
        let context = try Context()
        try context.setMaximumSockets(count + 16)
        self.context = context
        finished = Array(repeating: false, count: count)
        sockets = try SocketGroup(count: count) { (index: Int) throws(ZMQError) -> Socket in
            let socket = try Socket(context, type: .dealer)
            try socket.set(.routingID, Array("\(prefix)-\(index)".utf8))
            try socket.connect(endpoint)
            return socket
        }
    }

    /// Says hello from every socket and answers until each has been told `bye`. With `barrier`, no
    /// socket asks for work until every one is welcomed: then it prints `joined COUNT SECONDS` (the
    /// seconds since the sockets were made) on `announce` and waits for a line on standard input, so
    /// that several swarms start together and the joining is timed apart from the trials. It ends
    /// by printing `sent N` (the messages sent after the start).
    public func run(barrier: Bool = false, announce: (String) -> Void = { _ in }) throws {
        let host = ProcessInfo.processInfo.hostName
        var lastSent = Array(repeating: ContinuousClock.now, count: sockets.count)
        var lastHeard = lastSent
        var heartbeat = Duration.seconds(1), liveness = 3
        var welcomed = Array(repeating: false, count: sockets.count)
        var welcomedCount = 0
        var started = !barrier, announced = false
        func send(_ index: Int, _ message: Message) throws {
            _ = try sockets.with(index) { try $0.send([message.encoded()], dontWait: true) }
            lastSent[index] = .now
            if started { sent += 1 }
        }
        func hello(_ index: Int) throws {
            try send(index, .hello(.init(worker: "\(prefix)-\(index)", host: host, pid: getpid())))
        }
        for index in 0..<sockets.count { try hello(index) }
        let result = { (config: TrainingConfig?) in
            TrainingResult(config: config, epochs: [EpochMetrics(epoch: 1, trainLoss: 0, testLoss: 0, testAccuracy: 0, seconds: 0)],
                           status: .completed)
        }
        var lastBeat = ContinuousClock.now
        while finishedCount < sockets.count {
            for index in try sockets.readable(milliseconds: 100) {
                while let frames = try sockets.with(index, { try $0.receive(dontWait: true) }) {
                    guard let frame = frames.last, let message = try? Message.decode(frame) else { continue }
                    lastHeard[index] = .now
                    switch message {
                    case .welcome(let milliseconds, let windows):
                        (heartbeat, liveness) = (.milliseconds(max(10, milliseconds)), max(1, windows))
                        if !welcomed[index] {
                            welcomed[index] = true
                            welcomedCount += 1
                        }
                        if started { try send(index, .ready) }
                    case .trial(let id, let number, let config, _):
                        try send(index, .result(trial: id, number: number, outcome: result(config)))
                    case .ack:
                        acknowledged += 1
                        try send(index, .ready)
                    case .bye, .error:
                        if !finished[index] {
                            finished[index] = true
                            finishedCount += 1
                        }
                    default:
                        break
                    }
                }
            }
            if !started && welcomedCount == sockets.count {
                if !announced {
                    announce(String(format: "joined %d %.3f", sockets.count, seconds(ContinuousClock.now - made)))
                    announced = true
                }
                if Self.lineWaiting() {
                    _ = readLine()
                    started = true
                    for index in 0..<sockets.count where !finished[index] { try send(index, .ready) }
                }
            }
            let now = ContinuousClock.now
            if now - lastBeat >= .milliseconds(100) {
                lastBeat = now
                for index in 0..<sockets.count where !finished[index] {
                    if now - lastHeard[index] > heartbeat * liveness {
                        lastHeard[index] = now
                        rejoined += 1
                        try hello(index)
                    } else if now - lastSent[index] >= heartbeat {
                        try send(index, .heartbeat)
                    }
                }
            }
        }
        announce("sent \(sent) rejoined \(rejoined)")
    }

    /// Whether standard input has a line (or its end) waiting, without blocking.
    private static func lineWaiting() -> Bool {
        var item = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        return poll(&item, 1, 0) > 0
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A swarm that cannot start, in one line.
public struct SwarmError: Error, CustomStringConvertible {
    /// What is wrong and what to do about it.
    public var description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import Programs
import Wire

/// A program trial's output on its way to the coordinator: pieces of what the program wrote, sent as
/// it comes (at most one piece of `pieceSize` bytes each `interval`, the first one `interval` after
/// the start, so a chatty program costs the coordinator at most about 1 MB/s, the socket's queue
/// stays small, and a short trial's whole output goes in one piece), and the rest at the end,
/// in pieces the wire takes, the last one saying how the attempt ended. What the `TrialLog` cut
/// before it could be sent is a gap the coordinator's file says.
struct LogStream {
    let trial: String
    let attempt: Int
    /// The next byte to send (offsets count every byte the program wrote).
    private(set) var sent = 0
    private var lastPiece: ContinuousClock.Instant

    /// The largest piece sent while the program runs, and how often one may go.
    static let pieceSize = 256 * 1024
    static let interval = Duration.milliseconds(250)

    init(trial: String, attempt: Int, now: ContinuousClock.Instant) {
        self.trial = trial
        self.attempt = attempt
        lastPiece = now
    }

    /// The next piece of `log`, if there is new output and the interval has passed.
    mutating func pieces(of log: TrialLog, now: ContinuousClock.Instant) -> [Message] {
        guard log.total > sent, now - lastPiece >= LogStream.interval else { return [] }
        lastPiece = now
        let (offset, bytes) = log.bytes(from: sent, limit: LogStream.pieceSize)
        sent = offset + bytes.count
        return [.log(.init(trial: trial, attempt: attempt, offset: offset, data: Data(bytes)))]
    }

    /// Everything of `log` not sent yet, the last piece with `end`.
    mutating func finish(_ log: TrialLog, end: String) -> [Message] {
        var messages: [Message] = []
        repeat {
            let (offset, bytes) = log.bytes(from: sent, limit: Message.chunkSize)
            sent = offset + bytes.count
            messages.append(.log(.init(trial: trial, attempt: attempt, offset: offset, data: Data(bytes),
                                       end: sent >= log.total ? String(end.prefix(Message.LogPiece.maximumEndLength)) : nil)))
        } while sent < log.total
        return messages
    }
}

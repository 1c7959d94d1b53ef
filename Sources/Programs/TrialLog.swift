/// A trial's stdout and stderr as they arrived, keeping only the last `capacity` bytes: a program
/// that prints 100 MB costs `capacity` bytes of memory, and its log says how much was cut.
public struct TrialLog: Sendable {
    /// The most kept.
    public let capacity: Int
    private var bytes: [UInt8] = []
    /// Bytes cut from the front.
    public private(set) var droppedBytes = 0

    /// The default cap: the last 10 MB.
    public static let defaultCapacity = 10 * 1024 * 1024

    /// An empty log.
    public init(capacity: Int = TrialLog.defaultCapacity) {
        self.capacity = max(capacity, 1)
    }

    /// Appends output.
    public mutating func append<Bytes: Collection>(_ more: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: more)
        // Cut only when twice over, so appending stays amortised O(1).
        if bytes.count > 2 * capacity {
            let cut = bytes.count - capacity
            bytes.removeFirst(cut)
            droppedBytes += cut
        }
    }

    /// The kept bytes, after a line that says how many were cut before them (if any).
    public var contents: [UInt8] {
        var kept = bytes
        if kept.count > capacity {
            let cut = kept.count - capacity
            kept.removeFirst(cut)
            return Array("[sweep: the first \(droppedBytes + cut) bytes of this log were cut; the last \(capacity) follow]\n".utf8) + kept
        }
        if droppedBytes > 0 {
            return Array("[sweep: the first \(droppedBytes) bytes of this log were cut; the last \(capacity) follow]\n".utf8) + kept
        }
        return kept
    }
}

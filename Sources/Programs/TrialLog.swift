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

    /// Every byte appended so far, kept or cut: the offset the next byte will have.
    public var total: Int { droppedBytes + bytes.count }

    /// At most `limit` kept bytes from offset `offset` on (offsets count every byte appended), and
    /// the offset they start at: later than `offset` if the bytes there were already cut.
    public func bytes(from offset: Int, limit: Int) -> (offset: Int, bytes: ArraySlice<UInt8>) {
        let start = max(offset, droppedBytes, total - capacity)
        guard start < total, limit > 0 else { return (total, []) }
        let index = start - droppedBytes
        return (start, bytes[index..<min(bytes.count, index + limit)])
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

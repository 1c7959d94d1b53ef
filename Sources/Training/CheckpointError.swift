/// Why a checkpoint cannot be resumed from; each message says what is wrong with the bytes.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the fixed parts of the format.
    case truncated(bytes: Int)
    /// The first four bytes are not "SWCK": not a sweep checkpoint at all.
    case notACheckpoint
    /// A format version this build does not read.
    case unsupportedVersion(UInt32)
    /// The CRC-32 over the contents does not match the one stored: the bytes were damaged.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The lengths in the file do not add up to its size.
    case badLayout(String)
    /// The JSON header does not parse, or holds impossible values.
    case badHeader(String)
    /// A valid checkpoint, but of another configuration (or another data slice) than the one asked for.
    case foreign(String)
    /// Larger than any checkpoint of the configuration could be.
    case oversized(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .truncated(let bytes): return "checkpoint is truncated (\(bytes) bytes)"
        case .notACheckpoint: return "not a sweep checkpoint (no SWCK magic)"
        case .unsupportedVersion(let version):
            return "checkpoint format version \(version); this build reads version \(TrainingCheckpoint.formatVersion)"
        case .checksumMismatch(let stored, let computed):
            return "checkpoint is corrupt: CRC-32 \(hex(computed)) does not match the stored \(hex(stored))"
        case .badLayout(let detail): return "checkpoint is corrupt: \(detail)"
        case .badHeader(let detail): return "checkpoint header is invalid: \(detail)"
        case .foreign(let detail): return "checkpoint is of another run: \(detail)"
        case .oversized(let bytes, let limit): return "checkpoint of \(bytes) bytes exceeds the \(limit) bytes its model can need"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// Why bytes from the socket are not a message this side accepts; logged and dropped, never fatal.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// More than `Message.maximumSize` bytes.
    case oversized(bytes: Int)
    /// Not JSON, not an object, or missing or mistyped fields.
    case malformed(String)
    /// Another protocol version.
    case unsupportedVersion(Int)
    /// A known envelope with an unknown `type`.
    case unknownType(String)

    public var description: String {
        switch self {
        case .oversized(let bytes): return "frame of \(bytes) bytes exceeds the \(Message.maximumSize)-byte limit"
        case .malformed(let reason): return "malformed message: \(reason)"
        case .unsupportedVersion(let version):
            return "protocol version \(version) is not supported (this side speaks \(Message.protocolVersion))"
        case .unknownType(let type): return "unknown message type '\(type)'"
        }
    }
}

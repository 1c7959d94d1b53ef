/// Who sent a message: the worker's routing identity, as the socket reports it.
public struct WorkerID: Hashable, Sendable, CustomStringConvertible {
    /// The identity's bytes.
    public var bytes: [UInt8]

    /// An identity.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// A worker named by a string (tests, and workers whose identity is their name).
    public init(_ name: String) { bytes = Array(name.utf8) }

    /// The identity as text when it is printable, else as hex.
    public var description: String {
        if let text = String(bytes: bytes, encoding: .utf8), !text.isEmpty,
           text.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "\u{0}" }) {
            return text
        }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

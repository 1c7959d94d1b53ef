#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on which path, and the errno it really set.
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
    /// The errno value, e.g. `ENOSPC`.
    public var code: Int32
    /// The call, e.g. `write`.
    public var operation: String
    /// The file or directory it was about.
    public var path: String

    /// Creates an error.
    public init(code: Int32, operation: String, path: String) {
        self.code = code
        self.operation = operation
        self.path = path
    }

    /// `path: operation failed: No space left on device`.
    public var description: String { "\(path): \(operation) failed: \(String(cString: strerror(code)))" }
}

/// Runs a system call, again while it fails with EINTR; any other −1 throws the errno it set, read
/// at once (before anything else can overwrite it). As swift-nio's `syscall` wrapper.
@discardableResult
public func syscall<T: FixedWidthInteger>(_ operation: String, _ path: String, _ body: () -> T) throws(Errno) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw Errno(code: code, operation: operation, path: path)
    }
}

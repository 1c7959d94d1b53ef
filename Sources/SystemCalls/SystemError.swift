#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A failed system call: which call, on which path, and the errno it really set (swift-system's
/// `Errno`, with the operation and the path that messages need and `Errno` alone does not carry).
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
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

    /// swift-system's error, with where it happened.
    public init(_ errno: SystemPackage.Errno, operation: String, path: String) {
        self.init(code: errno.rawValue, operation: operation, path: path)
    }

    /// The errno as swift-system names it.
    public var errno: SystemPackage.Errno { SystemPackage.Errno(rawValue: code) }

    /// `path: operation failed: No space left on device`.
    public var description: String { "\(path): \(operation) failed: \(String(cString: strerror(code)))" }
}

/// Runs a system call swift-system does not wrap (fsync, flock, mkdir, rename, …), again while it
/// fails with EINTR; any other −1 throws the errno it set, read at once (before anything else can
/// overwrite it). As swift-nio's `syscall` wrapper.
@discardableResult
public func syscall<T: FixedWidthInteger>(_ operation: String, _ path: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(code: code, operation: operation, path: path)
    }
}

/// Runs a swift-system call (which retries EINTR itself), naming the operation and path in its error.
@discardableResult
func system<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws(SystemError) -> T {
    do {
        return try body()
    } catch let error as SystemPackage.Errno {
        throw SystemError(error, operation: operation, path: path)
    } catch {
        throw SystemError(code: EIO, operation: operation, path: path)  // swift-system throws only Errno
    }
}

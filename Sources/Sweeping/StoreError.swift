/// Why the results directory cannot be used; nothing already recorded is changed when this is thrown.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed on a path.
    case system(path: String, operation: String, errno: Int32)
    /// The file's header is not the one this version writes.
    case unexpectedHeader(path: String, found: String)
    /// A complete line in the middle of the file cannot be read.
    case badRow(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .system(let path, let operation, let code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .unexpectedHeader(let path, let found):
            return "\(path) has an unexpected header (\(found.prefix(80))...); it was not written by this version of "
                + "sweep: move it aside, or run with --fresh"
        case .badRow(let path, let line, let reason):
            return "\(path):\(line): row \(reason); fix the line or move the file aside"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

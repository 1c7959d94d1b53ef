import SystemCalls

/// Why the results directory cannot be used; nothing already recorded is changed when this is thrown.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed on a path.
    case system(Errno)
    /// The file's header is not the one this version writes.
    case unexpectedHeader(path: String, found: String)
    /// Another process writes this results directory (it holds the lock).
    case busy(directory: String, holder: String)

    public var description: String {
        switch self {
        case .system(let error):
            return error.description
        case .unexpectedHeader(let path, let found):
            return "\(path) has an unexpected header (\(found.prefix(80))...); it was not written by this version of "
                + "sweep: move it aside, or run with --fresh"
        case .busy(let directory, let holder):
            return "\(directory) is in use by another sweep (\(holder)); only one coordinator writes a results "
                + "directory: wait for it, stop it, or give --results another directory"
        }
    }
}

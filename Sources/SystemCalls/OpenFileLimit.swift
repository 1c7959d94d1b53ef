#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`), which bounds how many connections a socket can
/// hold: every TCP connection is a descriptor.
public struct OpenFileLimit: Equatable, Sendable {
    /// The limit in force (the soft limit).
    public var soft: Int
    /// The most an unprivileged process may raise it to (the hard limit).
    public var hard: Int

    /// The limits now.
    public static var current: OpenFileLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return OpenFileLimit(soft: 1024, hard: 1024) }
        return OpenFileLimit(soft: clamp(limit.rlim_cur), hard: clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (the default soft limit, often 1,024, is far below what
    /// many connections need; raising it needs no privilege) and returns the limits in force after.
    @discardableResult
    public static func raiseToHard() -> OpenFileLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return current }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            // Refused (a hard limit above the kernel's nr_open, say): the soft limit stays as it was.
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
        }
        return current
    }

    /// Descriptors this process has open now (the entries of /proc/self/fd; 0 where it cannot be read).
    public static var openCount: Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return max(0, count - 1)  // the directory's own descriptor
    }

    private static func clamp(_ value: rlim_t) -> Int { value >= rlim_t(Int.max) ? Int.max : Int(value) }
}

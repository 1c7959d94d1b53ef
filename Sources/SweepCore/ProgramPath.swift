#if canImport(Glibc)
import Glibc
#endif

/// Finding an executable as `execvp` would, before anything is started, so that a missing program
/// is one clear line instead of a child that fails.
public enum ProgramPath {
    /// The executable file `name` resolves to through `PATH` (or `name` itself if it has a slash).
    public static func search(_ name: String, environment: [String: String]) -> String? {
        if name.contains("/") { return isExecutable(name) ? name : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// Whether `path` is a regular file this process may execute.
    public static func isExecutable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}

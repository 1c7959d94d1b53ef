#if canImport(Glibc)
import Glibc
#endif

/// Directory operations with their real errno.
public enum Directory {
    /// Creates `path` and any missing parents (mode 755); existing directories are fine.
    public static func create(_ path: String) throws(SystemError) {
        var partial = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            partial += (partial.isEmpty || partial.hasSuffix("/") ? "" : "/") + component
            if mkdir(partial, 0o755) == 0 { continue }
            let code = errno
            var info = stat()
            if code == EEXIST, stat(partial, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
            throw SystemError(code: code == EEXIST ? ENOTDIR : code, operation: "mkdir", path: partial)
        }
    }

    /// Flushes the directory's entries (after a create or rename in it) to the disk.
    public static func sync(_ path: String) throws(SystemError) {
        let directory = try FileDescriptor(path: path.isEmpty ? "." : path, flags: O_RDONLY | O_DIRECTORY)
        try directory.sync()
    }

    /// Renames `from` to `to`, replacing `to` atomically.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        try syscall("rename", from) { Glibc.rename(from, to) }
    }

    /// Removes the file at `path`; one that is not there is fine.
    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) == 0 { return }
        let code = errno
        if code == ENOENT { return }
        throw SystemError(code: code, operation: "unlink", path: path)
    }

    /// The names in directory `path` (without `.` and `..`), sorted; none if it does not exist.
    public static func list(_ path: String) throws(SystemError) -> [String] {
        guard let stream = opendir(path) else {
            let code = errno
            if code == ENOENT { return [] }
            throw SystemError(code: code, operation: "opendir", path: path)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether `path` exists (as anything).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

extension Directory {
    /// Replaces the file at `path` with `bytes` so that a crash leaves either the old file or the new
    /// one, whole: write a temporary file beside it, fsync it, rename it over `path`, fsync the directory.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(SystemError) {
        let temporary = path + ".tmp"
        do {
            do {
                let file = try FileDescriptor(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
                try file.write(bytes)
                try file.sync()
            }
            try rename(temporary, to: path)
            let slash = path.lastIndex(of: "/")
            try sync(slash.map { String(path[..<$0]) } ?? ".")
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// An open file, owned: closed exactly once, when this value goes away. Built on swift-system's
/// `FileDescriptor` (open, read, write, seek, resize), which retries EINTR; what swift-system does
/// not wrap (fsync, flock, fcntl) goes through `syscall`. Failures carry the real errno and the path.
/// Why a wrapper of our own: swift-system's descriptor is a copyable value that someone must
/// remember to close; this one is `~Copyable`, so the compiler sees that it is closed once.
public struct FileDescriptor: ~Copyable {
    /// swift-system's descriptor.
    public let descriptor: SystemPackage.FileDescriptor
    /// The path it was opened with, for messages.
    public let path: String

    /// The descriptor number.
    public var rawValue: Int32 { descriptor.rawValue }

    /// Opens `path` with `flags` (`O_RDONLY`, `O_WRONLY` or `O_RDWR`, and open options; `O_CLOEXEC` is always added).
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(SystemError) {
        let access = SystemPackage.FileDescriptor.AccessMode(rawValue: flags & O_ACCMODE)
        let options = SystemPackage.FileDescriptor.OpenOptions(rawValue: (flags & ~O_ACCMODE) | O_CLOEXEC)
        descriptor = try system("open", path) {
            try SystemPackage.FileDescriptor.open(FilePath(path), access, options: options,
                                                  permissions: FilePermissions(rawValue: mode))
        }
        self.path = path
    }

    /// Takes ownership of an open descriptor (one end of a pipe, say); `path` names it in messages.
    public init(adopting rawValue: Int32, path: String) {
        descriptor = SystemPackage.FileDescriptor(rawValue: rawValue)
        self.path = path
    }

    deinit { try? descriptor.close() }  // nothing to do about a failed close: the descriptor is gone either way

    /// Reads what is there into `buffer`: the count, 0 at end of file, nil if nothing is there yet
    /// (a non-blocking descriptor).
    public func readAvailable(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        do {
            return try system("read", path) { try descriptor.read(into: buffer) }
        } catch where error.code == EAGAIN || error.code == EWOULDBLOCK {
            return nil
        }
    }

    /// Makes reads return at once when nothing is there.
    public func setNonBlocking() throws(SystemError) {
        let flags = try syscall("fcntl", path) { fcntl(rawValue, F_GETFL) }
        try syscall("fcntl", path) { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// The file's size in bytes.
    public func size() throws(SystemError) -> Int {
        Int(try system("lseek", path) { try descriptor.seek(offset: 0, from: .end) })
    }

    /// The whole file, read from offset 0 whatever the descriptor's position.
    public func readAll() throws(SystemError) -> [UInt8] {
        let count = try size()
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = try system("read", path) {
                try bytes.withUnsafeMutableBytes { buffer in
                    try descriptor.read(fromAbsoluteOffset: Int64(filled),
                                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                }
            }
            if got == 0 { break }  // the file shrank under us: what was read is what there is
            filled += got
        }
        return Array(bytes.prefix(filled))
    }

    /// Writes all of `bytes` (a short write is continued; ENOSPC and EIO throw).
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        try system("write", path) { _ = try descriptor.writeAll(bytes) }
    }

    /// Flushes the file's data and size to the disk.
    public func sync() throws(SystemError) { try syscall("fsync", path) { fsync(rawValue) } }

    /// Cuts (or extends) the file to `length` bytes.
    public func truncate(to length: Int) throws(SystemError) {
        try system("ftruncate", path) { try descriptor.resize(to: Int64(length)) }
    }

    /// Takes an exclusive advisory lock (`flock`) without waiting: false if another open file holds it.
    /// The kernel drops it when the holder's descriptor closes, however the holder ends.
    public func tryLock() throws(SystemError) -> Bool {
        while true {
            if flock(rawValue, LOCK_EX | LOCK_NB) == 0 { return true }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK { return false }
            throw SystemError(code: code, operation: "flock", path: path)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// An open file, owned: closed exactly once, when this value goes away. Every call goes through
/// `syscall`, so EINTR is retried and failures carry their real errno and the path.
public struct FileDescriptor: ~Copyable {
    /// The descriptor number.
    public let rawValue: Int32
    /// The path it was opened with, for messages.
    public let path: String

    /// Opens `path` with `flags` (`O_CLOEXEC` is always added).
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(Errno) {
        rawValue = try syscall("open", path) { open(path, flags | O_CLOEXEC, mode) }
        self.path = path
    }

    /// Takes ownership of an open descriptor (one end of a pipe, say); `path` names it in messages.
    public init(adopting rawValue: Int32, path: String) {
        self.rawValue = rawValue
        self.path = path
    }

    deinit { close(rawValue) }

    /// Reads what is there into `buffer`: the count, 0 at end of file, nil if nothing is there yet
    /// (a non-blocking descriptor).
    public func readAvailable(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int? {
        do {
            return try syscall("read", path) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
        } catch where error.code == EAGAIN || error.code == EWOULDBLOCK {
            return nil
        }
    }

    /// Makes reads return at once when nothing is there.
    public func setNonBlocking() throws(Errno) {
        let flags = try syscall("fcntl", path) { fcntl(rawValue, F_GETFL) }
        try syscall("fcntl", path) { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// The file's size in bytes.
    public func size() throws(Errno) -> Int {
        Int(try syscall("lseek", path) { lseek(rawValue, 0, SEEK_END) })
    }

    /// The whole file, read from offset 0 whatever the descriptor's position.
    public func readAll() throws(Errno) -> [UInt8] {
        let count = try size()
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = try syscall("read", path) {
                bytes.withUnsafeMutableBytes { pread(rawValue, $0.baseAddress! + filled, count - filled, off_t(filled)) }
            }
            if got == 0 { break }  // the file shrank under us: what was read is what there is
            filled += got
        }
        return Array(bytes.prefix(filled))
    }

    /// Writes all of `bytes` (a short write is continued; ENOSPC and EIO throw).
    public func write(_ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let wrote = try syscall("write", path) {
                bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += wrote
        }
    }

    /// Flushes the file's data and size to the disk.
    public func sync() throws(Errno) { try syscall("fsync", path) { fsync(rawValue) } }

    /// Cuts (or extends) the file to `length` bytes.
    public func truncate(to length: Int) throws(Errno) { try syscall("ftruncate", path) { ftruncate(rawValue, off_t(length)) } }

    /// Takes an exclusive advisory lock (`flock`) without waiting: false if another open file holds it.
    /// The kernel drops it when the holder's descriptor closes, however the holder ends.
    public func tryLock() throws(Errno) -> Bool {
        while true {
            if flock(rawValue, LOCK_EX | LOCK_NB) == 0 { return true }
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK { return false }
            throw Errno(code: code, operation: "flock", path: path)
        }
    }
}

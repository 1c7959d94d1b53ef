#if canImport(Glibc)
import Glibc
#endif
import CSupport
import SystemCalls

/// A program running under its supervisor in a process group of its own (`Supervisor.c`): its
/// stdout, stderr and metrics pipes, and how it ended. Owned: when this value goes away, whatever is
/// left of the group is killed and reaped, so no program outlives the value, and if the whole worker
/// dies, the supervisor's lifeline breaks and it ends the group itself.
public struct ProgramProcess: ~Copyable {
    /// The supervisor's pid, which is the process group's id.
    public let group: pid_t
    /// The program's standard output (non-blocking).
    public let stdout: FileDescriptor
    /// The program's standard error (non-blocking).
    public let stderr: FileDescriptor
    /// Its descriptor 3, `$SWEEP_METRICS_FD` (non-blocking).
    public let metrics: FileDescriptor
    private let status: FileDescriptor
    private let lifeline: FileDescriptor
    private var statusBytes: [UInt8] = []
    private var supervisorGone = false

    /// How the program ended, as its supervisor saw it.
    public enum End: Equatable, Sendable {
        /// It exited with this code.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)
        /// It could not be started (fork failed): the errno.
        case notStarted(Int32)
    }

    /// Starts `argv` with `executable` (a path) in `directory`; `graceMilliseconds` is how long the
    /// supervisor waits between SIGTERM and SIGKILL once its worker is gone.
    public init(executable: String, argv: [String], environment: [String: String], directory: String?,
                graceMilliseconds: Int) throws(Errno) {
        // Raw until the program has started, so that every failure on the way closes all of them.
        var opened: [Int32] = []
        func pipe(_ name: String) throws(Errno) -> (read: Int32, write: Int32) {
            let ends = try ProgramProcess.pipe(named: name)
            opened += [ends.read, ends.write]
            return ends
        }
        let out: (read: Int32, write: Int32), err: (read: Int32, write: Int32), met: (read: Int32, write: Int32)
        let sta: (read: Int32, write: Int32), life: (read: Int32, write: Int32)
        let null: Int32
        do {
            out = try pipe("stdout pipe")
            err = try pipe("stderr pipe")
            met = try pipe("metrics pipe")
            sta = try pipe("status pipe")
            life = try pipe("lifeline pipe")
            null = try syscall("open", "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        } catch {
            for descriptor in opened { close(descriptor) }
            throw error
        }
        var supervision = sweep_supervision(stdin_fd: null, stdout_fd: out.write, stderr_fd: err.write,
                                            metrics_fd: met.write, lifeline_read_fd: life.read,
                                            lifeline_write_fd: life.write, status_write_fd: sta.write,
                                            grace_ms: Int32(clamping: graceMilliseconds))
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        let pid = arguments.withUnsafeBufferPointer { argvPointer in
            variables.withUnsafeBufferPointer { envPointer in
                sweep_spawn_supervised(executable, argvPointer.baseAddress!, envPointer.baseAddress!, directory, &supervision)
            }
        }
        // The child's ends: only the supervisor and the program hold them now.
        for end in [out.write, err.write, met.write, sta.write, life.read, null] { close(end) }
        guard pid > 0 else {
            for end in [out.read, err.read, met.read, sta.read, life.write] { close(end) }
            throw Errno(code: -pid, operation: "fork", path: executable)
        }
        for descriptor in [out.read, err.read, met.read, sta.read] {
            let flags = fcntl(descriptor, F_GETFL)
            _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        }
        stdout = FileDescriptor(adopting: out.read, path: "the program's stdout")
        stderr = FileDescriptor(adopting: err.read, path: "the program's stderr")
        metrics = FileDescriptor(adopting: met.read, path: "the program's metrics pipe")
        status = FileDescriptor(adopting: sta.read, path: "the supervisor's status pipe")
        lifeline = FileDescriptor(adopting: life.write, path: "the supervisor's lifeline")
        group = pid
    }

    /// A pipe, both ends close-on-exec: its read end and write end.
    private static func pipe(named name: String) throws(Errno) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        try syscall("pipe2", name) { ends.withUnsafeMutableBufferPointer { sweep_pipe_cloexec($0.baseAddress!) } }
        return (ends[0], ends[1])
    }

    deinit {
        if !supervisorGone {
            Glibc.kill(-group, SIGKILL)
            var code: Int32 = 0
            while waitpid(group, &code, 0) < 0 && errno == EINTR {}
        }
    }

    /// One of the program's output pipes.
    public enum Output: Int, CaseIterable, Sendable {
        case stdout, stderr, metrics
    }

    /// The descriptor of `output`, to poll.
    public func descriptor(_ output: Output) -> Int32 {
        switch output {
        case .stdout: return stdout.rawValue
        case .stderr: return stderr.rawValue
        case .metrics: return metrics.rawValue
        }
    }

    /// Reads what `output` has into `buffer`: the count, 0 at end of file (or on an error, which
    /// ends that pipe too), nil if nothing is there yet.
    public func read(_ output: Output, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        do {
            switch output {
            case .stdout: return try stdout.readAvailable(into: buffer)
            case .stderr: return try stderr.readAvailable(into: buffer)
            case .metrics: return try metrics.readAvailable(into: buffer)
            }
        } catch {
            return 0
        }
    }

    /// The supervisor's status pipe, to poll: readable once the program has ended.
    public var statusDescriptor: Int32 { status.rawValue }

    /// Asks the whole group to stop (SIGTERM): the program, and whatever it started.
    public func terminate() { Glibc.kill(-group, SIGTERM) }

    /// Ends the whole group at once (SIGKILL), the supervisor with it.
    public func kill() { Glibc.kill(-group, SIGKILL) }

    /// How the program ended, once its supervisor has said so and exited; nil while it runs.
    /// `killed` is what to report if the group was killed before the supervisor could speak.
    public mutating func end() -> End? {
        if !supervisorGone {
            var code: Int32 = 0
            let pid = waitpid(group, &code, WNOHANG)
            guard pid == group || (pid < 0 && errno == ECHILD) else { return nil }
            supervisorGone = true
            var chunk = [UInt8](repeating: 0, count: 4096)
            while let got = chunk.withUnsafeMutableBytes({ try? status.readAvailable(into: $0) }) ?? nil, got > 0 {
                statusBytes += chunk.prefix(got)
            }
            if statusBytes.count < 8 {
                // Killed with its group before it could report: the program went the same way.
                let signal = (code & 0x7F) != 0 ? code & 0x7F : SIGKILL
                return .signaled(signal)
            }
        }
        return ProgramProcess.decode(statusBytes)
    }

    /// The last record on the status pipe, as an `End`.
    private static func decode(_ bytes: [UInt8]) -> End {
        var end = End.signaled(SIGKILL)
        var offset = 0
        while offset + 8 <= bytes.count {
            let tag = bytes[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
            let value = bytes[offset + 4..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
            switch Int(tag) {
            case Int(SWEEP_SUPERVISOR_EXEC_FAILED): end = .notStarted(value)
            default:
                end = (value & 0x7F) == 0 ? .exited((value >> 8) & 0xFF) : .signaled(value & 0x7F)
            }
            offset += 8
        }
        return end
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CProcess
import SystemCalls

/// A program running under its supervisor (`Supervisor.c`): its stdout, stderr and metrics pipes,
/// and how it ended. The supervisor is a child subreaper and, where one can be made, puts the
/// program in a cgroup of its own (`TrialCgroup`), so nothing the program starts outlives it,
/// however it detaches: when the program ends, what it left is sent SIGTERM, then SIGKILL after the
/// grace, and only then is the end reported. Owned: when this value goes away, everything left is
/// killed and reaped, and if the whole worker dies, the supervisor's lifeline breaks and it ends
/// everything itself.
public struct ProgramProcess: ~Copyable {
    /// The supervisor's pid (and its process group's id).
    public let supervisor: pid_t
    /// The trial's cgroup, if one could be made here.
    public let cgroup: String?
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
    /// The program's pid, once the supervisor has said it (its process group's id too).
    public private(set) var program: pid_t?
    /// What the program left running when it ended (each sent SIGTERM), and how many of those (or
    /// of what a stop found) were still there after the grace and were killed.
    public private(set) var leftovers = (ended: 0, killed: 0)

    /// How the program ended, as its supervisor saw it.
    public enum End: Equatable, Sendable {
        /// It exited with this code.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)
        /// It could not be started (fork failed): the errno.
        case notStarted(Int32)
    }

    /// Starts `argv` with `executable` (a path) in `directory`, in a cgroup of its own where one can be
    /// made (unless `cgroup` is false); `graceMilliseconds` is how long the supervisor waits between
    /// SIGTERM and SIGKILL (on a stop, when the worker is gone, for what the program left running).
    public init(executable: String, argv: [String], environment: [String: String], directory: String?,
                graceMilliseconds: Int, cgroup: Bool = true) throws(SystemError) {
        // Raw until the program has started, so that every failure on the way closes all of them.
        var opened: [Int32] = []
        func pipe(_ name: String) throws(SystemError) -> (read: Int32, write: Int32) {
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
            var pair: [Int32] = [-1, -1]
            try syscall("socketpair", "the supervisor's lifeline") {
                pair.withUnsafeMutableBufferPointer { sweep_socketpair_cloexec($0.baseAddress!) }
            }
            life = (pair[0], pair[1])
            opened += pair
            null = try syscall("open", "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        } catch {
            for descriptor in opened { close(descriptor) }
            throw error
        }
        let cgroup = cgroup ? TrialCgroup.make() : nil
        let cgroupPath = cgroup.map { strdup($0) } ?? nil
        var supervision = sweep_supervision(stdin_fd: null, stdout_fd: out.write, stderr_fd: err.write,
                                            metrics_fd: met.write, lifeline_read_fd: life.read,
                                            lifeline_write_fd: life.write, status_write_fd: sta.write,
                                            grace_ms: Int32(clamping: graceMilliseconds), cgroup_path: cgroupPath)
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
            free(cgroupPath)
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
            if let cgroup { TrialCgroup.destroy(cgroup) }
            throw SystemError(code: -pid, operation: "fork", path: executable)
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
        supervisor = pid
        self.cgroup = cgroup
    }

    /// A pipe, both ends close-on-exec: its read end and write end.
    private static func pipe(named name: String) throws(SystemError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        try syscall("pipe2", name) { ends.withUnsafeMutableBufferPointer { sweep_pipe_cloexec($0.baseAddress!) } }
        return (ends[0], ends[1])
    }

    deinit {
        if !supervisorGone {
            // The supervisor kills everything and reaps it; if it cannot be told, it is killed and
            // the program's group and the cgroup are ended here.
            if sweep_lifeline_send(lifeline.rawValue, CChar(SWEEP_SUPERVISOR_KILL)) != 0 { Glibc.kill(supervisor, SIGKILL) }
            var code: Int32 = 0
            while waitpid(supervisor, &code, 0) < 0 && errno == EINTR {}
            let bytes = statusBytes + ProgramProcess.readAll(status)
            if !ProgramProcess.hasEnded(bytes) {
                let started = ProgramProcess.records(bytes).last { $0.tag == SWEEP_SUPERVISOR_STARTED }?.value
                ProgramProcess.endWithoutSupervisor(program: started ?? program, cgroup: cgroup)
            }
        }
    }

    /// After the supervisor died without reporting (killed): the program's group and the cgroup go too.
    private static func endWithoutSupervisor(program: pid_t?, cgroup: String?) {
        if let program { Glibc.kill(-program, SIGKILL) }
        if let cgroup { TrialCgroup.destroy(cgroup) }
    }

    /// Whatever the status pipe holds now.
    private static func readAll(_ status: borrowing FileDescriptor) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while let got = chunk.withUnsafeMutableBytes({ try? status.readAvailable(into: $0) }) ?? nil, got > 0 {
            bytes += chunk.prefix(got)
        }
        return bytes
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

    /// Asks the program and whatever it started to stop (SIGTERM, from the supervisor, which sends
    /// SIGKILL to what is left after the grace).
    public func terminate() { command(SWEEP_SUPERVISOR_TERMINATE) }

    /// Ends the program and whatever it started at once (SIGKILL, from the supervisor).
    public func kill() { command(SWEEP_SUPERVISOR_KILL) }

    private func command(_ byte: Int) {
        if sweep_lifeline_send(lifeline.rawValue, CChar(byte)) != 0 && !supervisorGone {
            Glibc.kill(supervisor, SIGKILL)  // cannot be told: end() then ends the rest
        }
    }

    /// How the program ended, once its supervisor has said so and exited (after everything the
    /// program started is gone); nil while it runs.
    public mutating func end() -> End? {
        if !supervisorGone {
            var code: Int32 = 0
            let pid = waitpid(supervisor, &code, WNOHANG)
            guard pid == supervisor || (pid < 0 && errno == ECHILD) else {
                readStatus()  // the program's pid comes first; read it while the supervisor runs
                return nil
            }
            supervisorGone = true
            readStatus()
            if !ProgramProcess.hasEnded(statusBytes) {
                // Killed before it could report: the program, its group and its cgroup go the same way.
                ProgramProcess.endWithoutSupervisor(program: program, cgroup: cgroup)
                let signal = (code & 0x7F) != 0 ? code & 0x7F : SIGKILL
                return ProgramProcess.records(statusBytes).contains { $0.tag == SWEEP_SUPERVISOR_EXEC_FAILED }
                    ? ProgramProcess.decode(statusBytes) : .signaled(signal)
            }
        }
        return ProgramProcess.decode(statusBytes)
    }

    /// Reads what the status pipe holds, and notes the program's pid and the leftovers.
    private mutating func readStatus() {
        statusBytes += ProgramProcess.readAll(status)
        for record in ProgramProcess.records(statusBytes) {
            switch Int(record.tag) {
            case Int(SWEEP_SUPERVISOR_STARTED): program = record.value
            case Int(SWEEP_SUPERVISOR_LEFTOVERS): leftovers.ended = Int(record.value)
            case Int(SWEEP_SUPERVISOR_KILLED): leftovers.killed = Int(record.value)
            default: break
            }
        }
    }

    /// The status pipe's records: (tag, value) pairs.
    private static func records(_ bytes: [UInt8]) -> [(tag: Int32, value: Int32)] {
        stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { offset in
            (bytes[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) },
             bytes[offset + 4..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
        }
    }

    /// Whether the supervisor reported an end (it reports one last, before it exits).
    private static func hasEnded(_ bytes: [UInt8]) -> Bool {
        records(bytes).contains { [SWEEP_SUPERVISOR_ENDED, SWEEP_SUPERVISOR_ORPHANED, SWEEP_SUPERVISOR_EXEC_FAILED].contains(Int($0.tag)) }
    }

    /// The end the records say.
    private static func decode(_ bytes: [UInt8]) -> End {
        var end = End.signaled(SIGKILL)
        for record in records(bytes) {
            switch Int(record.tag) {
            case Int(SWEEP_SUPERVISOR_EXEC_FAILED): end = .notStarted(record.value)
            case Int(SWEEP_SUPERVISOR_ENDED), Int(SWEEP_SUPERVISOR_ORPHANED):
                let value = record.value
                end = (value & 0x7F) == 0 ? .exited((value >> 8) & 0xFF) : .signaled(value & 0x7F)
            default: break
            }
        }
        return end
    }
}

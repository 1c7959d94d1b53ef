#if canImport(Glibc)
import Glibc
#endif
import CProcess
import SystemCalls
import SweepCore

/// One trial of a program, from start to end: reads its output as it comes (metric lines from
/// stdout or `$SWEEP_METRICS_FD`, everything into the capped log), enforces `max_seconds`, and stops
/// it when asked: SIGTERM to its group, SIGKILL after the grace. Reads no clock: the caller passes
/// the time, so the worker can run it from its own loop and tests can drive it.
public final class ProgramRun {
    /// How a run ended.
    public enum Outcome: Equatable, Sendable {
        /// Exit 0 with the metric printed.
        case completed
        /// Ended because it was asked to (early termination, the coordinator, Ctrl-C).
        case stopped
        /// Failed; the reason is one line.
        case failed(String)
        /// It printed a metric that is not finite (NaN, ±∞): the last metric line holds it, later
        /// lines are not read, and the program was stopped, as the built-in trainer stops there.
        case diverged
    }

    /// What a run needs to know.
    public struct Limits: Sendable {
        /// The metric the program must print.
        public var metric: String
        /// Seconds before the run is ended as `failed` with reason `timeout` (nil: no limit).
        public var maxSeconds: Double?
        /// Seconds between SIGTERM and SIGKILL.
        public var stopGraceSeconds: Double
        /// The log's cap in bytes.
        public var logCapacity: Int

        public init(metric: String, maxSeconds: Double? = nil, stopGraceSeconds: Double = ProgramRun.defaultStopGrace,
                    logCapacity: Int = TrialLog.defaultCapacity) {
            self.metric = metric
            self.maxSeconds = maxSeconds
            self.stopGraceSeconds = stopGraceSeconds
            self.logCapacity = logCapacity
        }
    }

    /// Seconds between SIGTERM and SIGKILL unless a sweep says otherwise (`ProgramJob.defaultStopGrace`).
    public static let defaultStopGrace = ProgramJob.defaultStopGrace

    /// The longest line read as metrics; a longer one is only log.
    public static let maximumLineBytes = 1 << 20

    private var process: ProgramProcess
    private let limits: Limits
    private let started: ContinuousClock.Instant
    /// stdout, stderr, metrics: their partial last lines, and whether each is at end of file.
    private var partial: [[UInt8]] = [[], [], []]
    private var overlong = [false, false, false]
    private var open = [true, true, true]
    /// Metric lines read so far, numbered.
    public private(set) var lines: [MetricLine] = []
    /// stdout and stderr, capped.
    public private(set) var log: TrialLog
    /// The last non-empty line of stderr (at most 500 characters), for a failure's reason.
    public private(set) var lastErrorLine = ""
    private var stopRequested: (at: ContinuousClock.Instant, killed: Bool)?
    private var timedOut = false
    /// A metric line held a non-finite metric: no later line counts, and the program is stopped.
    private var diverged = false
    /// Names of numbers the program printed in JSON lines (at most `maximumNames`), to say what it did
    /// print when the metric never came.
    private var printedNames: [String] = []
    private static let maximumNames = 20
    /// How it ended, once it has.
    public private(set) var outcome: Outcome?
    /// The program's end as the supervisor reported it.
    public private(set) var end: ProgramProcess.End?

    /// Starts the program (in a cgroup of its own where one can be made, unless `cgroup` is false).
    public init(executable: String, argv: [String], environment: [String: String], directory: String?,
                limits: Limits, now: ContinuousClock.Instant, cgroup: Bool = true) throws(SystemError) {
        self.limits = limits
        self.started = now
        self.log = TrialLog(capacity: limits.logCapacity)
        process = try ProgramProcess(executable: executable, argv: argv, environment: environment, directory: directory,
                                     graceMilliseconds: Int(limits.stopGraceSeconds * 1000), cgroup: cgroup)
    }

    /// The descriptors to wait on (poll for input): the open output pipes, and the supervisor's
    /// status pipe, which becomes readable when the program ends. Empty once the run is over.
    public var descriptors: [Int32] {
        guard outcome == nil else { return [] }
        return ProgramProcess.Output.allCases.filter { open[$0.rawValue] }.map { process.descriptor($0) } + [process.statusDescriptor]
    }

    /// The supervisor's pid.
    public var supervisor: pid_t { process.supervisor }

    /// The program's pid, once it has started.
    public var program: pid_t? { process.program }

    /// The trial's cgroup, where one could be made.
    public var cgroup: String? { process.cgroup }

    /// What the run's row says of processes the program left running or that had to be killed
    /// (nil when there were none): "it left 2 processes running; 1 ignored SIGTERM and was killed
    /// after the 30 s grace".
    public private(set) var leftoverNote: String?

    /// Asks it to stop (SIGTERM to the group; SIGKILL after the grace, from `service`).
    public func stop(now: ContinuousClock.Instant) {
        guard stopRequested == nil, outcome == nil else { return }
        stopRequested = (now, false)
        process.terminate()
    }

    /// Reads what is there, enforces the deadlines, and returns the metric lines read this time.
    /// When it returns with `outcome` set, the run is over.
    @discardableResult
    public func service(now: ContinuousClock.Instant) -> [MetricLine] {
        // A bounded number of reads per call keeps a chatty program from starving the caller's loop.
        var fresh = drain(readsPerPipe: 16)
        if diverged, stopRequested == nil, outcome == nil { stop(now: now) }
        if let maxSeconds = limits.maxSeconds, stopRequested == nil, outcome == nil,
           now - started >= .seconds(maxSeconds) {
            timedOut = true
            stop(now: now)
        }
        if let request = stopRequested, !request.killed, now - request.at >= .seconds(limits.stopGraceSeconds) {
            stopRequested?.killed = true
            process.kill()
        }
        if outcome == nil, let end = process.end() {
            // The supervisor ended the group before it exited, so what is left is in the pipes.
            fresh += drain(readsPerPipe: Int.max)
            for output in ProgramProcess.Output.allCases where open[output.rawValue] {
                open[output.rawValue] = false
                fresh += finishLine(of: output.rawValue)
            }
            self.end = end
            leftoverNote = ProgramRun.note(process.leftovers, grace: limits.stopGraceSeconds)
            outcome = decide(end)
        }
        return fresh
    }

    private func drain(readsPerPipe: Int) -> [MetricLine] {
        var fresh: [MetricLine] = []
        for output in ProgramProcess.Output.allCases where open[output.rawValue] {
            let index = output.rawValue
            var reads = 0
            while reads < readsPerPipe {
                reads += 1
                guard let got = buffer.withUnsafeMutableBytes({ process.read(output, into: $0) }) else { break }
                if got == 0 {
                    open[index] = false
                    fresh += finishLine(of: index)
                    break
                }
                let chunk = buffer[..<got]
                if output != .metrics { log.append(chunk) }
                fresh += split(chunk, from: index)
            }
        }
        return fresh
    }

    /// Where reads land: one 64 KiB buffer, reused.
    private var buffer = [UInt8](repeating: 0, count: 65536)

    /// Splits fresh bytes into lines. Whole lines of stdout or the metrics pipe that start with `{`
    /// may be metrics; of stderr only the last non-blank line matters (a failure's reason). Lines are
    /// found with `memchr` and only candidates are decoded, so a flood of junk costs little.
    private func split(_ chunk: ArraySlice<UInt8>, from index: Int) -> [MetricLine] {
        if index == 1 { return splitErrors(chunk) }
        var fresh: [MetricLine] = []
        chunk.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            var start = 0
            while start < bytes.count {
                guard let found = memchr(base + start, 0x0A, bytes.count - start) else { break }
                let end = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                if overlong[index] {
                    overlong[index] = false
                } else if partial[index].isEmpty {
                    fresh += take(line: UnsafeBufferPointer(rebasing: bytes[start..<end]), from: index)
                } else {
                    partial[index] += bytes[start..<end]
                    fresh += partial[index].withUnsafeBufferPointer { take(line: $0, from: index) }
                }
                partial[index] = []
                start = end + 1
            }
            if start < bytes.count, !overlong[index] {
                partial[index] += bytes[start...]
                if partial[index].count > ProgramRun.maximumLineBytes {
                    overlong[index] = true
                    partial[index] = []
                }
            }
        }
        return fresh
    }

    /// The unterminated last line of a pipe that has ended.
    private func finishLine(of index: Int) -> [MetricLine] {
        defer { partial[index] = [] }
        guard !partial[index].isEmpty, !overlong[index] else { return [] }
        if index == 1 {
            _ = note(errorLine: partial[1][...])
            return []
        }
        return partial[index].withUnsafeBufferPointer { take(line: $0, from: index) }
    }

    /// Keeps the last non-blank line of stderr, looking only at the end of each chunk.
    private func splitErrors(_ chunk: ArraySlice<UInt8>) -> [MetricLine] {
        chunk.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            func offset(_ pointer: UnsafeRawPointer) -> Int { pointer.assumingMemoryBound(to: UInt8.self) - base }
            guard let lastNewline = sweep_last_byte(base, 0x0A, bytes.count).map(offset) else {
                keepHead(of: bytes[...])  // the line in progress goes on
                return
            }
            // Back over this chunk's complete lines, from the last, to the first that is not blank.
            var end = lastNewline
            var found = false
            while end > 0, let previous = sweep_last_byte(base, 0x0A, end).map(offset) {
                if note(errorLine: bytes[(previous + 1)..<end].prefix(ProgramRun.errorLineHead)) {
                    found = true
                    break
                }
                end = previous
            }
            if !found {
                // Then it is the first line here, which began in an earlier chunk.
                keepHead(of: bytes[..<end])
                _ = note(errorLine: partial[1][...])
            }
            partial[1] = []
            keepHead(of: bytes[(lastNewline + 1)...])
        }
        return []
    }

    /// How much of a stderr line is kept: a reason shows its first 500 characters.
    private static let errorLineHead = 2048

    private func keepHead(of bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        let room = ProgramRun.errorLineHead - partial[1].count
        if room > 0 { partial[1] += bytes.prefix(room) }
    }

    /// Sets `lastErrorLine` from `bytes` if they are not blank; says whether they were not.
    private func note<Bytes: Collection>(errorLine bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        let trimmed = String(decoding: bytes, as: UTF8.self).trimmingTrailingSpace
        guard !trimmed.isEmpty else { return false }
        lastErrorLine = String(trimmed.prefix(500))
        return true
    }

    private func take(line bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> [MetricLine] {
        // Only a line that starts (after spaces) with `{` can be metrics: decode nothing else.
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), bytes[first] == UInt8(ascii: "{") else { return [] }
        guard var line = MetricLine.parse(Substring(String(decoding: bytes, as: UTF8.self))) else { return [] }
        for name in line.values.map(\.name) where printedNames.count < ProgramRun.maximumNames && !printedNames.contains(name) {
            printedNames.append(String(name.prefix(100)))
        }
        // On stdout only a line with the sweep's metric counts; other JSON is logging.
        if diverged || (index == 0 && line.value(limits.metric) == nil) { return [] }
        if line.epoch == nil { line.epoch = (lines.last?.epoch ?? 0) + 1 }
        lines.append(line)
        if let value = line.value(limits.metric), !value.isFinite { diverged = true }
        return [line]
    }

    /// How the run ended, in a few words for its log's header: "exit 0", "stopped, killed by signal
    /// 15", "timeout, killed by signal 9", with the leftover note.
    public var endDescription: String {
        var text: String
        switch end {
        case .exited(let code): text = "exit \(code)"
        case .signaled(let signal): text = "killed by signal \(signal)"
        case .notStarted(let code): text = "could not start: \(String(cString: strerror(code)))"
        case nil: text = "running"
        }
        switch outcome {
        case .stopped: text = "stopped, " + text
        case .diverged: text = "diverged (\(limits.metric) not finite), " + text
        case .failed("timeout"): text = "timeout, " + text
        default: break
        }
        return leftoverNote.map { text + "; " + $0 } ?? text
    }

    /// What the program printed instead of the metric: " (it printed val_loss, acc: did you mean
    /// val_loss?)", or nothing when it printed no numbers in JSON lines.
    private var printedHint: String {
        guard !printedNames.isEmpty else { return "" }
        let guess = Suggestion.didYouMean(limits.metric, in: printedNames).map { ": " + $0 } ?? ""
        return " (it printed \(printedNames.joined(separator: ", "))\(guess))"
    }

    /// The row's words for what the supervisor had to end besides the program.
    static func note(_ leftovers: (ended: Int, killed: Int), grace: Double) -> String? {
        func processes(_ count: Int) -> String { count == 1 ? "1 process" : "\(count) processes" }
        let seconds = grace == grace.rounded() && abs(grace) < 1e9 ? String(Int(grace)) : String(grace)
        let after = "after the \(seconds) s grace"
        switch (leftovers.ended, leftovers.killed) {
        case (0, 0): return nil
        case (let ended, 0): return "it left \(processes(ended)) running; ended with SIGTERM"
        case (0, let killed): return "\(processes(killed)) it started ignored SIGTERM and \(killed == 1 ? "was" : "were") killed \(after)"
        case (let ended, let killed):
            return "it left \(processes(ended)) running; \(killed) ignored SIGTERM and \(killed == 1 ? "was" : "were") killed \(after)"
        }
    }

    private func decide(_ end: ProgramProcess.End) -> Outcome {
        let because = lastErrorLine.isEmpty ? "" : ": \(lastErrorLine)"
        if diverged { return .diverged }
        if timedOut { return .failed("timeout") }
        if stopRequested != nil { return .stopped }
        switch end {
        case .notStarted(let code): return .failed("could not start: \(String(cString: strerror(code)))")
        case .signaled(let signal): return .failed("killed by signal \(signal)\(because)")
        case .exited(let code) where code != 0: return .failed("exit \(code)\(because)")
        case .exited:
            guard lines.contains(where: { $0.value(limits.metric) != nil }) else {
                return .failed("exited 0 without printing \(limits.metric)" + printedHint)
            }
            return .completed
        }
    }

    /// Runs to the end on this thread (for `sweep try` and tests): waits on the pipes and services
    /// them, stops the program once `shouldStop` says so, and hands each metric line to `onLine`.
    public func wait(clock: ContinuousClock = ContinuousClock(), shouldStop: () -> Bool = { false },
                     onLine: (MetricLine) -> Void = { _ in }) -> Outcome {
        while outcome == nil {
            if shouldStop() { stop(now: clock.now) }
            var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if fds.isEmpty { usleep(5000) } else { _ = poll(&fds, nfds_t(fds.count), 20) }
            service(now: clock.now).forEach(onLine)
        }
        return outcome!
    }
}

extension String {
    var trimmingTrailingSpace: Substring {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}

#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

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

        public init(metric: String, maxSeconds: Double? = nil, stopGraceSeconds: Double = 10,
                    logCapacity: Int = TrialLog.defaultCapacity) {
            self.metric = metric
            self.maxSeconds = maxSeconds
            self.stopGraceSeconds = stopGraceSeconds
            self.logCapacity = logCapacity
        }
    }

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
    /// How it ended, once it has.
    public private(set) var outcome: Outcome?
    /// The program's end as the supervisor reported it.
    public private(set) var end: ProgramProcess.End?

    /// Starts the program.
    public init(executable: String, argv: [String], environment: [String: String], directory: String?,
                limits: Limits, now: ContinuousClock.Instant) throws(Errno) {
        self.limits = limits
        self.started = now
        self.log = TrialLog(capacity: limits.logCapacity)
        process = try ProgramProcess(executable: executable, argv: argv, environment: environment, directory: directory,
                                     graceMilliseconds: Int(limits.stopGraceSeconds * 1000))
    }

    /// The descriptors to wait on (poll for input), while any is open.
    public var descriptors: [Int32] {
        ProgramProcess.Output.allCases.filter { open[$0.rawValue] }.map { process.descriptor($0) }
    }

    /// The process group, for signals.
    public var group: pid_t { process.group }

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
                if !partial[output.rawValue].isEmpty, !overlong[output.rawValue] {
                    fresh += take(line: partial[output.rawValue][...], from: output.rawValue)
                }
            }
            self.end = end
            outcome = decide(end)
        }
        return fresh
    }

    private func drain(readsPerPipe: Int) -> [MetricLine] {
        var fresh: [MetricLine] = []
        var chunk: [UInt8] = []
        chunk.reserveCapacity(65536)
        for output in ProgramProcess.Output.allCases where open[output.rawValue] {
            let index = output.rawValue
            var reads = 0
            while reads < readsPerPipe {
                reads += 1
                chunk.removeAll(keepingCapacity: true)
                guard let got = process.read(output, into: &chunk, limit: 65536) else { break }
                if got == 0 {
                    open[index] = false
                    if !partial[index].isEmpty, !overlong[index] { fresh += take(line: partial[index][...], from: index) }
                    partial[index] = []
                    break
                }
                if output != .metrics { log.append(chunk) }
                fresh += split(chunk, from: index)
            }
        }
        return fresh
    }

    /// Splits fresh bytes into lines; whole lines of stdout or the metrics pipe may be metrics.
    private func split(_ chunk: [UInt8], from index: Int) -> [MetricLine] {
        var fresh: [MetricLine] = []
        var start = 0
        for position in chunk.indices where chunk[position] == 0x0A {
            if overlong[index] {
                overlong[index] = false
            } else {
                partial[index] += chunk[start..<position]
                fresh += take(line: partial[index][...], from: index)
            }
            partial[index] = []
            start = position + 1
        }
        if start < chunk.count, !overlong[index] {
            partial[index] += chunk[start...]
            if partial[index].count > ProgramRun.maximumLineBytes {
                overlong[index] = true
                partial[index] = []
            }
        }
        return fresh
    }

    private func take(line bytes: ArraySlice<UInt8>, from index: Int) -> [MetricLine] {
        let text = String(decoding: bytes, as: UTF8.self)
        if index == 1 {
            let trimmed = text.trimmingTrailingSpace
            if !trimmed.isEmpty { lastErrorLine = String(trimmed.prefix(500)) }
            return []
        }
        guard var line = MetricLine.parse(Substring(text)) else { return [] }
        // On stdout only a line with the sweep's metric counts; other JSON is logging.
        if index == 0 && line.value(limits.metric) == nil { return [] }
        if line.epoch == nil { line.epoch = (lines.last?.epoch ?? 0) + 1 }
        lines.append(line)
        return [line]
    }

    private func decide(_ end: ProgramProcess.End) -> Outcome {
        let because = lastErrorLine.isEmpty ? "" : ": \(lastErrorLine)"
        if timedOut { return .failed("timeout") }
        if stopRequested != nil { return .stopped }
        switch end {
        case .notStarted(let code): return .failed("could not start: \(String(cString: strerror(code)))")
        case .signaled(let signal): return .failed("killed by signal \(signal)\(because)")
        case .exited(let code) where code != 0: return .failed("exit \(code)\(because)")
        case .exited:
            guard lines.contains(where: { $0.value(limits.metric) != nil }) else {
                return .failed("exited 0 without printing \(limits.metric)")
            }
            return .completed
        }
    }

    /// Runs to the end on this thread (for `sweep try` and tests): waits on the pipes, services.
    public func wait(clock: ContinuousClock = ContinuousClock(), onLines: ([MetricLine]) -> Void = { _ in }) -> Outcome {
        while outcome == nil {
            var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 50) }
            if fds.isEmpty { usleep(5000) }
            let lines = service(now: clock.now)
            if !lines.isEmpty { onLines(lines) }
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

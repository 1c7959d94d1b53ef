import Foundation

/// Process-table helpers for tests that start real processes, and the tests' one way to wait for
/// something to happen.
public enum Processes {
    /// Pids whose parent is `parent`, from /proc.
    public static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }
    }

    /// SIGKILLs `pid` and its children (a coordinator and its workers: no word, ever again); returns the children.
    @discardableResult
    public static func killWithChildren(_ pid: Int32) -> [Int32] {
        let children = children(of: pid)
        kill(pid, SIGKILL)
        for child in children { kill(child, SIGKILL) }
        return children
    }

    /// Whether `pid` is a live (not zombie) process.
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// Resident set size of `pid` in kB (VmRSS), or nil.
    public static func residentKilobytes(_ pid: Int32) -> Int? { status(pid, "VmRSS") }

    /// Peak resident set size of `pid` in kB (VmHWM), or nil.
    public static func peakResidentKilobytes(_ pid: Int32) -> Int? { status(pid, "VmHWM") }

    private static func status(_ pid: Int32, _ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }

    /// Checks `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
    /// Between checks the test is suspended, not sleeping on a thread; the condition itself runs on
    /// the test's task, so it must be quick (reading a file, /proc) or await what is slow
    /// (`SweepBinary.run`). A cancelled test (its time limit passed) stops waiting at once.
    public static func await(seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        while clock.now < deadline {
            if await condition() { return true }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
        }
        return await condition()
    }
}

extension Process {
    /// Waits for the process to end without holding a thread: checks every 20 ms, as Foundation's
    /// `waitUntilExit()` does on Linux, but suspended rather than spinning the calling thread's run
    /// loop. Throws `CancellationError` when the test is cancelled (its time limit passed), so that
    /// nothing reads the status of a process that is still running.
    public func waitForExit() async throws {
        while isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

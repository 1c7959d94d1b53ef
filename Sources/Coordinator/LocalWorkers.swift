import Foundation

/// Worker processes started on this machine by `sweep run`, and reaped when it ends.
public final class LocalWorkers {
    private var processes: [Process] = []

    /// Starts `count` copies of `executable` with `arguments(i)`; they inherit stderr.
    public init(count: Int, executable: URL, environment: [String: String] = [:],
                arguments: (Int) -> [String]) throws {
        for index in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments(index)
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
    }

    /// Process ids, in start order.
    public var pids: [Int32] { processes.map(\.processIdentifier) }

    /// How many are still running.
    public var runningCount: Int { processes.filter(\.isRunning).count }

    /// Waits up to `timeout` for all to exit by themselves, then sends SIGTERM, and finally SIGKILL,
    /// so no worker outlives `sweep run`.
    public func stop(after timeout: Duration) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while runningCount > 0 && clock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        for process in processes where process.isRunning { process.terminate() }
        let killDeadline = clock.now + .seconds(2)
        while runningCount > 0 && clock.now < killDeadline { Thread.sleep(forTimeInterval: 0.02) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }

    /// The path of the running executable.
    public static var currentExecutable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }
}

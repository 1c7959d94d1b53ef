import Foundation

/// The tests' one way to run a program: to completion with its output collected, or in the
/// background with its output in files.
public enum ProcessRunner {
    /// How a run ended and what it printed.
    public struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// Runs `executable arguments…` to completion. Both pipes are read to the end before waiting, so a
    /// chatty child never blocks on a full pipe; `mergeOutput` sends stderr to stdout. The reading and
    /// waiting happen on a thread of their own (`OffThread`), never on one of Swift Testing's.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           directory: String? = nil, mergeOutput: Bool = false) async throws -> Outcome {
        try await OffThread.run {
            try runToEnd(executable, arguments, environment: environment, directory: directory, mergeOutput: mergeOutput)
        }
    }

    /// `run`'s work, which blocks the calling thread until the child has ended.
    private static func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String],
                                 directory: String?, mergeOutput: Bool) throws -> Outcome {
        let process = Process()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = mergeOutput ? out : err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var stderrData = Data()
        if !mergeOutput {
            group.enter()
            DispatchQueue.global().async {
                stderrData = err.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus
                                                                             : process.terminationStatus,
                       stdout: String(decoding: stdoutData, as: UTF8.self),
                       stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Starts `executable arguments…` in `directory` without waiting; its output goes to
    /// `<log>stdout.log` and `<log>stderr.log` there.
    public static func start(_ executable: URL, _ arguments: [String], directory: String, log: String = "",
                             environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        let (out, err) = (directory + "/\(log)stdout.log", directory + "/\(log)stderr.log")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        return process
    }
}

/// The built `sweep` executable, run as a user would.
public enum SweepBinary {
    public typealias Outcome = ProcessRunner.Outcome

    /// The executable next to the test bundle (`.build/<config>/sweep`).
    public static let url: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug"),
        ]
        for directory in candidates {
            var url = directory.appendingPathComponent("sweep")
            // Inside an .xctest bundle directory the products are one level up.
            if !FileManager.default.isExecutableFile(atPath: url.path) {
                url = directory.deletingLastPathComponent().appendingPathComponent("sweep")
            }
            if FileManager.default.isExecutableFile(atPath: url.path) { return url.standardizedFileURL }
        }
        fatalError("the sweep executable was not built next to the tests (looked in \(candidates))")
    }()

    /// The release build beside the debug one (`.build/release/sweep`, which `Scripts/test` makes
    /// first), if it is there: for tests that train the full data, as the README's main job does.
    public static let releaseURL: URL? = {
        let release = url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("release/sweep")
        return FileManager.default.isExecutableFile(atPath: release.path) ? release.standardizedFileURL : nil
    }()

    /// Runs `sweep arguments…` to completion (awaited off Swift Testing's threads).
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           directory: String? = nil) async throws -> Outcome {
        try await ProcessRunner.run(url, arguments, environment: environment, directory: directory)
    }

    /// Starts `sweep arguments…` without waiting (inside network namespace `namespace`, if given);
    /// output goes to files in `directory`.
    public static func start(_ arguments: [String], directory: String, log: String = "", namespace: String? = nil,
                             environment: [String: String] = [:]) throws -> Process {
        if let namespace {
            return try ProcessRunner.start(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "exec", namespace, url.path] + arguments,
                                           directory: directory, log: log, environment: environment)
        }
        return try ProcessRunner.start(url, arguments, directory: directory, log: log, environment: environment)
    }
}

import Foundation

/// A fresh directory for one test, removed when the test lets go of it.
public final class Scratch: Sendable {
    /// The directory.
    public let path: String

    /// Creates `$TMPDIR/<prefix>-<uuid>`.
    public init(_ prefix: String = "sweep-test") {
        path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `text` to `name` (creating folders on the way).
    public func write(_ text: String, to name: String) {
        try! FileManager.default.createDirectory(atPath: (file(name) as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }

    /// Writes `text` to `name` as an executable (0755) for a test to run. Written by `install`, not by
    /// this process: a file this process has open for writing is inherited by whatever another test
    /// forks at that moment, and running it then fails with ETXTBSY until that child lets go.
    public func writeExecutable(_ text: String, to name: String) async throws {
        write(text, to: name + ".source")
        let install = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/install"),
                                                  ["-m", "755", file(name + ".source"), file(name)])
        guard install.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: install.stderr]) }
    }

    /// Appends `text` to `name`.
    public func append(_ text: String, to name: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file(name)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// The text of `name`, or "" if it cannot be read.
    public func text(_ name: String) -> String { (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? "" }

    /// The lines of a CSV file after its header (for counting rows; read fields through `Results`).
    public func rows(_ name: String) -> [Substring] { text(name).split(separator: "\n").dropFirst().map { $0 } }

    /// Whether `name` exists.
    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }
}

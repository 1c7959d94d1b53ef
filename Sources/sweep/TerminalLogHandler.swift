import Foundation
import Logging

/// How the libraries' logs (swift-log) reach a person: one line each on stderr, after a prefix
/// (`sweep worker vm:4242: `), as the workers have always printed them; below `logLevel`, nothing.
struct TerminalLogHandler: LogHandler {
    let prefix: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        FileHandle.standardError.write(Data("\(prefix)\(event.message)\n".utf8))
    }
}

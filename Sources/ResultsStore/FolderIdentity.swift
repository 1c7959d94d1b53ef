import Foundation
import SystemCalls

/// What a results folder says about itself in `sweep.json`: an id made when the folder was made, so
/// that a folder started again (`--fresh`, or by hand) is told apart from the one before it (a
/// program trial's `$SWEEP_TRIAL_DIR` is `<trial root>/<sweep>/<id>/<trial>`, new for each folder).
public struct FolderIdentity: Codable, Equatable, Sendable {
    /// Twelve hex digits, random; empty for a folder made before ids were kept (its trials keep the
    /// folders they had: `<trial root>/<sweep>/<trial>`).
    public var id: String
    /// When the folder was made (ISO 8601, UTC), or when its id was first written.
    public var created: String
    /// The sweep's name: its `name:`, else its file's name without the extension (nil in a folder
    /// written before names were kept: read the folder's own name then, as `name(of:)` does).
    public var name: String?

    /// The file's name.
    public static let fileName = "sweep.json"

    /// A new identity.
    public static func make(now: Date = Date()) -> FolderIdentity {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return FolderIdentity(id: id, created: ISO8601DateFormatter().string(from: now), name: nil)
    }

    /// What `directory` says about itself, if it says anything (readers: no lock, nothing written).
    public static func read(_ directory: String) -> FolderIdentity? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(FolderIdentity.self, from: data)
    }

    /// The name of the sweep in `directory`: as its `sweep.json` says, else the folder's own name.
    public static func name(of directory: String) -> String {
        read(directory)?.name ?? ((directory as NSString).standardizingPath as NSString).lastPathComponent
    }

    /// The identity in `directory`, made (and written durably) if it has none, its id empty for a
    /// folder that already holds trials (so their folders stay where they were); `name` is kept if
    /// the folder has none yet.
    static func load(_ directory: String, hadTrials: Bool, name: String?) throws(StoreError) -> FolderIdentity {
        let path = (directory as NSString).appendingPathComponent(fileName)
        var identity: FolderIdentity
        if let data = FileManager.default.contents(atPath: path),
           let read = try? JSONDecoder().decode(FolderIdentity.self, from: data) {
            // The name is the first sweep's that ran here; a folder written before names were kept learns it now.
            guard read.name == nil, let name else { return read }
            identity = read
            identity.name = name
        } else {
            identity = make()
            identity.name = name
            if hadTrials { identity.id = "" }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try Directory.replace(path, with: Array(try! encoder.encode(identity)) + [0x0A])
        } catch {
            throw .system(error)
        }
        return identity
    }
}

import Foundation
import ResultsStore

/// The sweeps `sweep serve` shows: each folder given that holds a sweep, and each folder directly
/// inside a given one that does (`Results/` lists every sweep run there). Looked for again on every
/// listing, so a sweep started after the server shows up.
public struct SweepSite: Sendable {
    /// One sweep: the name its page is under, and its results folder.
    public struct Sweep: Sendable, Equatable {
        public var name: String
        public var path: String
    }

    /// The folders given.
    public let roots: [String]

    /// A site over `roots`.
    public init(roots: [String]) { self.roots = roots }

    /// Whether `path` is a results folder (it holds the sweep's file or its trials).
    static func isSweep(_ path: String) -> Bool {
        let folder = ResultsDirectory(path)
        return FileManager.default.fileExists(atPath: folder.sweepFile) || FileManager.default.fileExists(atPath: folder.trials)
    }

    /// The sweeps now, in the order given (a root's own folders by name); a name met twice gets `-2`, `-3`, ….
    public var sweeps: [Sweep] {
        var found: [Sweep] = []
        var names: [String: Int] = [:]
        func add(_ path: String) {
            let base = (path as NSString).lastPathComponent
            let count = (names[base] ?? 0) + 1
            names[base] = count
            found.append(Sweep(name: count == 1 ? base : "\(base)-\(count)", path: path))
        }
        for root in roots {
            let trimmed = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
            if Self.isSweep(trimmed) {
                add(trimmed)
                continue
            }
            let children = (try? FileManager.default.contentsOfDirectory(atPath: trimmed)) ?? []
            for child in children.sorted() where !child.hasPrefix(".") {
                let path = (trimmed as NSString).appendingPathComponent(child)
                if Self.isSweep(path) { add(path) }
            }
        }
        return found
    }

    /// The sweep named `name`, if there is one.
    public func sweep(named name: String) -> Sweep? { sweeps.first { $0.name == name } }
}

/// What changes as a sweep runs, cheaply read: the sizes and modification times of the files its
/// report is made of (the trials, their epochs, held results, `timeline.csv`, `runs.csv`) and of
/// `coordinator.json`. A change of any is worth telling open pages.
struct FolderSignature: Equatable, Sendable {
    var stamps: [Int64]

    /// As the event stream and the page carry it.
    var text: String { stamps.map(String.init).joined(separator: "-") }

    init(_ path: String) {
        let folder = ResultsDirectory(path)
        stamps = [folder.trials, folder.file("epochs.csv"), folder.file("metrics.csv"), folder.held, folder.timeline, folder.runs,
                  folder.coordinator].flatMap { file in
            var info = stat()
            guard stat(file, &info) == 0 else { return [Int64(-1), Int64(-1)] }
            return [Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)]
        }
    }
}

import Foundation
import SystemCalls
import Sweeping
import SweepFiles

/// A results folder knows its sweep: every version of the sweep file that ran there is kept
/// (`sweep.yaml` the latest, `sweep.1.yaml`, `sweep.2.yaml`, … before it), and a sweep is admitted
/// only if its definition (`SweepDefinition`) is one of theirs, or on purpose (`--extend`).
extension ResultStore {
    /// The sweep files that ran in `directory`, oldest first (`sweep.yaml`, the latest, last).
    public static func sweepVersions(in directory: String) -> [String] {
        let names = (try? Directory.list(directory)) ?? []
        let earlier = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("sweep."), name.hasSuffix(".yaml"),
                  let number = Int(name.dropFirst("sweep.".count).dropLast(".yaml".count)) else { return nil }
            return (number, name)
        }.sorted { $0.0 < $1.0 }.map(\.1)
        let latest = ResultsDirectory.sweepFileName
        return (earlier + (names.contains(latest) ? [latest] : [])).map { ResultsDirectory(directory).file($0) }
    }

    /// Refuses `spec` (`StoreError.anotherSweep`, naming what differs from the latest version) unless
    /// the folder is new, one of its versions defines the same sweep, none of them can be read by
    /// this version (then nothing can be told), or `extend` says to add it on purpose. Reads only.
    public static func admit(_ spec: SweepSpec, to directory: String, extend: Bool) throws(StoreError) {
        guard !extend else { return }
        let definitions = sweepVersions(in: directory).compactMap { path in
            (try? SweepSpec(contentsOf: path, checkFiles: false)).map(SweepDefinition.init)
        }
        let mine = SweepDefinition(spec)
        guard let latest = definitions.last, !definitions.contains(mine) else { return }
        throw .anotherSweep(directory: directory, differences: mine.differences(from: latest))
    }

    /// Records the spec as run: `sweep.yaml` becomes `text`, and the one it replaces, if it differs,
    /// is kept beside it as the next `sweep.N.yaml`; each written atomically and durably.
    public func writeSpec(_ text: String) throws(StoreError) {
        let latest = ResultsDirectory(directory).sweepFile
        if let old = FileManager.default.contents(atPath: latest), old == Data(text.utf8) { return }
        do {
            if Directory.exists(latest) {
                let numbers = ResultStore.sweepVersions(in: directory).compactMap {
                    Int((($0 as NSString).lastPathComponent).dropFirst("sweep.".count).dropLast(".yaml".count))
                }
                let earlier = ResultsDirectory(directory).sweepVersion((numbers.max() ?? 0) + 1)
                try Directory.rename(latest, to: earlier)
                try Directory.sync(directory)
            }
            try Directory.replace(latest, with: Array(text.utf8))
        } catch {
            throw .system(error)
        }
    }
}

import Foundation
import Sweeping
import SweepFiles

/// A results folder's paths: every file and folder a sweep keeps there, each name spelled once.
///
/// What is written where, and how, lives beside: rows go through `ResultStore` (appends under the
/// lock, fsync before any ack, quarantine instead of delete), checkpoints and models through
/// `CheckpointStore`, and every whole-file write is SystemCalls' `Directory.replace` (temporary file,
/// fsync, rename, fsync of the folder). Readers that only look (`rank`, `status`, `report`) take
/// their paths from here too, so a renamed file is one edit.
public struct ResultsDirectory: Hashable, Sendable {
    /// The folder.
    public let path: String

    /// The results folder at `path`.
    public init(_ path: String) {
        self.path = path
    }

    /// One row per trial (the record).
    public var trials: String { file("trials.csv") }
    /// One row per epoch (the built-in trainer's `epochs.csv`, a program's `metrics.csv`), as `layout` says.
    public func epochs(_ layout: RecordLayout) -> String { file(layout.epochFile) }
    /// Rows moved aside: `failed.csv` (`--retry-failed`), `beyond.csv` (after the sweep's end).
    public func movedRows(_ place: String) -> String { file("\(place).csv") }
    /// The epochs of rows moved aside.
    public func movedEpochs(_ place: String, _ layout: RecordLayout) -> String { file("\(place)-\(layout.epochFile)") }
    /// Results whose rows wait for earlier decisions.
    public var held: String { file("held.jsonl") }
    /// What happened to each trial when, and on which worker (`Timeline`): not a record, not fsync'ed.
    public var timeline: String { file("timeline.csv") }
    /// One row per run of `sweep run` or `sweep coordinator` here.
    public var runs: String { file("runs.csv") }
    /// The latest version of the sweep file that ran here (earlier ones are `sweepVersion(_:)`).
    public var sweepFile: String { file(ResultsDirectory.sweepFileName) }
    /// The file name of the latest sweep file.
    public static let sweepFileName = "sweep.yaml"
    /// An earlier version of the sweep file.
    public func sweepVersion(_ number: Int) -> String { file("sweep.\(number).yaml") }
    /// The folder's identity (`FolderIdentity`).
    public var identity: String { file(FolderIdentity.fileName) }
    /// The lock a coordinator holds while it runs here.
    public var lock: String { file(ResultStore.lockName) }
    /// The HTML report.
    public var report: String { file("report.html") }
    /// Where the running coordinator says how to reach it (`sweep status`).
    public var coordinator: String { file("coordinator.json") }
    /// Program trials' logs, one file per trial.
    public var logs: String { file("logs") }
    /// Checkpoints of trials in flight.
    public var checkpoints: String { file("checkpoints") }
    /// Kept models.
    public var models: String { file("models") }

    /// `name` inside the folder.
    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }
}

extension SweepSpec {
    /// The spec a results folder keeps (`sweep.yaml`, as run), if it is there and reads.
    public static func stored(in directory: String) -> SweepSpec? {
        try? SweepSpec(contentsOf: ResultsDirectory(directory).sweepFile, checkFiles: false)
    }
}

extension RecordLayout {
    /// The layout of a results folder's records, given the sweep it keeps (`SweepSpec.stored(in:)`):
    /// that sweep's; without one (a folder written before the sweep file was kept, or whose copy does
    /// not read), the built-in trainer's, as such folders have always been read.
    public init(stored spec: SweepSpec?) { self = spec?.layout ?? .trainer }
}

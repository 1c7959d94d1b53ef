import Foundation
import SystemCalls
import Training
import SweepCore
import Sweeping

/// The results of one sweep on disk, written by one process at a time: `trials.csv` (a row per
/// finished trial), `epochs.csv` (a row per trial-epoch; a program sweep's `metrics.csv`, a row per
/// trial, epoch and figure: see `RecordLayout`), `sweep.yaml` (the spec as run) and `runs.csv` (a
/// row per run). Append-only; each batch is written, flushed and fsync'ed before
/// `append` returns, so an acknowledged result survives a crash or power loss. Nothing recorded is
/// ever deleted: rows that cannot stay go to a quarantine file, failed rows retried go to `failed.csv`.
///
/// Opening the store takes an advisory lock (`flock` on `lock` in the directory) for the store's
/// life: a second writer is refused with the holder's pid and host, and a dead holder never blocks
/// (the kernel drops its lock). Readers (`readTrials`, `readEpochs`, `readRuns`) need no lock.
public final class ResultStore {
    /// The directory, e.g. `Results/quickstart`.
    public let directory: String
    /// Recorded trials in file order.
    public private(set) var records: [TrialRecord] = []
    /// Ids of recorded trials.
    public private(set) var recordedIDs: Set<String> = []
    /// Results kept in `held.jsonl` whose rows are not written yet (see `HeldResult`).
    public private(set) var held: [HeldResult] = []
    /// The files' columns.
    public let layout: RecordLayout
    /// What the folder says about itself (`sweep.json`).
    public let identity: FolderIdentity

    private let lock: FileDescriptor
    private var trials: CSVFile
    private var epochs: CSVFile

    /// The lock file's name.
    public static let lockName = "lock"

    /// Opens (creating if needed) the store in `directory`, taking its lock. Rows that cannot stay —
    /// an unterminated last line left by a crash, a malformed or duplicated row anywhere, epoch rows of
    /// trials that were never recorded — are moved to `<file>.quarantine.csv` with their line number
    /// and byte offset, and reported through `warn`; every other row is kept as it was. With `sweep`,
    /// a folder that holds another sweep is refused (see `admit`) before anything in it is changed.
    public init(directory: String, layout: RecordLayout, sweep: SweepSpec? = nil, extend: Bool = false,
                warn: (String) -> Void = { _ in }) throws(StoreError) {
        self.directory = directory
        self.layout = layout
        // Asked before anything is written, and again under the lock (another run may have come between).
        if let sweep { try ResultStore.admit(sweep, to: directory, extend: extend) }
        do {
            try Directory.create(directory)
        } catch {
            throw .system(error)
        }
        lock = try ResultStore.takeLock(directory)
        if let sweep { try ResultStore.admit(sweep, to: directory, extend: extend) }
        identity = try FolderIdentity.load(directory, hadTrials: Directory.exists(ResultsDirectory(directory).trials),
                                           name: sweep?.name)
        let header = Dictionary(uniqueKeysWithValues: layout.columns.enumerated().map { ($1, $0) })
        var records: [TrialRecord] = []
        var firstLine: [String: Int] = [:]
        trials = try CSVFile(path: ResultsDirectory(directory).trials, columns: layout.columns, warn: warn) { row in
            let record: TrialRecord
            do throws(RecordError) {
                record = try TrialRecord(fields: row.fields, header: header, layout: layout)
            } catch {
                return "row \(error.description)"
            }
            if let line = firstLine[record.id] { return "a second row for trial \(record.id) (the first is line \(line))" }
            firstLine[record.id] = row.line
            records.append(record)
            return nil
        }
        self.records = records
        recordedIDs = Set(records.map(\.id))
        var seen = Set<String>()
        let recorded = recordedIDs
        held = ResultStore.readHeld(directory, warn: warn).filter { !recorded.contains($0.trial) }
        epochs = try CSVFile(path: ResultsDirectory(directory).epochs(layout), columns: layout.epochColumns,
                             warn: warn) { row in
            guard let epoch = layout.epochRow(row.fields) else {
                return "not an epoch row (\(layout.epochColumns.joined(separator: ", ")))"
            }
            guard recorded.contains(epoch.trial) else {
                return "an epoch of trial \(epoch.trial), which was interrupted before its result was recorded"
            }
            let what = epoch.name.map { "\($0) at epoch \(epoch.epoch)" } ?? "epoch \(epoch.epoch)"
            guard seen.insert(row.fields.prefix(epoch.name == nil ? 2 : 3).joined(separator: ",")).inserted else {
                return "a second row for \(what) of trial \(epoch.trial)"
            }
            return nil
        }
    }

    /// Records a finished trial: its epochs first, then its row, each durably. Returns false (and
    /// writes nothing) when the trial is already recorded: results are recorded exactly once.
    @discardableResult
    public func append(_ record: TrialRecord, epochs: [EpochMetrics]) throws(StoreError) -> Bool {
        try append(contentsOf: [(record, epochs)]) == 1
    }

    /// Records several finished trials with one fsync per file (group commit): all their epoch rows,
    /// then all their trial rows. Trials already recorded (or repeated in the batch) are skipped.
    /// Returns how many were recorded. Nothing may be acknowledged before this returns. If a write
    /// fails (ENOSPC, EIO), both files are cut back to where they were, so no reader sees a torn row.
    @discardableResult
    public func append(contentsOf batch: [(record: TrialRecord, epochs: [EpochMetrics])]) throws(StoreError) -> Int {
        var seen = Set<String>()
        let fresh = batch.filter { !recordedIDs.contains($0.record.id) && seen.insert($0.record.id).inserted }
        guard !fresh.isEmpty else { return 0 }
        var epochLines = ""
        for (record, epochs) in fresh {
            for row in layout.epochRows(trial: record.id, epochs) { epochLines += CSV.line(row) }
        }
        let epochsLength = epochs.durableLength
        if !epochLines.isEmpty { try epochs.append(epochLines) }
        do {
            try trials.append(fresh.map { CSV.line($0.record.fields) }.joined())
        } catch {
            epochs.rollBack(to: epochsLength)
            throw error
        }
        for (record, _) in fresh {
            records.append(record)
            recordedIDs.insert(record.id)
        }
        held.removeAll { recordedIDs.contains($0.trial) }
        return fresh.count
    }

    /// Where rows moved out of `trials.csv` and `epochs.csv` go (never deleted).
    public enum SetAside: String, Sendable {
        /// `failed.csv` and `failed-epochs.csv`: earlier attempts of failed trials run again (`--retry-failed`).
        case failed
        /// `beyond.csv` and `beyond-epochs.csv`: trials that finished after earlier ones had ended the sweep
        /// (its target reached, its epoch budget spent), so they are not part of it.
        case beyondEnd = "beyond"
    }

    /// Keeps results whose rows cannot be written yet, durably, in `held.jsonl` (appended, never
    /// rewritten; a held result whose row is written later is simply passed over when read).
    public func hold(_ results: [HeldResult]) throws(StoreError) {
        guard !results.isEmpty else { return }
        try CSVFile.appendCreating(results.map(\.line).joined(), to: ResultsDirectory(directory).held, columns: nil)
        held += results
    }

    /// The readable lines of `held.jsonl` (a torn last line, or any other damage, is passed over with a warning).
    static func readHeld(_ directory: String, warn: (String) -> Void) -> [HeldResult] {
        let path = ResultsDirectory(directory).held
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var results: [HeldResult] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            if let result = HeldResult(line: line) { results.append(result) } else { warn("\(path):\(index + 1): passing over a line that is not a held result") }
        }
        return results
    }

    /// Moves the rows of the given trials out of `trials.csv` and `epochs.csv` into the files of
    /// `place` beside them. Returns how many trials were moved.
    @discardableResult
    public func moveAside(_ ids: Set<String>, to place: SetAside) throws(StoreError) -> Int {
        func trial(_ line: String) -> String { String(line.prefix { $0 != "," }) }
        let trialLines = try trials.lines()
        let moving = trialLines.filter { ids.contains(trial($0)) }
        guard !moving.isEmpty else { return 0 }
        let failedPath = ResultsDirectory(directory).movedRows(place.rawValue)
        // A crash between this append and the rewrite below would move the same rows again next time:
        // rows failed.csv already holds are not added twice.
        let alreadyMoved = Set((try? String(contentsOfFile: failedPath, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [])
        let newRows = moving.filter { !alreadyMoved.contains($0) }
        if !newRows.isEmpty {
            try CSVFile.appendCreating(newRows.map { $0 + "\n" }.joined(), to: failedPath, columns: layout.columns)
        }
        let epochLines = try epochs.lines()
        let movingEpochs = epochLines.filter { ids.contains(trial($0)) }
        if !movingEpochs.isEmpty {
            try CSVFile.appendCreating(movingEpochs.map { $0 + "\n" }.joined(),
                                       to: ResultsDirectory(directory).movedEpochs(place.rawValue, layout),
                                       columns: layout.epochColumns)
            try epochs.replace(with: epochLines.filter { !ids.contains(trial($0)) }, quarantined: [], warn: { _ in })
        }
        try trials.replace(with: trialLines.filter { !ids.contains(trial($0)) }, quarantined: [], warn: { _ in })
        records.removeAll { ids.contains($0.id) }
        recordedIDs.subtract(ids)
        return moving.count
    }

    /// Moves an existing results directory aside to `<directory>.<timestamp>` (never deletes);
    /// returns the new path, or nil if there was nothing to move. Refused while another process
    /// holds the directory's lock.
    public static func moveAside(_ directory: String) throws(StoreError) -> String? {
        guard Directory.exists(directory) else { return nil }
        let lock = try takeLock(directory)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        var target = directory + "." + formatter.string(from: Date())
        var suffix = 1
        while Directory.exists(target) {
            suffix += 1
            target = directory + "." + formatter.string(from: Date()) + "-\(suffix)"
        }
        do {
            try Directory.rename(directory, to: target)
        } catch {
            throw .system(error)
        }
        _ = lock.rawValue  // held until the directory has moved
        return target
    }

    /// Takes the directory's lock and writes this process's pid and host into it.
    private static func takeLock(_ directory: String) throws(StoreError) -> FileDescriptor {
        let path = ResultsDirectory(directory).lock
        do {
            let file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT)
            guard try file.tryLock() else {
                // The holder writes its pid and host just after it locks: give it a moment to.
                var holder = ""
                for _ in 0..<100 {
                    holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    if !holder.isEmpty { break }
                    usleep(10_000)
                }
                let parts = holder.split(separator: " ", maxSplits: 1)
                throw StoreError.busy(directory: directory, holder: parts.count == 2 ? "pid \(parts[0]) on \(parts[1])"
                                                                                     : "another process")
            }
            try file.truncate(to: 0)
            try file.write(Array("\(getpid()) \(ProcessInfo.processInfo.hostName)\n".utf8))
            return file
        } catch let error as StoreError {
            throw error
        } catch let error as SystemError {
            throw .system(error)
        } catch {
            throw .system(SystemError(code: EIO, operation: "lock", path: path))  // unreachable: only the two above
        }
    }

    /// Reads `trials.csv` without changing it: rows that cannot be read (and a torn last line) are
    /// skipped, each reported through `warn`; a trial's first row wins.
    public static func readTrials(_ path: String, layout: RecordLayout,
                                  warn: (String) -> Void = { _ in }) throws(StoreError) -> [TrialRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .system(SystemError(code: Directory.exists(path) ? EACCES : ENOENT, operation: "read", path: path))
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard let headerLine = lines.first, let headerFields = CSV.fields(headerLine) else { return [] }
        let header = Dictionary(headerFields.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        for column in layout.requiredColumns where header[column] == nil {
            throw .unexpectedHeader(path: path, found: headerFields.joined(separator: ","))
        }
        var result: [TrialRecord] = []
        var seen = Set<String>()
        for (index, line) in lines.enumerated().dropFirst() {
            do throws(RecordError) {
                guard let fields = CSV.fields(line) else { throw RecordError("quotes do not balance") }
                let record = try TrialRecord(fields: fields, header: header, layout: layout)
                if seen.insert(record.id).inserted { result.append(record) }
            } catch {
                warn("\(path):\(index + 1): skipping a row that cannot be read: \(error.description)")
            }
        }
        return result
    }

    /// Reads the epochs file (`epochs.csv`, or a program sweep's `metrics.csv`) without changing it:
    /// each trial's epochs in order.
    public static func readEpochs(_ path: String, layout: RecordLayout) -> [String: [EpochMetrics]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return layout.epochs(from: Array(CSV.parse(String(decoding: data, as: UTF8.self)).dropFirst()))
    }

}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Training

/// The results of one sweep on disk: `trials.csv` (a row per finished trial), `epochs.csv` (a row per
/// trial-epoch) and `sweep.yaml` (the spec as run). Append-only; each record is written, flushed and
/// fsync'ed before `append` returns, so an acknowledged result survives a crash or power loss.
public final class ResultStore {
    /// The directory, e.g. `Results/quickstart`.
    public let directory: String
    /// Recorded trials in file order.
    public private(set) var records: [TrialRecord] = []
    /// Ids of recorded trials.
    public private(set) var recordedIDs: Set<String> = []

    private let trialsFD: Int32
    private let epochsFD: Int32

    /// `epochs.csv`'s columns.
    public static let epochColumns = ["trial", "epoch", "train_loss", "test_loss", "test_accuracy", "seconds"]

    /// Opens (creating if needed) the store in `directory`. A torn last line, left by a crash in the
    /// middle of a write, is cut off and reported through `warn`; epoch rows of trials that never
    /// reached `trials.csv` are dropped the same way, so a rerun does not duplicate them.
    public init(directory: String, warn: (String) -> Void = { _ in }) throws(StoreError) {
        self.directory = directory
        try ResultStore.makeDirectory(directory)
        let trialsPath = ResultStore.path(directory, "trials.csv")
        let epochsPath = ResultStore.path(directory, "epochs.csv")
        trialsFD = try ResultStore.openAppending(trialsPath)
        do {
            epochsFD = try ResultStore.openAppending(epochsPath)
        } catch {
            close(trialsFD)
            throw error
        }
        do throws(StoreError) {
            let trialRows = try ResultStore.recover(fd: trialsFD, path: trialsPath, columns: TrialRecord.columns, warn: warn)
            let header = Dictionary(uniqueKeysWithValues: TrialRecord.columns.enumerated().map { ($1, $0) })
            for (number, fields) in trialRows {
                let record: TrialRecord
                do {
                    record = try TrialRecord(fields: fields, header: header)
                } catch {
                    throw StoreError.badRow(path: trialsPath, line: number, reason: error.description)
                }
                // A duplicate cannot come from this writer; if a hand edit made one, the first stays.
                if recordedIDs.insert(record.id).inserted { records.append(record) }
            }
            let epochRows = try ResultStore.recover(fd: epochsFD, path: epochsPath, columns: ResultStore.epochColumns, warn: warn)
            let orphans = epochRows.filter { !recordedIDs.contains($0.fields.first ?? "") }
            if !orphans.isEmpty {
                warn("\(epochsPath): dropping \(orphans.count) epoch rows of trials that were interrupted before they were recorded")
                let kept = epochRows.filter { recordedIDs.contains($0.fields.first ?? "") }.map(\.fields)
                try ResultStore.rewrite(fd: epochsFD, path: epochsPath, columns: ResultStore.epochColumns, rows: kept)
            }
        } catch {
            close(trialsFD)
            close(epochsFD)
            throw error
        }
    }

    deinit {
        close(trialsFD)
        close(epochsFD)
    }

    /// Records a finished trial: its epochs first, then its row, each durably. Returns false (and
    /// writes nothing) when the trial is already recorded: results are recorded exactly once.
    @discardableResult
    public func append(_ record: TrialRecord, epochs: [EpochMetrics]) throws(StoreError) -> Bool {
        try append(contentsOf: [(record, epochs)]) == 1
    }

    /// Records several finished trials with one fsync per file (group commit): all their epoch rows,
    /// then all their trial rows. Trials already recorded (or repeated in the batch) are skipped.
    /// Returns how many were recorded. Nothing may be acknowledged before this returns.
    @discardableResult
    public func append(contentsOf batch: [(record: TrialRecord, epochs: [EpochMetrics])]) throws(StoreError) -> Int {
        var seen = Set<String>()
        let fresh = batch.filter { !recordedIDs.contains($0.record.id) && seen.insert($0.record.id).inserted }
        guard !fresh.isEmpty else { return 0 }
        var epochLines = ""
        for (record, epochs) in fresh {
            for e in epochs {
                epochLines += CSV.line([record.id, "\(e.epoch)", "\(e.trainLoss)", "\(e.testLoss)", "\(e.testAccuracy)",
                                        "\(e.seconds)"])
            }
        }
        if !epochLines.isEmpty {
            try ResultStore.write(epochLines, fd: epochsFD, path: ResultStore.path(directory, "epochs.csv"))
        }
        try ResultStore.write(fresh.map { CSV.line($0.record.fields) }.joined(), fd: trialsFD,
                              path: ResultStore.path(directory, "trials.csv"))
        for (record, _) in fresh {
            records.append(record)
            recordedIDs.insert(record.id)
        }
        return fresh.count
    }

    /// Records the spec as run (replacing an earlier one atomically).
    public func writeSpec(_ text: String) throws(StoreError) {
        let path = ResultStore.path(directory, "sweep.yaml")
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(path: temporary, operation: "open", errno: errno) }
        defer { close(fd) }
        try ResultStore.write(text, fd: fd, path: temporary)
        guard rename(temporary, path) == 0 else { throw .system(path: path, operation: "rename", errno: errno) }
    }

    /// Moves an existing results directory aside to `<directory>.<timestamp>` (never deletes);
    /// returns the new path, or nil if there was nothing to move.
    public static func moveAside(_ directory: String) throws(StoreError) -> String? {
        guard FileManager.default.fileExists(atPath: directory) else { return nil }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        var target = directory + "." + formatter.string(from: Date())
        var suffix = 1
        while FileManager.default.fileExists(atPath: target) {
            suffix += 1
            target = directory + "." + formatter.string(from: Date()) + "-\(suffix)"
        }
        guard rename(directory, target) == 0 else { throw .system(path: directory, operation: "rename", errno: errno) }
        return target
    }

    /// Reads `trials.csv` without changing it (a torn last line is ignored).
    public static func readTrials(_ path: String) throws(StoreError) -> [TrialRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .system(path: path, operation: "read", errno: errno == 0 ? ENOENT : errno)
        }
        let (records, _) = CSV.parse(String(decoding: data, as: UTF8.self))
        guard let headerFields = records.first else { return [] }
        let header = Dictionary(headerFields.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        for column in TrialRecord.columns where header[column] == nil {
            throw .unexpectedHeader(path: path, found: headerFields.joined(separator: ","))
        }
        var result: [TrialRecord] = []
        for (index, fields) in records.dropFirst().enumerated() {
            do {
                result.append(try TrialRecord(fields: fields, header: header))
            } catch {
                throw .badRow(path: path, line: index + 2, reason: error.description)
            }
        }
        return result
    }

    /// Reads `epochs.csv` without changing it: each trial's epochs in order.
    public static func readEpochs(_ path: String) -> [String: [EpochMetrics]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var result: [String: [EpochMetrics]] = [:]
        for fields in CSV.parse(String(decoding: data, as: UTF8.self)).records.dropFirst() where fields.count == 6 {
            guard let epoch = Int(fields[1]), let train = Double(fields[2]), let test = Double(fields[3]),
                  let accuracy = Double(fields[4]), let seconds = Double(fields[5]) else { continue }
            result[fields[0], default: []].append(EpochMetrics(epoch: epoch, trainLoss: train, testLoss: test,
                                                               testAccuracy: accuracy, seconds: seconds))
        }
        return result
    }

    /// One run of a sweep (a `sweep run` or `sweep coordinator` invocation), as kept in `runs.csv`.
    public struct Run: Equatable, Sendable {
        /// When it started and ended (seconds since 1970).
        public var started: Double, finished: Double
        /// Workers and hosts that delivered results in it.
        public var workers: [String], hosts: [String]
        /// `finished` or `stopped`.
        public var outcome: String

        /// Creates a run record.
        public init(started: Double, finished: Double, workers: [String], hosts: [String], outcome: String) {
            self.started = started
            self.finished = finished
            self.workers = workers
            self.hosts = hosts
            self.outcome = outcome
        }
    }

    static let runColumns = ["started", "finished", "wall_seconds", "workers", "hosts", "outcome"]

    /// Appends a run to `runs.csv` (durably).
    public func appendRun(_ run: Run) throws(StoreError) {
        let path = ResultStore.path(directory, "runs.csv")
        let fd = try ResultStore.openAppending(path)
        defer { close(fd) }
        if lseek(fd, 0, SEEK_END) == 0 { try ResultStore.write(CSV.line(ResultStore.runColumns), fd: fd, path: path) }
        try ResultStore.write(CSV.line(["\(run.started)", "\(run.finished)", "\(run.finished - run.started)",
                                        run.workers.joined(separator: " "), run.hosts.joined(separator: " "), run.outcome]),
                              fd: fd, path: path)
    }

    /// Reads `runs.csv` (empty if there is none).
    public static func readRuns(_ path: String) -> [Run] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return CSV.parse(String(decoding: data, as: UTF8.self)).records.dropFirst().compactMap { fields in
            guard fields.count == runColumns.count, let started = Double(fields[0]), let finished = Double(fields[1])
            else { return nil }
            return Run(started: started, finished: finished, workers: fields[3].split(separator: " ").map(String.init),
                       hosts: fields[4].split(separator: " ").map(String.init), outcome: fields[5])
        }
    }

    // MARK: - Files

    static func path(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    private static func makeDirectory(_ directory: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .system(path: directory, operation: "mkdir", errno: (error as NSError).code == 0 ? EIO : Int32(EACCES))
        }
    }

    private static func openAppending(_ path: String) throws(StoreError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(path: path, operation: "open", errno: errno) }
        return fd
    }

    /// Reads the file behind `fd`; writes the header into an empty file; cuts a torn tail. Returns the
    /// data rows with their 1-based line numbers.
    private static func recover(fd: Int32, path: String, columns: [String],
                                warn: (String) -> Void) throws(StoreError) -> [(line: Int, fields: [String])] {
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else { throw .system(path: path, operation: "lseek", errno: errno) }
        if size == 0 {
            try write(CSV.line(columns), fd: fd, path: path)
            return []
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(filled)) }
            guard got > 0 else { throw .system(path: path, operation: "read", errno: got < 0 ? errno : EIO) }
            filled += got
        }
        var (records, complete) = CSV.parse(String(decoding: bytes, as: UTF8.self))
        if complete == 0 || records.first != columns {
            // A header torn by a crash right after creation is recoverable: nothing else is in the file.
            if complete == 0 && records.isEmpty {
                warn("\(path): rewriting a torn header")
                try truncateAndSync(fd: fd, path: path, to: 0)
                try write(CSV.line(columns), fd: fd, path: path)
                return []
            }
            throw .unexpectedHeader(path: path, found: (records.first ?? []).joined(separator: ","))
        }
        // The last complete line may itself be cut short (a crash between write and fsync can leave
        // any prefix): too few fields there is a torn record too.
        if records.count > 1, records.last!.count != columns.count {
            // Back up to the byte after the previous line end.
            var start = complete - 1
            while start > 0 && bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            complete = start
            records.removeLast()
        }
        if complete < bytes.count {
            warn("\(path): cutting off a torn last line (\(bytes.count - complete) bytes) left by an interrupted write")
            try truncateAndSync(fd: fd, path: path, to: complete)
        }
        return records.dropFirst().enumerated().map { (line: $0.offset + 2, fields: $0.element) }
    }

    private static func truncateAndSync(fd: Int32, path: String, to length: Int) throws(StoreError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw .system(path: path, operation: "ftruncate", errno: errno) }
        guard fsync(fd) == 0 else { throw .system(path: path, operation: "fsync", errno: errno) }
    }

    /// Replaces the file's contents by header + rows, durably, in place.
    private static func rewrite(fd: Int32, path: String, columns: [String], rows: [[String]]) throws(StoreError) {
        try truncateAndSync(fd: fd, path: path, to: 0)
        try write(([columns] + rows).map(CSV.line).joined(), fd: fd, path: path)
    }

    /// Writes all of `text` and fsyncs.
    static func write(_ text: String, fd: Int32, path: String) throws(StoreError) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let wrote = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if wrote < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, operation: "write", errno: errno)
            }
            offset += wrote
        }
        guard fsync(fd) == 0 else { throw .system(path: path, operation: "fsync", errno: errno) }
    }
}

import Foundation
import SystemCalls
import Sweeping
import SweepCore

/// `runs.csv`: one row per run (a `sweep run` or `sweep coordinator` invocation): when it started
/// and ended (ISO 8601, UTC), its wall time, the workers and hosts that delivered results in it, how
/// it ended, and the sweep's name.
extension ResultStore {
    /// One run of a sweep, as kept in `runs.csv`.
    public struct Run: Equatable, Sendable {
        /// When it started and ended (seconds since 1970).
        public var started: Double, finished: Double
        /// Workers and hosts that delivered results in it.
        public var workers: [String], hosts: [String]
        /// How it ended.
        public var outcome: SweepOutcome
        /// The sweep's name (nil in rows of files written before it was kept).
        public var sweep: String?

        /// Creates a run record.
        public init(started: Double, finished: Double, workers: [String], hosts: [String], outcome: SweepOutcome, sweep: String? = nil) {
            self.started = started
            self.finished = finished
            self.workers = workers
            self.hosts = hosts
            self.outcome = outcome
            self.sweep = sweep
        }

        /// Its row, times in ISO 8601 UTC to the millisecond.
        var fields: [String] {
            [Run.time(started), Run.time(finished), "\(finished - started)",
             workers.joined(separator: " "), hosts.joined(separator: " "), outcome.rawValue, sweep ?? ""]
        }

        /// A row of any version of the file (times as ISO 8601, or as Unix seconds before).
        init?(fields: [String]) {
            guard fields.count >= 6, let started = Run.seconds(fields[0]), let finished = Run.seconds(fields[1]),
                  let outcome = SweepOutcome(rawValue: fields[5]) else { return nil }
            self.init(started: started, finished: finished, workers: fields[3].split(separator: " ").map(String.init),
                      hosts: fields[4].split(separator: " ").map(String.init), outcome: outcome,
                      sweep: fields.count > 6 && !fields[6].isEmpty ? fields[6] : nil)
        }

        static func time(_ seconds: Double) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.string(from: Date(timeIntervalSince1970: seconds))
        }

        static func seconds(_ text: String) -> Double? {
            if let seconds = Double(text) { return seconds }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: text)?.timeIntervalSince1970
        }
    }

    static let runColumns = ["started", "finished", "wall_seconds", "workers", "hosts", "outcome", "sweep"]

    /// Appends a run to `runs.csv` (durably). A file of an earlier version (Unix times, no `sweep`)
    /// is first written again in today's form, atomically, its rows kept.
    public func appendRun(_ run: Run) throws(StoreError) {
        let path = ResultsDirectory(directory).runs
        if let data = FileManager.default.contents(atPath: path), !data.isEmpty,
           !String(decoding: data.prefix(200), as: UTF8.self).hasPrefix(CSV.line(ResultStore.runColumns)) {
            let rows = ResultStore.readRuns(path).map { CSV.line($0.fields) }.joined()
            do {
                try Directory.replace(path, with: Array((CSV.line(ResultStore.runColumns) + rows).utf8))
            } catch {
                throw .system(error)
            }
        }
        try CSVFile.appendCreating(CSV.line(run.fields), to: path, columns: ResultStore.runColumns)
    }

    /// Reads `runs.csv` (empty if there is none).
    public static func readRuns(_ path: String) -> [Run] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return CSV.parse(String(decoding: data, as: UTF8.self)).dropFirst().compactMap(Run.init(fields:))
    }
}

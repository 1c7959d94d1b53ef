import Foundation
import Sweeping

/// What happened to the trials when: `timeline.csv`, one row per start, resume, pause, promotion,
/// stop decision, lost worker and recorded result, written by the coordinator as it goes. The worker
/// timeline and the history by wall time are drawn from it.
///
/// It is not a record: rows are appended with each batch of results but not fsync'ed, so a crash
/// may cost its last lines, never a result; a row that does not read is skipped. It grows by a
/// bounded number of rows per trial attempt and rung: linearly with the trials.
public enum Timeline {
    /// The header.
    public static let header = "time,event,trial,worker,detail"

    /// What happened.
    public enum Kind: String, Sendable, CaseIterable {
        /// Handed to a worker (detail: the attempt, 1 without faults).
        case start
        /// The attempt just started goes on from a checkpoint (detail: its epochs).
        case resume
        /// Paused at a rung, its worker freed (detail: the rung).
        case pause
        /// A paused trial passed its rung and waits for a worker (detail: the rung).
        case promote
        /// Early termination stops it after a rung (detail: the rung).
        case stop
        /// Its worker was lost; it goes back to the queue.
        case lost
        /// Its result was recorded (detail: its status).
        case end
    }

    /// One row.
    public struct Event: Sendable, Equatable {
        /// Seconds since 1970.
        public var time: Double
        public var kind: Kind
        public var trial: String
        /// The worker's name (empty where the event has none: a pause, a promotion, a decision).
        public var worker: String
        public var detail: String

        /// An event.
        public init(time: Double, kind: Kind, trial: String, worker: String = "", detail: String = "") {
            self.time = time
            self.kind = kind
            self.trial = trial
            self.worker = worker
            self.detail = detail
        }

        /// Its row with its line end, time to the millisecond.
        public var line: String {
            CSV.line([String(format: "%.3f", time), kind.rawValue, trial, worker, detail])
        }

        /// Reads a row; nil when it is not one.
        init?(fields: [String]) {
            guard fields.count == 5, let time = Double(fields[0]), time.isFinite, let kind = Kind(rawValue: fields[1]),
                  !fields[2].isEmpty else { return nil }
            self.init(time: time, kind: kind, trial: fields[2], worker: fields[3], detail: fields[4])
        }
    }

    /// The rows of the file at `path`, in file order (none when it is absent); rows that do not read are left out.
    public static func read(_ path: String) -> [Event] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return CSV.parse(String(decoding: data, as: UTF8.self)).dropFirst().compactMap(Event.init(fields:))
    }
}

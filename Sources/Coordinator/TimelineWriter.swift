import Foundation
import Scheduling
import SystemCalls
import ResultsStore

/// Appends the sweep's events to `timeline.csv` (`Timeline`), a batch at a time: the rows wait for
/// the coordinator's flush, so writing them costs one open and one write per batch, and no fsync.
/// A failed write costs timeline rows, never a result.
struct TimelineWriter {
    /// The file.
    let path: String
    private var pending: [String] = []

    init(path: String) { self.path = path }

    /// Notes `event` if it belongs on the timeline, stamped `time` (seconds since 1970).
    mutating func note(_ event: SweepEvent, at time: Double) {
        let row: Timeline.Event
        switch event {
        case .trialStarted(let trial, _, let worker, let attempt):
            row = .init(time: time, kind: .start, trial: trial, worker: worker, detail: "\(attempt)")
        case .resumed(let trial, let epoch, let worker):
            row = .init(time: time, kind: .resume, trial: trial, worker: worker, detail: "\(epoch)")
        case .paused(let trial, let rung):
            row = .init(time: time, kind: .pause, trial: trial, detail: "\(rung)")
        case .promoted(let trial, let rung):
            row = .init(time: time, kind: .promote, trial: trial, detail: "\(rung)")
        case .stopDecided(let trial, let rung):
            row = .init(time: time, kind: .stop, trial: trial, detail: "\(rung)")
        case .workerLost(let worker, let trial?):
            row = .init(time: time, kind: .lost, trial: trial, worker: worker)
        case .trialRecorded(let record):
            row = .init(time: time, kind: .end, trial: record.id, worker: record.worker, detail: record.status.rawValue)
        default:
            return
        }
        pending.append(row.line)
    }

    /// Appends what was noted (the header first, into a new file).
    mutating func write() throws(SystemError) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        let file = try FileDescriptor(path: path, flags: O_WRONLY | O_APPEND | O_CREAT)
        let text = (try file.size() == 0 ? Timeline.header + "\n" : "") + pending.joined()
        try file.write(Array(text.utf8))
    }
}

import Coordinator
import Foundation
import Messaging
import Sweeping
import SweepCore
import Wire
import ResultsStore

/// The results folders under `Results/`, for `rank`, `report` and `status` given none: the sweeps
/// whose coordinators are running, or the most recent sweep.
enum ResultsFolders {
    /// Where `sweep run` puts results (relative to the working directory).
    static let root = "Results"

    /// The sweep folders under `Results/` (those with a `trials.csv` or `sweep.json`), by name.
    static func all() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().map { (root as NSString).appendingPathComponent($0) }.filter { lastChange($0) != nil }
    }

    /// When the sweep in `directory` last changed: the latest modification of its `trials.csv` and
    /// `sweep.json` (nil when it has neither: not a sweep's folder).
    static func lastChange(_ directory: String) -> Date? {
        let folder = ResultsDirectory(directory)
        return [folder.trials, folder.identity].compactMap { path in
            try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        }.max()
    }

    /// The sweep under `Results/` that changed last (of two at the same time, the later name).
    static func mostRecent() throws -> String {
        let dated = all().compactMap { directory in lastChange(directory).map { (directory, $0) } }
        guard let latest = dated.max(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }) else {
            throw RunFailure("no results directory given, and \(root)/ holds no sweep; give one such as Results/quickstart",
                             code: ExitStatus.noInput)
        }
        return latest.0
    }

    /// `mostRecent()`, said on stderr.
    static func mostRecentAnnounced() throws -> String {
        let directory = try mostRecent()
        say("reading \(directory) (the most recent sweep\(nameNote(directory)))")
        return directory
    }

    /// `, called NAME` when the sweep's name is not its folder's.
    static func nameNote(_ directory: String) -> String {
        let name = FolderIdentity.name(of: directory)
        return name == (directory as NSString).lastPathComponent ? "" : ", called \(name)"
    }

    /// The folders whose coordinators answer, with their answers; when none does, the most recent
    /// sweep (with what its own coordinator pointer, if any, gave: no answer).
    static func forStatus() throws -> (folders: [(directory: String, answer: CoordinatorAnswer)], why: String) {
        let pointed = all().compactMap { directory in CoordinatorPointer.read(from: directory).map { (directory, $0) } }
        let reports = ask(pointed.map(\.1))
        let running = zip(pointed, reports).compactMap { folder, report in
            report.map { (directory: folder.0, answer: CoordinatorAnswer(pointer: folder.1, report: $0)) }
        }
        if !running.isEmpty { return (running, running.count == 1 ? "its coordinator is running" : "their coordinators are running") }
        let latest = try mostRecent()
        let pointer = pointed.first { $0.0 == latest }?.1
        return ([(latest, CoordinatorAnswer(pointer: pointer, report: nil))], "the most recent sweep" + nameNote(latest))
    }

    /// Asks every coordinator at once for its status; each answer, or nil for one that did not
    /// answer within a second.
    static func ask(_ pointers: [CoordinatorPointer]) -> [CoordinatorStatus?] {
        var answers = [CoordinatorStatus?](repeating: nil, count: pointers.count)
        guard !pointers.isEmpty, let context = try? Context(),
              let sockets = try? SocketGroup(count: pointers.count, make: { _ throws(ZMQError) in try Socket(context, type: .dealer) })
        else { return answers }
        for (index, pointer) in pointers.enumerated() {
            sockets.with(index) { socket in
                if let key = pointer.curvePublicKey, let keys = try? CurveKeys.generate() {
                    try? socket.set(.curveServerKey, Array(key.utf8))
                    try? socket.set(.curvePublicKey, Array(keys.publicKey.utf8))
                    try? socket.set(.curveSecretKey, Array(keys.secretKey.utf8))
                }
                guard (try? socket.connect(pointer.endpoint)) != nil else { return }
                _ = try? socket.send([Message.status.encoded()], dontWait: true)
            }
        }
        let deadline = Date().addingTimeInterval(1)
        while Date() < deadline && answers.contains(where: { $0 == nil }) {
            let milliseconds = max(1, Int(deadline.timeIntervalSinceNow * 1000))
            guard let readable = try? sockets.readable(milliseconds: milliseconds) else { break }
            for index in readable {
                // Everything waiting is read, so the socket is not readable again for the same frames.
                while let frames = sockets.with(index, { socket in try? socket.receive(dontWait: true) }), let frame = frames.last {
                    if case .statusReport(let report)? = try? Message.decode(frame) { answers[index] = report }
                }
            }
        }
        return answers
    }
}

/// What asking a folder's coordinator gave: its pointer (nil: `coordinator.json` is not there) and
/// its report (nil: it did not answer).
struct CoordinatorAnswer {
    var pointer: CoordinatorPointer?
    var report: CoordinatorStatus?
}

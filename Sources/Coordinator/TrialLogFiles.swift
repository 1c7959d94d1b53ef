import Foundation
import SystemCalls
import Wire

/// Program trials' logs beside the results, `logs/<trial>.log`: every attempt's output in the order
/// its pieces arrive (so a killed attempt's log survives up to its last piece), the attempts one
/// after the other, each headed by a line with its number, its worker and, once known, how it
/// ended. At most `capacity` bytes of each attempt are kept, the last ones: a file is bounded by
/// its attempts × (2 × `capacity` + a few lines).
///
/// A log is not a record: appends are not fsync'ed, and a failed write costs the log, not the sweep.
/// A section is rewritten (temporary file, rename) only to cut its front or to put its end in its
/// header, each at most once per `capacity` bytes received or per attempt.
final class TrialLogFiles {
    /// The `logs` folder.
    let folder: String
    /// The most kept of one attempt's output.
    let capacity: Int

    /// An attempt whose pieces are arriving.
    private struct Section {
        var attempt: Int
        var worker: String
        /// Where its header starts in the file, and where its output starts.
        var start: UInt64, body: UInt64
        /// The attempt's next byte expected (offsets count every byte it wrote).
        var next: Int
        /// Output bytes in the file after `body`, and how many were cut before them.
        var kept: Int, cut: Int
    }
    private var open: [String: Section] = [:]

    init(folder: String, capacity: Int) {
        self.folder = folder
        self.capacity = capacity
    }

    func path(_ trial: String) -> String { (folder as NSString).appendingPathComponent(trial + ".log") }

    /// Adds a piece from `worker`; a piece of a new attempt closes the trial's earlier one (its
    /// worker was lost). The piece with `end` closes its attempt.
    func receive(_ piece: Message.LogPiece, worker: String) throws {
        if let section = open[piece.trial], section.attempt != piece.attempt {
            try close(piece.trial, end: "no end received: its worker was lost")
        }
        if open[piece.trial] == nil, piece.offset == 0, let end = piece.end, piece.data.count <= capacity {
            // A whole attempt in one piece (most short trials): written once, its end in its header.
            try Directory.create(folder)
            let file = path(piece.trial)
            let separator = FileManager.default.fileExists(atPath: file) && !lastByteIsNewline(file) ? "\n" : ""
            let section = Section(attempt: piece.attempt, worker: oneLine(worker), start: 0, body: 0, next: 0, kept: 0, cut: 0)
            try append(Data((separator + header(section, end: String(end.prefix(Message.LogPiece.maximumEndLength)))).utf8) + piece.data,
                       to: file)
            return
        }
        var section = try open[piece.trial] ?? start(piece.trial, attempt: piece.attempt, worker: worker)
        var text = Data()
        if piece.offset > section.next {
            text += Data("\n[sweep: \(piece.offset - section.next) bytes of this attempt's output did not arrive]\n".utf8)
        }
        let skip = max(0, section.next - piece.offset)  // already here
        if skip < piece.data.count { text += piece.data.dropFirst(skip) }
        section.next = max(section.next, piece.offset + piece.data.count)
        if !text.isEmpty {
            try append(text, to: path(piece.trial))
            section.kept += text.count
        }
        open[piece.trial] = section
        if section.kept > 2 * capacity { try rewrite(piece.trial, header: header(section, end: nil)) }
        if let end = piece.end { try close(piece.trial, end: String(end.prefix(Message.LogPiece.maximumEndLength))) }
    }

    /// Closes `trial`'s open attempt, if any, with `end` in its header.
    func close(_ trial: String, end: String) throws {
        guard let section = open[trial] else { return }
        try rewrite(trial, header: header(section, end: end))
        open[trial] = nil
    }

    /// Closes every open attempt (the coordinator is stopping).
    func closeAll(end: String) throws {
        for trial in open.keys.sorted() { try close(trial, end: end) }
    }

    private func header(_ section: Section, end: String?) -> String {
        "=== sweep: attempt \(section.attempt), worker \(section.worker), \(end.map(oneLine) ?? "running") ===\n"
    }

    private func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    private func start(_ trial: String, attempt: Int, worker: String) throws -> Section {
        try Directory.create(folder)
        let file = path(trial)
        var size: UInt64 = 0
        if let attributes = try? FileManager.default.attributesOfItem(atPath: file), let bytes = attributes[.size] as? UInt64 {
            size = bytes
        }
        let separator = size > 0 && !(lastByteIsNewline(file)) ? "\n" : ""
        var section = Section(attempt: attempt, worker: oneLine(worker), start: size + UInt64(separator.utf8.count), body: 0,
                              next: 0, kept: 0, cut: 0)
        let header = Data((separator + self.header(section, end: nil)).utf8)
        try append(header, to: file)
        section.body = size + UInt64(header.count)
        return section
    }

    private func lastByteIsNewline(_ file: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: file) else { return true }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end > 0 else { return true }
        try? handle.seek(toOffset: end - 1)
        return (try? handle.read(upToCount: 1)) == Data([0x0A])
    }

    private func append(_ data: Data, to file: String) throws {
        if !FileManager.default.fileExists(atPath: file) {
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw SystemError(code: errno, operation: "create", path: file)
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    /// Writes the file again: what came before the section, `header`, and the section's output (its
    /// last `capacity` bytes, after a line saying how many were cut, when there are more).
    private func rewrite(_ trial: String, header: String) throws {
        guard var section = open[trial] else { return }
        let file = path(trial)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        let before = try handle.read(upToCount: Int(section.start)) ?? Data()
        let dropped = max(0, section.kept - capacity)
        try handle.seek(toOffset: section.body + UInt64(dropped))
        let output = try handle.readToEnd() ?? Data()
        try handle.close()
        section.cut += dropped
        section.kept -= dropped
        var text = before + Data(header.utf8)
        if section.cut > 0 {
            text += Data("[sweep: the first \(section.cut) bytes of this attempt's output were cut; the last \(section.kept) follow]\n".utf8)
        }
        section.body = UInt64(text.count)
        text += output
        // Replaced whole, so a reader never sees half of it; not fsync'ed: a log is not a record.
        try text.write(to: URL(fileURLWithPath: file), options: .atomic)
        open[trial] = section
    }
}

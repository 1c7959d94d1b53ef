import Foundation
import SystemCalls
import Sweeping

/// One of the store's append-only CSV files, opened for writing: recovered when opened (every
/// complete, well-formed row kept byte for byte; anything else moved to a quarantine file beside
/// it), appended to durably, and rolled back to its last durable length when a write fails.
final class CSVFile {
    /// The file.
    let path: String
    /// Its columns.
    let columns: [String]
    private var descriptor: FileDescriptor
    /// The length of what is known to be on disk: every append that returned, nothing after.
    private(set) var durableLength: Int

    /// A data line as found: its 1-based line number, byte offset and fields.
    struct Row {
        var line: Int
        var offset: Int
        var text: String
        var fields: [String]
    }

    /// A line that cannot stay, and why.
    struct Quarantined {
        var line: Int
        var offset: Int
        var text: String
        var reason: String
    }

    /// The quarantine file's columns.
    static let quarantineColumns = ["line", "offset", "reason", "text", "quarantined_at"]

    /// The file beside `path` that set-aside lines go to: `trials.csv` → `trials.quarantine.csv`.
    static func quarantinePath(_ path: String) -> String {
        (path as NSString).deletingPathExtension + ".quarantine.csv"
    }

    /// Opens (creating) `path` and reads its rows. `check` says why a row cannot stay (nil: it can);
    /// it sees rows in file order. Rows it refuses, and an unterminated last line, are appended to
    /// the quarantine file (durably) before the file is rewritten without them.
    init(path: String, columns: [String], warn: (String) -> Void,
         check: (Row) -> String?) throws(StoreError) {
        self.path = path
        self.columns = columns
        do {
            descriptor = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT | O_APPEND)
            durableLength = try descriptor.size()
        } catch {
            throw .system(error)
        }
        try recover(warn: warn, check: check)
    }

    private func recover(warn: (String) -> Void, check: (Row) -> String?) throws(StoreError) {
        let bytes: [UInt8]
        do { bytes = try descriptor.readAll() } catch { throw .system(error) }
        let header = CSV.line(columns)
        if bytes.isEmpty {
            try append(header)
            return
        }
        var quarantined: [Quarantined] = []
        // Split the bytes into lines, remembering where each starts; what follows the last "\n" is torn.
        var lines: [(offset: Int, text: String?)] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append((start, String(validating: bytes[start..<index], as: UTF8.self)))
            start = index + 1
        }
        if start < bytes.count {
            quarantined.append(Quarantined(line: lines.count + 1, offset: start,
                                           text: String(decoding: bytes[start...], as: UTF8.self),
                                           reason: "unterminated last line, left by an interrupted write"))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let first = lines.first else {
            // No complete line: a header torn by a crash right after the file was created.
            if header.hasPrefix(text) {
                warn("\(path): rewriting a torn header")
                try replace(with: [], quarantined: [], warn: warn)
                return
            }
            throw .unexpectedHeader(path: path, found: text)
        }
        guard let firstText = first.text, let found = CSV.fields(firstText[...]) else {
            throw .unexpectedHeader(path: path, found: first.text ?? "(not UTF-8)")
        }
        // An older layout has a prefix of the columns (later ones were added at the end): its rows are
        // extended with empty fields and the file is rewritten with today's header.
        guard found.count <= columns.count, Array(columns.prefix(found.count)) == found else {
            throw .unexpectedHeader(path: path, found: firstText)
        }
        let padding = String(repeating: ",", count: columns.count - found.count)
        if !padding.isEmpty { warn("\(path): adding the columns \(columns.suffix(columns.count - found.count).joined(separator: ", ")) (a file of an earlier version)") }
        var kept: [String] = []
        for (index, line) in lines.enumerated().dropFirst() {
            guard let lineText = line.text else {
                quarantined.append(Quarantined(line: index + 1, offset: line.offset,
                                               text: String(decoding: bytes[line.offset...].prefix { $0 != 10 }, as: UTF8.self),
                                               reason: "not UTF-8 text"))
                continue
            }
            let padded = lineText + padding
            guard let fields = CSV.fields(padded[...]) else {
                quarantined.append(Quarantined(line: index + 1, offset: line.offset, text: lineText,
                                               reason: "not a CSV row: its quotes do not balance"))
                continue
            }
            let row = Row(line: index + 1, offset: line.offset, text: padded, fields: fields)
            if let reason = check(row) {
                quarantined.append(Quarantined(line: index + 1, offset: line.offset, text: lineText, reason: reason))
            } else {
                kept.append(padded)
            }
        }
        if !quarantined.isEmpty || !padding.isEmpty { try replace(with: kept, quarantined: quarantined, warn: warn) }
    }

    /// The data lines now in the file (each without its "\n"), read from the disk: the file is this
    /// process's alone, and every line in it was checked when it was opened or written since.
    func lines() throws(StoreError) -> [String] {
        do {
            let bytes = try descriptor.readAll()
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().map(String.init)
        } catch {
            throw .system(error)
        }
    }

    /// Appends `text` and flushes it to the disk. On failure the file is cut back to its last durable
    /// length (so no reader ever sees half a row) and the error is thrown.
    func append(_ text: String) throws(StoreError) {
        let bytes = Array(text.utf8)
        do {
            try descriptor.write(bytes)
            try descriptor.sync()
            durableLength += bytes.count
        } catch {
            rollBack(to: durableLength)
            throw .system(error)
        }
    }

    /// Cuts the file back to `length` (a batch whose later part failed), best effort: if even this
    /// fails, the next open finds the torn tail and sets it aside.
    func rollBack(to length: Int) {
        if (try? descriptor.truncate(to: length)) != nil {
            _ = try? descriptor.sync()
            durableLength = length
        }
    }

    /// Rewrites the file as its header and `lines` (each without its "\n"), safely: `quarantined`
    /// lines are first appended to the quarantine file and flushed, then the new contents are written
    /// to a temporary file, flushed, and renamed over the old one, and the directory is flushed. A
    /// crash at any point leaves every line in one file or the other (or both).
    func replace(with lines: [String], quarantined: [Quarantined], warn: (String) -> Void) throws(StoreError) {
        if !quarantined.isEmpty {
            try CSVFile.appendQuarantine(quarantined, beside: path)
            let name = (CSVFile.quarantinePath(path) as NSString).lastPathComponent
            for entry in quarantined.prefix(5) {
                warn("\(path):\(entry.line): moved a row (byte \(entry.offset)) to \(name): \(entry.reason)")
            }
            if quarantined.count > 5 { warn("\(path): moved \(quarantined.count - 5) more rows to \(name)") }
        }
        let contents = CSV.line(columns) + lines.map { $0 + "\n" }.joined()
        do {
            try Directory.replace(path, with: Array(contents.utf8))
            descriptor = try FileDescriptor(path: path, flags: O_RDWR | O_APPEND)
            durableLength = contents.utf8.count
        } catch {
            throw .system(error)
        }
    }

    /// Appends entries to the quarantine file beside `path` (creating it with its header), durably.
    static func appendQuarantine(_ entries: [Quarantined], beside path: String) throws(StoreError) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = entries.map { CSV.line(["\($0.line)", "\($0.offset)", $0.reason, $0.text, stamp]) }.joined()
        try appendCreating(text, to: quarantinePath(path), columns: quarantineColumns)
    }

    /// Appends `text` to the file at `path`, writing the CSV header `columns` first if the file is new
    /// (none for nil); durably, and cut back to its old length if the write fails.
    static func appendCreating(_ text: String, to path: String, columns: [String]?) throws(StoreError) {
        do throws(SystemError) {
            let file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT | O_APPEND)
            let length = try file.size()
            let bytes = Array(((length == 0 ? columns.map(CSV.line) ?? "" : "") + text).utf8)
            do {
                try file.write(bytes)
                try file.sync()
            } catch {
                _ = try? file.truncate(to: length)
                throw error
            }
        } catch {
            throw .system(error)
        }
    }
}

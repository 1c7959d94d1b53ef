import Foundation
import Sweeping
import Testing
import Training

/// The results committed in docs/results were written by earlier builds: every row's trial id is
/// derived again from its configuration, and a row of today's layout is written back byte for byte.
/// A hyperparameter added as if it came with the first release, or a change to how values are written,
/// would change them.
@Suite("Trial ids of recorded results")
struct TrialIDStabilityTests {
    static let results = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/results")

    static var files: [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: results.path)) ?? []
        return folders.sorted().map { results.appendingPathComponent($0).appendingPathComponent("trials.csv").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func thereAreRecordedResultsOfEveryLayout() {
        let headers = Set(Self.files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8).prefix { $0 != "\n" } })
        #expect(Self.files.count >= 8)
        #expect(headers.count >= 2, "files of the first release's layout and of today's")
    }

    @Test(arguments: files)
    func everyRecordedIDIsDerivedAgainFromItsRow(_ file: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let rows = CSV.parse(text)
        let header = Dictionary(uniqueKeysWithValues: try #require(rows.first).enumerated().map { ($1, $0) })
        let today = rows.first == RecordLayout.trainer.columns
        #expect(rows.count > 1 && rows.count == lines.count)
        for (row, line) in zip(rows.dropFirst(), lines.dropFirst()) {
            let record = try TrialRecord(fields: row, header: header, layout: .trainer)
            #expect(record.config.trialID == row[0], "\(row.prefix(16))")
            #expect(Trial(config: record.config).id == row[0])
            if today { #expect(CSV.line(record.fields) == line + "\n") }
        }
    }
}

import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Sweeping
import SweepCore
import ResultsStore

/// The CSV store: durable appends, exactly once, one writer, and recovery that never deletes a record.
@Suite("Result store")
struct ResultStoreTests {
    static func record(seed: UInt64, loss: Double = 0.5, status: TrialStatus = .completed) -> (TrialRecord, [EpochMetrics]) {
        var config = TrainingConfig()
        config.seed = seed
        config.epochs = 2
        let epochs = [EpochMetrics(epoch: 1, trainLoss: 0.9, testLoss: loss + 0.1, testAccuracy: 0.7, seconds: 0.5),
                      EpochMetrics(epoch: 2, trainLoss: 0.1 + 0.2, testLoss: loss, testAccuracy: 0.8, seconds: 0.5)]
        if status == .failed {
            return (TrialRecord(failed: Trial(config: config), reason: "took down 3 workers", attempts: 3, worker: "w", host: "h", layout: .trainer), [])
        }
        let result = TrainingResult(config: config, epochs: epochs, status: .completed)
        return (TrialRecord(trial: Trial(config: config), result: result, attempts: 1, worker: "w", host: "h", layout: .trainer), epochs)
    }

    /// A store in `scratch` holding trials with these seeds.
    static func store(_ scratch: Scratch, seeds: [UInt64]) throws {
        let store = try ResultStore(directory: scratch.path, layout: .trainer)
        for seed in seeds { try store.append(record(seed: seed).0, epochs: record(seed: seed).1) }
    }

    @Test func fieldsAreQuotedOnlyWhenTheyMustBeAndReadBackAsWritten() {
        let fields = ["0.001", "plain text", "a,b", "say \"hi\"", "cr\rhere", "two\nlines", "crlf\r\nend", "é,ü", ""]
        let line = CSV.line(fields)
        #expect(line == "0.001,plain text,\"a,b\",\"say \"\"hi\"\"\",\"cr\rhere\",two lines,\"crlf\r end\",\"é,ü\",\n")
        #expect(CSV.fields(line.dropLast()) == fields.map(CSV.oneLine))
        #expect(CSV.quote("12345") == "12345" && CSV.quote("x\ny") == "x y")
    }

    @Test func recordsSurviveReopeningWithFullPrecision() throws {
        let scratch = Scratch()
        try Self.store(scratch, seeds: [0, 1, 2])
        let reopened = try ResultStore(directory: scratch.path, layout: .trainer)
        #expect(reopened.records.count == 3)
        #expect(reopened.records[0] == Self.record(seed: 0).0)
        #expect(reopened.records[0].metrics["final_train_loss"] == 0.1 + 0.2)
        #expect(scratch.text("epochs.csv").split(separator: "\n").count == 1 + 6)
        #expect(try ResultStore.readTrials(scratch.file("trials.csv"), layout: .trainer).count == 3)
    }

    @Test func aResultIsRecordedExactlyOnce() throws {
        let scratch = Scratch()
        let store = try ResultStore(directory: scratch.path, layout: .trainer)
        let (record, epochs) = Self.record(seed: 1)
        #expect(try store.append(record, epochs: epochs))
        #expect(try store.append(record, epochs: epochs) == false)
        #expect(scratch.text("trials.csv").split(separator: "\n").count == 2)
        #expect(scratch.text("epochs.csv").split(separator: "\n").count == 3)
    }

    @Test func aSecondWriterIsRefusedWithTheHoldersPidAndHostUntilTheFirstCloses() throws {
        let scratch = Scratch()
        var first: ResultStore? = try ResultStore(directory: scratch.path, layout: .trainer)
        #expect(first != nil)
        // flock locks belong to an open file, so a second open in this same process is refused too.
        do {
            _ = try ResultStore(directory: scratch.path, layout: .trainer)
            Issue.record("a second writer opened a locked store")
        } catch {
            guard case .busy(_, let holder) = error else { throw error }
            #expect(holder == "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)")
            #expect(error.description.contains("is in use by another sweep (pid \(getpid())"))
        }
        #expect(throws: StoreError.self) { try ResultStore.moveAside(scratch.path) }
        first = nil  // closing releases the lock
        #expect(try ResultStore(directory: scratch.path, layout: .trainer).records.isEmpty)
    }

    @Test(arguments: ["0123456789abcdef,compl", "0123456789abcdef,completed,0.01\n"])
    func aTornOrShortLastRowGoesToQuarantineNotAway(torn: String) throws {
        let scratch = Scratch()
        try Self.store(scratch, seeds: [0, 1])
        let intact = scratch.text("trials.csv")
        try scratch.append(torn, to: "trials.csv")
        var warnings: [String] = []
        let store = try ResultStore(directory: scratch.path, layout: .trainer) { warnings.append($0) }
        #expect(store.records.count == 2)
        #expect(warnings.contains { $0.contains("trials.csv:4: moved a row (byte \(intact.utf8.count)) to trials.quarantine.csv") },
                "\(warnings)")
        #expect(scratch.text("trials.csv") == intact)
        let quarantined = scratch.rows("trials.quarantine.csv")
        #expect(quarantined.count == 1)
        let line = try #require(quarantined.first)
        let entry = try #require(CSV.fields(line))
        #expect(entry[0] == "4" && entry[1] == "\(intact.utf8.count)")
        #expect(entry[3] == torn.trimmingCharacters(in: .newlines))
        try store.append(Self.record(seed: 5).0, epochs: Self.record(seed: 5).1)
        #expect(try ResultStore.readTrials(scratch.file("trials.csv"), layout: .trainer).count == 3)
    }

    @Test func aCorruptRowInTheMiddleIsQuarantinedAndEveryRowAroundItKept() throws {
        let scratch = Scratch()
        try Self.store(scratch, seeds: [0, 1, 2, 3])
        var lines = scratch.text("trials.csv").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let offset = lines[0...1].map { $0.utf8.count + 1 }.reduce(0, +)
        lines[2] = lines[2].replacingOccurrences(of: "completed", with: "exploded")
        let damaged = lines.joined(separator: "\n")
        try damaged.write(toFile: scratch.file("trials.csv"), atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let store = try ResultStore(directory: scratch.path, layout: .trainer) { warnings.append($0) }
        // Trials before and after the bad line stay; only the bad one is gone from trials.csv.
        #expect(store.records.map(\.config.seed) == [0, 2, 3])
        #expect(warnings.contains { $0.contains("trials.csv:3: moved a row (byte \(offset))") }, "\(warnings)")
        let quarantinedLine = try #require(scratch.rows("trials.quarantine.csv").first)
        let quarantined = try #require(CSV.fields(quarantinedLine))
        #expect(quarantined[0] == "3" && quarantined[1] == "\(offset)")
        #expect(quarantined[2].contains("status 'exploded'"))
        #expect(quarantined[3] == lines[2])
        // Its epoch rows have no recorded trial now: they are set aside too, not deleted.
        #expect(scratch.rows("epochs.quarantine.csv").count == 2)
        #expect(scratch.rows("epochs.csv").count == 6)
        // The rewritten file is the old one without the line, byte for byte.
        var expected = lines
        expected.remove(at: 2)
        #expect(scratch.text("trials.csv") == expected.joined(separator: "\n"))
    }

    @Test func epochRowsOfUnrecordedTrialsAreQuarantined() throws {
        let scratch = Scratch()
        try Self.store(scratch, seeds: [0])
        // A crash after the epochs were written but before the trial row.
        try scratch.append("ffffffffffffffff,1,0.5,0.5,0.5,0.1\nffffffffffffffff,2,0.4,0.4,0.6,0.1\n", to: "epochs.csv")
        var warnings: [String] = []
        _ = try ResultStore(directory: scratch.path, layout: .trainer) { warnings.append($0) }
        #expect(!scratch.text("epochs.csv").contains("ffffffffffffffff"))
        #expect(scratch.text("epochs.csv").split(separator: "\n").count == 3)
        #expect(scratch.rows("epochs.quarantine.csv").count == 2)
        #expect(scratch.text("epochs.quarantine.csv").contains("interrupted before its result was recorded"))
        #expect(warnings.count == 2)
    }

    @Test func aForeignFileIsRefusedAndLeftAlone() throws {
        let scratch = Scratch()
        scratch.write("name,score\nx,1\n", to: "trials.csv")
        #expect(throws: StoreError.self) { try ResultStore(directory: scratch.path, layout: .trainer) }
        #expect(scratch.text("trials.csv") == "name,score\nx,1\n")
    }

    @Test func failedTrialsMoveToFailedCSVAndCanBeRecordedAgain() throws {
        let scratch = Scratch()
        let store = try ResultStore(directory: scratch.path, layout: .trainer)
        try store.append(Self.record(seed: 0).0, epochs: Self.record(seed: 0).1)
        let failed = Self.record(seed: 1, status: .failed).0
        try store.append(failed, epochs: [])
        let failedLine = CSV.line(failed.fields)
        #expect(try store.moveAside([failed.id], to: .failed) == 1)
        #expect(store.records.map(\.id) == [Self.record(seed: 0).0.id])
        #expect(scratch.text("failed.csv") == CSV.line(RecordLayout.trainer.columns) + failedLine)
        #expect(!scratch.text("trials.csv").contains(failed.id))
        // Recorded again, it is one row in trials.csv; the earlier attempt stays in failed.csv.
        try store.append(Self.record(seed: 1).0, epochs: Self.record(seed: 1).1)
        let reopened = try ResultStore.readTrials(scratch.file("trials.csv"), layout: .trainer)
        #expect(reopened.count == 2)
        #expect(reopened[1].status == .completed)
        #expect(scratch.rows("failed.csv").count == 1)
    }

    @Test func freshMovesResultsAsideWithoutDeleting() throws {
        let scratch = Scratch()
        let directory = scratch.file("results")
        do {
            let store = try ResultStore(directory: directory, layout: .trainer)
            try store.append(Self.record(seed: 0).0, epochs: [])
        }
        let moved = try #require(try ResultStore.moveAside(directory))
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(try ResultStore.readTrials((moved as NSString).appendingPathComponent("trials.csv"), layout: .trainer).count == 1)
    }

    @Test func readersSkipUnreadableRowsWithAWarningAndChangeNothing() throws {
        let scratch = Scratch()
        try Self.store(scratch, seeds: [0, 1])
        try scratch.append("garbage,row\n\"unbalanced\n", to: "trials.csv")
        let before = scratch.text("trials.csv")
        var warnings: [String] = []
        let records = try ResultStore.readTrials(scratch.file("trials.csv"), layout: .trainer) { warnings.append($0) }
        #expect(records.count == 2)
        #expect(warnings.count == 2)
        #expect(scratch.text("trials.csv") == before)
    }
}

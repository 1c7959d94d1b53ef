import Foundation
import Testing
import Training
@testable import Sweeping

/// The CSV store: durable appends, exactly once, and recovery from a crash mid-write.
@Suite("Result store")
struct ResultStoreTests {
    final class Scratch {
        let path = NSTemporaryDirectory() + "store-test-" + UUID().uuidString
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        func text(_ name: String) -> String { (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? "" }
        func append(_ text: String, to name: String) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file(name)))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
    }

    static func record(seed: UInt64, loss: Double = 0.5) -> (TrialRecord, [EpochMetrics]) {
        var config = TrainingConfig()
        config.seed = seed
        config.epochs = 2
        let epochs = [EpochMetrics(epoch: 1, trainLoss: 0.9, testLoss: loss + 0.1, testAccuracy: 0.7, seconds: 0.5),
                      EpochMetrics(epoch: 2, trainLoss: 0.1 + 0.2, testLoss: loss, testAccuracy: 0.8, seconds: 0.5)]
        let result = TrainingResult(config: config, epochs: epochs, status: .completed)
        return (TrialRecord(trial: Trial(config: config), result: result, attempts: 1, worker: "w", host: "h"), epochs)
    }

    @Test func recordsSurviveReopeningWithFullPrecision() throws {
        let scratch = Scratch()
        do {
            let store = try ResultStore(directory: scratch.path)
            for seed: UInt64 in 0..<3 { try store.append(Self.record(seed: seed).0, epochs: Self.record(seed: seed).1) }
        }
        let reopened = try ResultStore(directory: scratch.path)
        #expect(reopened.records.count == 3)
        #expect(reopened.records[0] == Self.record(seed: 0).0)
        #expect(reopened.records[0].finalTrainLoss == 0.1 + 0.2)
        #expect(scratch.text("epochs.csv").split(separator: "\n").count == 1 + 6)
        #expect(try ResultStore.readTrials(scratch.file("trials.csv")).count == 3)
    }

    @Test func aResultIsRecordedExactlyOnce() throws {
        let scratch = Scratch()
        let store = try ResultStore(directory: scratch.path)
        let (record, epochs) = Self.record(seed: 1)
        #expect(try store.append(record, epochs: epochs))
        #expect(try store.append(record, epochs: epochs) == false)
        #expect(scratch.text("trials.csv").split(separator: "\n").count == 2)
        #expect(scratch.text("epochs.csv").split(separator: "\n").count == 3)
    }

    @Test(arguments: ["0123456789abcdef,compl", "0123456789abcdef,completed,0.01\n"])
    func aTornLastLineIsCutOffWithAWarning(torn: String) throws {
        let scratch = Scratch()
        do {
            let store = try ResultStore(directory: scratch.path)
            for seed: UInt64 in 0..<2 { try store.append(Self.record(seed: seed).0, epochs: Self.record(seed: seed).1) }
        }
        let intact = scratch.text("trials.csv")
        try scratch.append(torn, to: "trials.csv")
        var warnings: [String] = []
        let store = try ResultStore(directory: scratch.path) { warnings.append($0) }
        #expect(store.records.count == 2)
        #expect(warnings.contains { $0.contains("torn last line") })
        #expect(scratch.text("trials.csv") == intact)
        try store.append(Self.record(seed: 5).0, epochs: Self.record(seed: 5).1)
        #expect(try ResultStore.readTrials(scratch.file("trials.csv")).count == 3)
    }

    @Test func epochRowsOfUnrecordedTrialsAreDropped() throws {
        let scratch = Scratch()
        do {
            let store = try ResultStore(directory: scratch.path)
            try store.append(Self.record(seed: 0).0, epochs: Self.record(seed: 0).1)
        }
        // A crash after the epochs were written but before the trial row.
        try scratch.append("ffffffffffffffff,1,0.5,0.5,0.5,0.1\nffffffffffffffff,2,0.4,0.4,0.6,0.1\n", to: "epochs.csv")
        var warnings: [String] = []
        _ = try ResultStore(directory: scratch.path) { warnings.append($0) }
        #expect(!scratch.text("epochs.csv").contains("ffffffffffffffff"))
        #expect(scratch.text("epochs.csv").split(separator: "\n").count == 3)
        #expect(warnings.contains { $0.contains("dropping 2 epoch rows") })
    }

    @Test func aForeignFileIsRefusedAndLeftAlone() throws {
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path, withIntermediateDirectories: true)
        try "name,score\nx,1\n".write(toFile: scratch.file("trials.csv"), atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try ResultStore(directory: scratch.path) }
        #expect(scratch.text("trials.csv") == "name,score\nx,1\n")
    }

    @Test func aDamagedMiddleRowNamesItsLine() throws {
        let scratch = Scratch()
        do {
            let store = try ResultStore(directory: scratch.path)
            try store.append(Self.record(seed: 0).0, epochs: [])
        }
        let good = scratch.text("trials.csv")
        let lines = good.split(separator: "\n")
        let damaged = lines[0] + "\n" + lines[1].replacingOccurrences(of: "completed", with: "exploded") + "\n" + lines[1] + "\n"
        try damaged.write(toFile: scratch.file("trials.csv"), atomically: true, encoding: .utf8)
        #expect(throws: StoreError.badRow(path: scratch.file("trials.csv"), line: 2,
                                          reason: "status 'exploded' is not completed, diverged or failed")) {
            try ResultStore(directory: scratch.path)
        }
    }

    @Test func freshMovesResultsAsideWithoutDeleting() throws {
        let scratch = Scratch()
        do {
            let store = try ResultStore(directory: scratch.path)
            try store.append(Self.record(seed: 0).0, epochs: [])
        }
        let moved = try #require(try ResultStore.moveAside(scratch.path))
        defer { try? FileManager.default.removeItem(atPath: moved) }
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
        #expect(try ResultStore.readTrials((moved as NSString).appendingPathComponent("trials.csv")).count == 1)
    }
}

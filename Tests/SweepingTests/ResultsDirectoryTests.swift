import Foundation
import SweepTestSupport
import Testing
import Sweeping
import ResultsStore

/// The results folder's names are spelled in one place, and they are the names users and older
/// folders know: a rename here would orphan every existing results folder.
@Suite("Results directory")
struct ResultsDirectoryTests {
    @Test func everyPathIsTheDocumentedNameInsideTheFolder() {
        let folder = ResultsDirectory("/r/quickstart")
        #expect(folder.trials == "/r/quickstart/trials.csv")
        #expect(folder.epochs(.trainer) == "/r/quickstart/epochs.csv")
        #expect(folder.held == "/r/quickstart/held.jsonl")
        #expect(folder.runs == "/r/quickstart/runs.csv")
        #expect(folder.sweepFile == "/r/quickstart/sweep.yaml")
        #expect(folder.sweepVersion(2) == "/r/quickstart/sweep.2.yaml")
        #expect(folder.identity == "/r/quickstart/sweep.json")
        #expect(folder.lock == "/r/quickstart/lock")
        #expect(folder.report == "/r/quickstart/report.html")
        #expect(folder.coordinator == "/r/quickstart/coordinator.json")
        #expect([folder.logs, folder.checkpoints, folder.models] == ["/r/quickstart/logs", "/r/quickstart/checkpoints", "/r/quickstart/models"])
        #expect(folder.movedRows("failed") == "/r/quickstart/failed.csv")
        #expect(folder.movedEpochs("beyond", .trainer) == "/r/quickstart/beyond-epochs.csv")
    }

    @Test func theStoreWritesWhereTheDirectorySays() throws {
        let scratch = Scratch()
        let folder = ResultsDirectory(scratch.path)
        try ResultStoreTests.store(scratch, seeds: [0, 1])
        #expect(FileManager.default.fileExists(atPath: folder.trials))
        #expect(FileManager.default.fileExists(atPath: folder.epochs(.trainer)))
        #expect(FileManager.default.fileExists(atPath: folder.lock))
        #expect(try ResultStore.readTrials(folder.trials, layout: .trainer).count == 2)
        let checkpoints = CheckpointStore(directory: scratch.path)
        #expect(checkpoints.checkpointsFolder == folder.checkpoints && checkpoints.modelsFolder == folder.models)
    }
}

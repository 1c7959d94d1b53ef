@testable import Scheduling
import Sweeping
import Testing
import Training

/// The model keeper alone: the best `keep_models` completed trials, ranked as the frontier passes
/// them, keep their final weights; every other file goes.
@Suite("Parts: model keeper")
struct ModelKeeperTests {
    static let spec = Parts.grid
    static let runner = Runner(spec)

    func record(_ position: Int, _ loss: Double, _ status: TrainingResult.Status = .completed) -> TrialRecord {
        Parts.record(Self.spec, position, losses: [0.9, loss], status: status)
    }

    @Test func theBestKeepTheirWeightsAndABetterOnePushesOutTheWorst() {
        var keeper = ModelKeeper(keep: 2, runner: Self.runner, models: [])
        let (r0, r1, r2, r3) = (record(0, 0.5), record(1, 0.4), record(2, 0.6), record(3, 0.3))
        #expect(keeper.settle(r0.id, r0, checkpoint: true, finalStored: true, recordedBefore: false) == [.keepModel(r0.id)])
        #expect(keeper.settle(r1.id, r1, checkpoint: true, finalStored: true, recordedBefore: false) == [.keepModel(r1.id)])
        // Worse than both: its checkpoint goes.
        #expect(keeper.settle(r2.id, r2, checkpoint: true, finalStored: true, recordedBefore: false) == [.removeCheckpoint(r2.id)])
        // Better than both: kept, and the worse of the two loses its model.
        #expect(keeper.settle(r3.id, r3, checkpoint: true, finalStored: true, recordedBefore: false)
                == [.keepModel(r3.id), .removeModel(r0.id)])
        #expect(keeper.onDisk == [r1.id, r3.id])
    }

    @Test func aTieRanksByPosition() {
        var keeper = ModelKeeper(keep: 1, runner: Self.runner, models: [])
        let (r4, r1) = (record(4, 0.5), record(1, 0.5))
        #expect(keeper.settle(r4.id, r4, checkpoint: true, finalStored: true, recordedBefore: false) == [.keepModel(r4.id)])
        #expect(keeper.settle(r1.id, r1, checkpoint: true, finalStored: true, recordedBefore: false)
                == [.keepModel(r1.id), .removeModel(r4.id)], "the same loss at an earlier position ranks first")
    }

    @Test func withoutFinalWeightsAMissingModelIsSaidAndOtherStatusesKeepNothing() {
        var keeper = ModelKeeper(keep: 3, runner: Self.runner, models: [])
        let (good, old, stopped) = (record(0, 0.2), record(1, 0.3), record(2, 0.1, .stopped))
        #expect(keeper.settle(good.id, good, checkpoint: true, finalStored: false, recordedBefore: false)
                == [.event(.noModel(trial: good.id, reason: "no final weights arrived")), .removeCheckpoint(good.id)])
        // Recorded before this run: its model was settled then (or never made); nothing to say.
        #expect(keeper.settle(old.id, old, checkpoint: false, finalStored: false, recordedBefore: true) == [])
        #expect(keeper.settle(stopped.id, stopped, checkpoint: true, finalStored: true, recordedBefore: false)
                == [.removeCheckpoint(stopped.id)])
        #expect(keeper.onDisk.isEmpty)
        #expect(keeper.keepsCheckpoint(of: good, finalStored: true) && !keeper.keepsCheckpoint(of: good, finalStored: false))
        #expect(!keeper.keepsCheckpoint(of: stopped, finalStored: true))
    }

    @Test func modelsFoundAtTheStartAreKeptOnlyForRecordedTrialsThatStillRank() {
        let (r0, r1) = (record(0, 0.5), record(1, 0.4))
        var keeper = ModelKeeper(keep: 1, runner: Self.runner, models: [r0.id, r1.id, "0123456789abcdef"])
        #expect(keeper.dropModels(unless: { $0 != "0123456789abcdef" }) == [.removeModel("0123456789abcdef")])
        #expect(keeper.settle(r0.id, r0, checkpoint: false, finalStored: false, recordedBefore: true) == [])
        #expect(keeper.settle(r1.id, r1, checkpoint: false, finalStored: false, recordedBefore: true) == [.removeModel(r0.id)])
        #expect(keeper.forget(r1.id) == true)
        #expect(keeper.forget(r1.id) == false)
        #expect(keeper.onDisk.isEmpty)
    }

    @Test func keepingNoModelsRemovesEveryModelAndCheckpoint() {
        let r0 = record(0, 0.1)
        var keeper = ModelKeeper(keep: 0, runner: Self.runner, models: [r0.id])
        #expect(!keeper.keepsCheckpoint(of: r0, finalStored: true))
        #expect(keeper.settle(r0.id, r0, checkpoint: true, finalStored: true, recordedBefore: false)
                == [.removeModel(r0.id), .removeCheckpoint(r0.id)])
    }
}

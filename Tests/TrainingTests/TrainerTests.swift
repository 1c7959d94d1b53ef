import Foundation
import Testing
@testable import Training
import SweepCore

/// Whole runs on a small slice of the real FashionMNIST: reproducibility and divergence.
@Suite("Trainer")
struct TrainerTests {
    static func data() throws -> FashionMNIST { try FashionMNIST.load(trainLimit: 600, testLimit: 300) }

    /// A small config that exercises every source of randomness.
    static var config: TrainingConfig {
        var config = TrainingConfig()
        config.hidden = [32, 16]
        config.epochs = 2
        config.learningRate = 0.05
        config.momentum = 0.9
        config.dropout = 0.4
        config.augment = .rotateFlipVFlip
        config.seed = 11
        return config
    }

    /// What must repeat exactly: everything but the wall time.
    static func figures(_ result: TrainingResult) -> [[Double]] {
        result.epochs.map { [$0.trainLoss, $0.testLoss, $0.testAccuracy] }
    }

    @Test func sameSeedGivesBitIdenticalEpochs() throws {
        let data = try Self.data()
        let first = try Trainer(config: Self.config, data: data).run()
        let second = try Trainer(config: Self.config, data: data).run()
        #expect(first.epochs.count == 2)
        #expect(Self.figures(first) == Self.figures(second))
        #expect(first.status == .completed)
    }

    @Test func anotherSeedGivesOtherNumbers() throws {
        let data = try Self.data()
        var other = Self.config
        other.seed = 12
        let first = try Trainer(config: Self.config, data: data).run()
        let second = try Trainer(config: other, data: data).run()
        #expect(Self.figures(first)[0][0] != Self.figures(second)[0][0])
        #expect(Self.figures(first)[1][1] != Self.figures(second)[1][1])
    }

    @Test func trainingLowersTheLoss() throws {
        var config = TrainingConfig()
        config.hidden = [32]
        config.epochs = 3
        config.learningRate = 0.1
        let result = try Trainer(config: config, data: Self.data()).run()
        #expect(result.epochs[2].trainLoss < result.epochs[0].trainLoss)
        #expect(result.epochs[2].testLoss < log(10.0))
    }

    @Test func aBlowUpIsADivergedResultNotACrash() throws {
        var config = TrainingConfig()
        config.hidden = [32]
        config.epochs = 5
        // Big enough that the weights overflow Float within a few steps.
        config.learningRate = 1e8
        config.momentum = 0.9
        var seen: [EpochMetrics] = []
        let result = try Trainer(config: config, data: Self.data()).run(onEpoch: { seen.append($0) })
        #expect(result.status == .diverged)
        #expect(result.epochs.count < 5)
        #expect(result.final.map { !$0.isFinite } == true)
        #expect(seen.map(\.epoch) == result.epochs.map(\.epoch))
    }

    @Test func invalidConfigIsRefusedBeforeTraining() throws {
        var config = TrainingConfig()
        config.dropout = 1
        #expect(throws: ConfigError(.dropout, value: "1.0", "must be in [0, 1)")) {
            try Trainer(config: config, data: Self.data())
        }
    }
}

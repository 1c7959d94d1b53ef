import Foundation
import Sweeping
import Training
import SweepCore

/// Training stood in for by a formula: the test loss falls with each epoch towards a floor set by the
/// configuration (best near learning rate 0.03, momentum 0.6, dropout 0.2), with a little wobble that
/// depends on the seed and the epoch, so trials cross over as real ones do. Deterministic.
public enum FakeTrainer {
    /// A trial's run: the built-in trainer's stand-in, or a program's: the same curve, printed as
    /// `loss` (and `acc`) by a program whose parameters `lr`, `momentum`, `dropout` and `epochs`
    /// play the hyperparameters' parts.
    public static func run(_ point: TrialPoint) -> TrainingResult {
        if let config = point.trainingConfig { return run(config) }
        func number(_ name: String) -> Double? {
            switch point[name] {
            case .real(let x)?: return x
            case .int(let n)?: return Double(n)
            default: return nil
            }
        }
        var config = TrainingConfig()
        config.learningRate = number("lr") ?? 0.01
        config.momentum = number("momentum") ?? 0
        config.dropout = number("dropout") ?? 0
        config.epochs = Int(number("epochs") ?? 9)
        let model = run(config)
        let epochs = model.epochs.map { e in
            EpochMetrics(epoch: e.epoch, seconds: e.seconds, named: [("loss", e.testLoss), ("acc", e.testAccuracy)])
        }
        // A program does not diverge: it prints what it prints (NaN here), and ends.
        return TrainingResult(config: nil, epochs: epochs, status: .completed)
    }

    /// Where `config`'s loss settles.
    private static func floor(_ config: TrainingConfig) -> Double {
        0.25 + 0.08 * pow(log10(config.learningRate) + 1.5, 2) + 0.3 * pow(config.momentum - 0.6, 2)
            + 0.2 * pow(config.dropout - 0.2, 2) + 100 * config.weightDecay
    }

    /// A stretch of population-based training: `point`'s configuration trained on from the end of
    /// `chain` (the epochs of the run it continues) up to its `epochs`, the loss moving from where
    /// the chain left it towards the configuration's floor, so the schedule followed shows.
    public static func run(_ point: TrialPoint, continuing chain: [EpochMetrics]) -> TrainingResult {
        guard var config = point.trainingConfig, let last = chain.last else { return run(point) }
        guard last.isFinite else {
            // Weights that diverged stay diverged.
            let nan = EpochMetrics(epoch: chain.count + 1, trainLoss: .nan, testLoss: .nan, testAccuracy: 0.1, seconds: 0.01)
            return TrainingResult(config: config, epochs: chain + [nan], status: .diverged)
        }
        let floor = floor(config), speed = 0.5 + config.learningRate * 5
        var epochs = chain, loss = last.testLoss
        for epoch in (chain.count + 1)...max(config.epochs, chain.count + 1) where epoch <= config.epochs {
            var random = SplitMix64(seed: UInt64(epoch), stream: fnv(point.canonicalKey))
            loss = floor + (loss - floor) * exp(-speed / 3) + (random.nextUnitDouble() - 0.5) * 0.02
            if config.learningRate > 0.8 {
                epochs.append(EpochMetrics(epoch: epoch, trainLoss: .nan, testLoss: .nan, testAccuracy: 0.1, seconds: 0.01))
                return TrainingResult(config: config, epochs: epochs, status: .diverged)
            }
            epochs.append(EpochMetrics(epoch: epoch, trainLoss: loss - 0.05, testLoss: loss, testAccuracy: 1 - loss / 2, seconds: 0.01))
        }
        config.epochs = max(config.epochs, 1)
        return TrainingResult(config: config, epochs: epochs, status: .completed)
    }

    /// The built-in trainer's stand-in: `config.epochs` epochs, or fewer when it diverges.
    public static func run(_ config: TrainingConfig) -> TrainingResult {
        let floor = floor(config)
        var epochs: [EpochMetrics] = []
        for epoch in 1...config.epochs {
            var random = SplitMix64(seed: UInt64(epoch), stream: fnv(config.canonicalKey))
            let wobble = (random.nextUnitDouble() - 0.5) * 0.02
            let speed = 0.5 + config.learningRate * 5
            let loss = floor + 1.5 * exp(-speed * Double(epoch) / 3) + wobble
            if config.learningRate > 0.8 && epoch >= 2 {
                epochs.append(EpochMetrics(epoch: epoch, trainLoss: .nan, testLoss: .nan, testAccuracy: 0.1, seconds: 0.01))
                return TrainingResult(config: config, epochs: epochs, status: .diverged)
            }
            epochs.append(EpochMetrics(epoch: epoch, trainLoss: loss - 0.05, testLoss: loss, testAccuracy: 1 - loss / 2,
                                       seconds: 0.01))
        }
        return TrainingResult(config: config, epochs: epochs, status: .completed)
    }

    private static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}


import Foundation
import Testing
import SweepTestSupport
@testable import Training
import SweepCore

/// Checkpoints: a run interrupted anywhere and resumed from its checkpoint's bytes gives figures
/// bit-identical to the run that never stopped, in every SGD mode, with dropout and augmentation;
/// damaged or foreign bytes are refused with an error that names the problem.
@Suite("Checkpoint")
struct CheckpointTests {
    static func data() throws -> FashionMNIST { try FashionMNIST.load(trainLimit: 600, testLimit: 300) }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var optimizer = OptimizerKind.sgd
        var momentum = 0.0
        var centered = false
        var nesterov = false
        var weightDecay = 0.0
        var l1 = 0.0
        var maxNorm = 0.0
        var dropout = 0.3
        var augment = Augmentation.rotateFlipVFlip
        var distill = false
        var testDescription: String { name }
    }

    /// A small teacher model file (784-16-10, fixed weights), written once per test process.
    static let teacherPath: String = {
        let path = NSTemporaryDirectory() + "sweep-test-teacher-\(getpid()).safetensors"
        let sizes = [784, 16, 10]
        let model = MLP(layerSizes: sizes, seed: 77, capacity: 1)
        FileManager.default.createFile(atPath: path, contents: Data(SafeTensors.encode(layerSizes: sizes,
                                                                                       parameters: Array(model.parameters))))
        return path
    }()

    /// One case per optimiser path (`Optimizer.Mode`), each with dropout and augmentation, and one with neither.
    static let cases: [Case] = [
        Case(name: "plain SGD with weight decay (fused into the GEMM)", weightDecay: 0.001),
        Case(name: "momentum with weight decay (heavy ball)", momentum: 0.9, weightDecay: 0.001),
        Case(name: "Nesterov (general)", momentum: 0.8, nesterov: true),
        Case(name: "L1 without momentum, max-norm (general)", l1: 0.0001, maxNorm: 2),
        Case(name: "momentum, no dropout, no augmentation", momentum: 0.5, dropout: 0, augment: .none),
        Case(name: "Adam with weight decay (two moments)", optimizer: .adam, weightDecay: 0.001),
        Case(name: "AdamW (decoupled decay)", optimizer: .adamw, weightDecay: 0.01),
        Case(name: "RMSprop, centred, with momentum (three buffers)", optimizer: .rmsprop, momentum: 0.5, centered: true),
        Case(name: "distillation, the teacher's logits computed once (no augmentation)", momentum: 0.5, dropout: 0,
             augment: .none, distill: true),
        Case(name: "distillation, the teacher on each augmented batch", momentum: 0.5, distill: true),
    ]

    static func config(_ testCase: Case) -> TrainingConfig {
        var config = TrainingConfig()
        config.hidden = [24, 12]
        config.epochs = 3
        config.batchSize = 16  // 38 minibatches an epoch: two ticks inside each epoch, so stops fall mid-epoch
        config.learningRate = testCase.optimizer == .sgd ? 0.05 : 0.002
        config.optimizer = testCase.optimizer
        config.centered = testCase.centered
        config.momentum = testCase.momentum
        config.nesterov = testCase.nesterov
        config.weightDecay = testCase.weightDecay
        config.l1 = testCase.l1
        config.maxNorm = testCase.maxNorm
        config.dropout = testCase.dropout
        config.augment = testCase.augment
        config.seed = 5
        if testCase.distill {
            config.teacher = teacherPath
            config.distillTemperature = 4
            config.distillAlpha = 0.7
        }
        return config
    }

    /// Everything but wall time.
    static func figures(_ epochs: [EpochMetrics]) -> [[UInt64]] {
        epochs.map { [UInt64($0.epoch), $0.trainLoss.bitPattern, $0.testLoss.bitPattern, $0.testAccuracy.bitPattern] }
    }

    /// About a second of training per case: heavy, each on a thread of its own.
    @Test(.heavy, .timeLimit(.minutes(10)), arguments: cases)
    func resumingAnywhereIsBitIdentical(_ testCase: Case) async throws {
        try await OffThread.run { try Self.resumeAnywhere(testCase) }
    }

    static func resumeAnywhere(_ testCase: Case) throws {
        let data = try Self.data(), config = Self.config(testCase)
        let whole = try Trainer(config: config, data: data)
        var ticks = 0
        let reference = whole.run(tick: { ticks += 1; return true })
        #expect(reference.status == .completed && reference.epochs.count == 3)
        // Stop at every tick in turn (between epochs and inside them), take a checkpoint through its
        // bytes, resume in a new trainer, and stop again two ticks later: a chain of resumes.
        for first in stride(from: 0, to: ticks, by: 2) {
            var trainer = try Trainer(config: config, data: data)
            var budget = first, resumes = 0
            var result: TrainingResult
            while true {
                var calls = 0, refused = false
                result = trainer.run(tick: {
                    calls += 1
                    refused = calls > budget
                    return !refused
                })
                if !refused { break }
                let bytes = trainer.checkpoint().encoded()
                trainer = try Trainer(resuming: TrainingCheckpoint(decoding: bytes), config: config, data: data)
                resumes += 1
                budget = 3
            }
            #expect(resumes > 0)
            #expect(Self.figures(result.epochs) == Self.figures(reference.epochs), "first stop at tick \(first)")
            #expect(Array(trainer.model.parameters) == Array(whole.model.parameters), "first stop at tick \(first)")
        }
    }

    @Test func aCheckpointRoundTripsThroughItsBytes() throws {
        let trainer = try Trainer(config: Self.config(Self.cases[1]), data: Self.data())
        var ticks = 0
        _ = trainer.run(tick: { ticks += 1; return ticks < 5 })
        let checkpoint = trainer.checkpoint()
        #expect(checkpoint.epochs.count == 1 && checkpoint.sample > 0 && !checkpoint.optimizerState.isEmpty)
        let decoded = try TrainingCheckpoint(decoding: checkpoint.encoded())
        #expect(decoded == checkpoint)
        #expect(checkpoint.encoded().count < TrainingCheckpoint.maximumSize(for: checkpoint.config))
    }

    /// The bytes of a checkpoint in the middle of the second epoch.
    static func sampleBytes() throws -> [UInt8] {
        let trainer = try Trainer(config: config(cases[1]), data: data())
        var ticks = 0
        _ = trainer.run(tick: { ticks += 1; return ticks < 5 })
        return trainer.checkpoint().encoded()
    }

    /// Re-seals edited bytes with a correct CRC, so that checks beyond the checksum are reached.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var body = Array(bytes.dropLast(4))
        withUnsafeBytes(of: TrainingCheckpoint.crc32(body[...]).littleEndian) { body += $0 }
        return body
    }

    @Test func damagedBytesAreRefused() throws {
        let bytes = try Self.sampleBytes()
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint(decoding: flipped) }
        do {
            _ = try TrainingCheckpoint(decoding: flipped)
        } catch {
            guard case .checksumMismatch = error else { Issue.record("flipped byte gave \(error)"); return }
            #expect(error.description.hasPrefix("checkpoint is corrupt: CRC-32"))
        }
        #expect(throws: CheckpointError.truncated(bytes: 10)) { try TrainingCheckpoint(decoding: Array(bytes.prefix(10))) }
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint(decoding: Array(bytes.dropLast(100))) }
        var foreign = bytes
        foreign[0] = UInt8(ascii: "P")
        #expect(throws: CheckpointError.notACheckpoint) { try TrainingCheckpoint(decoding: foreign) }
        var future = bytes
        future[4] = 2
        #expect(throws: CheckpointError.unsupportedVersion(2)) { try TrainingCheckpoint(decoding: future) }
        // Dropping tensor bytes and resealing: the layout no longer adds up.
        var short = Array(bytes.dropLast(4))
        short.removeLast(8)
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint(decoding: Self.resealed(short + [0, 0, 0, 0])) }
        do {
            _ = try TrainingCheckpoint(decoding: Self.resealed(short + [0, 0, 0, 0]))
        } catch {
            guard case .badLayout = error else { Issue.record("short tensors gave \(error)"); return }
        }
        // An impossible header value behind a valid checksum: "epoch":2 becomes "epoch":9.
        let key = Array("\"epoch\":2".utf8)
        guard let at = (0..<(bytes.count - key.count)).first(where: { Array(bytes[$0..<($0 + key.count)]) == key }) else {
            Issue.record("no \"epoch\":2 in the header")
            return
        }
        var edited = bytes
        edited[at + key.count - 1] = UInt8(ascii: "9")
        let resealed = Self.resealed(edited)
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint(decoding: resealed) }
        do {
            _ = try TrainingCheckpoint(decoding: resealed)
        } catch {
            guard case .badHeader = error else { Issue.record("epoch 9 gave \(error)"); return }
        }
    }

    @Test func aCheckpointOfAnotherConfigurationIsRefused() throws {
        let checkpoint = try TrainingCheckpoint(decoding: Self.sampleBytes())
        var other = checkpoint.config
        other.learningRate = 0.07
        #expect(throws: CheckpointError.foreign("its learning_rate is 0.05, not 0.07")) {
            try Trainer(resuming: checkpoint, config: other, data: Self.data())
        }
        // The same configuration, but a checkpoint position the data slice cannot have.
        var moved = checkpoint
        moved.sample += 3
        #expect(throws: CheckpointError.self) { try Trainer(resuming: moved, data: Self.data()) }
    }

    /// The test of the test: resuming with one changed bit in the velocity gives other figures, so
    /// the comparison above can fail.
    @Test func aChangedBitChangesTheFigures() throws {
        let data = try Self.data(), config = Self.config(Self.cases[1])
        let reference = try Trainer(config: config, data: data).run()
        var checkpoint = try TrainingCheckpoint(decoding: Self.sampleBytes())
        // (The last bias: a weight from a corner pixel, always 0 in FashionMNIST, would change nothing.)
        // The top bit of its mantissa, not the lowest: one ulp of a velocity can round away in the
        // bias's update on one CPU's kernels and not on another's (seen on an EPYC).
        let last = checkpoint.optimizerState[0].count - 1
        let value = checkpoint.optimizerState[0][last]
        checkpoint.optimizerState[0][last] = Float(bitPattern: value.bitPattern ^ (1 << 22))
        let resumed = try Trainer(resuming: checkpoint, data: data).run()
        #expect(Self.figures(resumed.epochs) != Self.figures(reference.epochs))
        #expect(Self.figures(resumed.epochs).first == Self.figures(reference.epochs).first)
    }
}

/// Population-based training's stretches: a final checkpoint continued with other values, and a
/// schedule trained from scratch giving what its stretches trained one by one give.
@Suite("Checkpoints: stretches")
struct StretchTests {
    static func config(epochs: Int, lr: Double, momentum: Double) -> TrainingConfig {
        var config = TrainingConfig()
        config.hidden = [16]
        config.epochs = epochs
        config.learningRate = lr
        config.momentum = momentum
        config.trainLimit = 600
        config.testLimit = 300
        return config
    }

    @Test func aFinalCheckpointGoesOnWithNewValuesButNotANewShape() throws {
        let data = try CheckpointTests.data()
        let first = Self.config(epochs: 2, lr: 0.05, momentum: 0)
        let trainer = try Trainer(config: first, data: data)
        _ = trainer.run()
        let final = trainer.checkpoint()
        // Momentum appears: its buffer starts at zero; the weights and the epochs so far are kept.
        let next = try final.continued(as: Self.config(epochs: 4, lr: 0.02, momentum: 0.9))
        #expect(next.optimizerState.count == 1 && next.optimizerState[0].allSatisfy { $0 == 0 })
        #expect(next.parameters == final.parameters && next.epochs == final.epochs && next.config.learningRate == 0.02)
        let decoded = try TrainingCheckpoint(decoding: next.encoded())
        #expect(decoded.config == next.config)
        var wider = Self.config(epochs: 4, lr: 0.02, momentum: 0)
        wider.hidden = [32]
        #expect((try? final.continued(as: wider)) == nil)
        var reseeded = Self.config(epochs: 4, lr: 0.02, momentum: 0)
        reseeded.seed = 9
        #expect((try? final.continued(as: reseeded)) == nil)
        #expect((try? final.continued(as: Self.config(epochs: 2, lr: 0.02, momentum: 0))) == nil)
        // Taken inside an epoch: not where a stretch ends.
        var small = first
        small.batchSize = 16  // 38 batches an epoch: a tick inside it
        let inside = try Trainer(config: small, data: data)
        var ticks = 0
        _ = inside.run(tick: { ticks += 1; return ticks < 3 })
        #expect(inside.sample > 0)
        var later = small
        later.epochs = 4
        #expect((try? inside.checkpoint().continued(as: later)) == nil)
    }

    @Test func aScheduleTrainsAsItsStretchesDidThroughTheirBytes() throws {
        let data = try CheckpointTests.data()
        let stretches = [Self.config(epochs: 1, lr: 0.05, momentum: 0.5), Self.config(epochs: 2, lr: 0.02, momentum: 0.9),
                         Self.config(epochs: 3, lr: 0.02, momentum: 0)]
        // As the sweep runs it: each stretch on a fresh trainer, from the bytes of the one before's final checkpoint.
        var trainer = try Trainer(config: stretches[0], data: data)
        _ = trainer.run()
        for next in stretches.dropFirst() {
            let bytes = try trainer.checkpoint().continued(as: next).encoded()
            trainer = try Trainer(resuming: TrainingCheckpoint(decoding: bytes), config: next, data: data)
            _ = trainer.run()
        }
        let (replayed, result) = try ScheduleReplay.run(stretches, data: data)
        #expect(result.status == .completed && result.epochs.count == 3)
        #expect(CheckpointTests.figures(result.epochs) == CheckpointTests.figures(trainer.epochs))
        #expect(Array(replayed.model.parameters) == Array(trainer.model.parameters))
        // The schedule matters: the same values throughout give other figures.
        let (_, constant) = try ScheduleReplay.run([Self.config(epochs: 3, lr: 0.05, momentum: 0.5)], data: data)
        #expect(CheckpointTests.figures(constant.epochs) != CheckpointTests.figures(result.epochs))
        #expect(throws: ScheduleReplay.Problem.self) { try ScheduleReplay.check([stretches[1], stretches[0]]) }
    }
}

import CKernels
import SweepCore

/// Trains one configuration on FashionMNIST and measures every epoch; between any two minibatches
/// its whole state can be taken as a `TrainingCheckpoint`, and a trainer made from one continues
/// bit-identically.
public final class Trainer {
    /// The configuration being trained.
    public let config: TrainingConfig
    /// The network.
    public let model: MLP
    /// Its optimiser.
    public let optimizer: Optimizer
    /// The distillation teacher (with `distill_alpha` > 0), run on every training batch.
    private let teacher: MLP?
    /// Without augmentation a training image is the same every epoch, and so are the teacher's logits
    /// for it: they are computed once, in fixed batches of the images in order (so a resumed run finds
    /// the same bits), `train.count × 10`, and gathered per batch.
    private let teacherLogits: [Float]
    private let batchTeacherLogits: UnsafeMutablePointer<Float>
    private let data: FashionMNIST
    private let order: UnsafeMutableBufferPointer<Int32>
    private let batchLabels: UnsafeMutablePointer<UInt8>

    // Where training stands: everything a checkpoint holds beyond the parameters and the optimiser.
    /// The epochs finished.
    public private(set) var epochs: [EpochMetrics] = []
    /// The epoch in progress (or next), 1-based.
    public private(set) var epoch = 1
    /// Images of this epoch's shuffled order trained on.
    public private(set) var sample = 0
    private var lossTotal = 0.0
    private var batches = 0
    private var augmentState: UInt64
    /// The epoch whose shuffled order `order` holds (0: none yet).
    private var shuffledEpoch = 0

    /// Rows per forward pass on the test set: large batches keep the GEMMs efficient.
    public static let evaluationBatch = 1000

    /// Prepares a run of `config` on `data`; throws if the config is invalid.
    public init(config: TrainingConfig, data: FashionMNIST) throws(ConfigError) {
        try config.validate()
        let teacherFile = config.distillAlpha > 0 ? try config.teacher.map { (path: String) throws(ConfigError) in
            try TeacherModel(path: path)
        } : nil
        BLAS.useOneThread()
        self.config = config
        self.data = FashionMNIST(train: config.trainLimit.map { data.train.prefix($0) } ?? data.train,
                                 test: config.testLimit.map { data.test.prefix($0) } ?? data.test)
        let sizes = [data.train.pixelsPerImage] + config.hidden + [FashionMNIST.classes]
        model = MLP(layerSizes: sizes, seed: config.seed, capacity: max(config.batchSize, Trainer.evaluationBatch))
        optimizer = Optimizer(for: model, config: config)
        batchTeacherLogits = .allocate(capacity: config.batchSize * FashionMNIST.classes)
        if let file = teacherFile {
            let teacher = MLP(layerSizes: file.layerSizes, seed: 0, capacity: max(config.batchSize, Trainer.evaluationBatch))
            _ = teacher.parameters.update(from: file.parameters)
            self.teacher = teacher
            teacherLogits = config.augment == .none ? Trainer.logits(of: teacher, on: self.data.train) : []
        } else {
            teacher = nil
            teacherLogits = []
        }
        order = .allocate(capacity: self.data.train.count)
        batchLabels = .allocate(capacity: config.batchSize)
        augmentState = Trainer.augmentationStart(config, epoch: 1)
    }

    /// Continues the run `checkpoint` was taken from; throws if it is of another configuration than
    /// `config` (when given), of another network or data slice, or holds impossible values.
    public convenience init(resuming checkpoint: TrainingCheckpoint, config expected: TrainingConfig? = nil,
                            data: FashionMNIST) throws(CheckpointError) {
        if let expected, let differing = Hyperparameter.allCases.first(where: { expected[$0] != checkpoint.config[$0] }) {
            throw .foreign("its \(differing.rawValue) is \(checkpoint.config[differing]), not \(expected[differing])")
        }
        do {
            try self.init(config: checkpoint.config, data: data)
        } catch {
            throw .badHeader("\(error)")
        }
        guard model.layerSizes == checkpoint.layerSizes else {
            throw .foreign("network \(checkpoint.layerSizes), but this data makes \(model.layerSizes)")
        }
        let count = self.data.train.count
        guard checkpoint.sample <= count, checkpoint.sample % config.batchSize == 0 || checkpoint.sample == count,
              checkpoint.batches == (checkpoint.sample + config.batchSize - 1) / config.batchSize
        else { throw .foreign("position \(checkpoint.sample) in an epoch of \(count) images") }
        model.parameters.baseAddress!.update(from: checkpoint.parameters, count: checkpoint.parameters.count)
        optimizer.restore(steps: checkpoint.steps, state: checkpoint.optimizerState)
        epochs = checkpoint.epochs
        epoch = checkpoint.epoch
        sample = checkpoint.sample
        lossTotal = checkpoint.lossTotal
        batches = checkpoint.batches
        augmentState = checkpoint.augmentState
    }

    deinit {
        order.deallocate()
        batchLabels.deallocate()
        batchTeacherLogits.deallocate()
    }

    /// `teacher`'s logits for every image of `images`, in order, computed in batches of `evaluationBatch`.
    private static func logits(of teacher: MLP, on images: Dataset) -> [Float] {
        let pixels = images.pixelsPerImage, classes = FashionMNIST.classes, scale: Float = 1 / 255
        var result = [Float](repeating: 0, count: images.count * classes)
        images.images.withUnsafeBufferPointer { source in
            images.labels.withUnsafeBufferPointer { labels in
                var start = 0
                while start < images.count {
                    let rows = min(evaluationBatch, images.count - start)
                    for p in 0..<(rows * pixels) { teacher.input[p] = Float(source[start * pixels + p]) * scale }
                    teacher.forward(rows: rows, labels: labels.baseAddress! + start, training: false)
                    for i in 0..<(rows * classes) { result[start * classes + i] = teacher.logits[i] }
                    start += rows
                }
            }
        }
        return result
    }

    /// The whole state now: call it between minibatches (from `run`'s `tick` or `onEpoch`).
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(config: config, layerSizes: model.layerSizes, epochs: epochs, epoch: epoch, sample: sample,
                           lossTotal: lossTotal, batches: batches, augmentState: augmentState, steps: optimizer.steps,
                           parameters: Array(model.parameters), optimizerState: optimizer.stateValues)
    }

    /// The augmentation generator's state at the start of `epoch`.
    private static func augmentationStart(_ config: TrainingConfig, epoch: Int) -> UInt64 {
        SplitMix64(seed: config.seed, stream: RandomStream.augmentation.rawValue, index: UInt64(epoch)).state
    }

    /// How many minibatches pass between calls of `run`'s `tick`.
    public static let batchesPerTick = 16

    /// Runs the remaining epochs, calling `onEpoch` after each, and stops early when a loss is not finite.
    ///
    /// `tick` is called every `batchesPerTick` minibatches and between epochs, so a caller can keep a
    /// connection alive during long epochs or take a checkpoint; returning false abandons the run where
    /// it is (the result then holds only the epochs that finished, and the trainer can run on later).
    /// When `onEpoch` is called, the finished epoch is in `epochs` and a checkpoint starts the next.
    public func run(onEpoch: (EpochMetrics) -> Void = { _ in }, tick: () -> Bool = { true }) -> TrainingResult {
        var status = TrainingResult.Status.completed
        let clock = ContinuousClock()
        while epoch <= config.epochs {
            guard tick() else { break }
            let start = clock.now
            guard let trainLoss = trainEpoch(tick: tick) else { break }
            let (testLoss, accuracy) = evaluate()
            let elapsed = start.duration(to: clock.now)
            let metrics = EpochMetrics(epoch: epoch, trainLoss: trainLoss, testLoss: testLoss, testAccuracy: accuracy,
                                       seconds: elapsed.inSeconds)
            epochs.append(metrics)
            epoch += 1
            sample = 0
            lossTotal = 0
            batches = 0
            augmentState = Trainer.augmentationStart(config, epoch: epoch)
            onEpoch(metrics)
            if !metrics.isFinite {
                status = .diverged
                break
            }
        }
        return TrainingResult(config: config, epochs: epochs, status: status)
    }

    /// Trains the rest of the epoch in progress (all of it from a fresh start); returns the mean
    /// minibatch loss (NaN or ∞ when it diverged), or nil when `tick` asked to stop.
    public func trainEpoch(tick: () -> Bool = { true }) -> Double? {
        let train = data.train, pixels = train.pixelsPerImage, batchSize = config.batchSize
        if shuffledEpoch != epoch {
            for i in 0..<train.count { order[i] = Int32(i) }
            var shuffler = SplitMix64(seed: config.seed, stream: RandomStream.shuffle.rawValue, index: UInt64(epoch))
            shuffler.shuffle(order)
            shuffledEpoch = epoch
        }
        var augmentRandom = SplitMix64(seed: 0)
        augmentRandom.state = augmentState
        let scale: Float = 1 / 255
        var stopped = false
        train.images.withUnsafeBufferPointer { images in
            train.labels.withUnsafeBufferPointer { labels in
                while sample < train.count {
                    let start = sample
                    let rows = min(batchSize, train.count - start)
                    let input = model.input
                    // The next batch's images are scattered over 47 MB: ask for them now, so they
                    // arrive while this batch trains instead of stalling the copy later.
                    let next = start + rows
                    for r in next..<min(next + batchSize, train.count) {
                        let image = images.baseAddress! + Int(order[r]) * pixels
                        for offset in stride(from: 0, to: pixels, by: 64) { sweep_prefetch(image + offset) }
                    }
                    for r in 0..<rows {
                        let index = Int(order[start + r])
                        batchLabels[r] = labels[index]
                        let source = images.baseAddress! + index * pixels
                        let destination = input + r * pixels
                        if config.augment == .none {
                            for p in 0..<pixels { destination[p] = Float(source[p]) * scale }
                        } else {
                            ImageTransform.random(config.augment, using: &augmentRandom)
                                .apply(source, rows: train.rows, columns: train.columns, into: destination)
                        }
                    }
                    let dropout = config.dropout > 0
                        ? Dropout(probability: config.dropout, seed: config.seed, step: optimizer.steps) : nil
                    var teacherOutput: UnsafePointer<Float>?
                    if let teacher {
                        // The teacher sees exactly the batch the student sees: augmented, it runs on it;
                        // otherwise its logits for these images were computed once.
                        if teacherLogits.isEmpty {
                            teacher.input.update(from: input, count: rows * pixels)
                            teacher.forward(rows: rows, labels: batchLabels, training: false)
                            teacherOutput = UnsafePointer(teacher.logits)
                        } else {
                            let classes = FashionMNIST.classes
                            for r in 0..<rows {
                                let index = Int(order[start + r])
                                for k in 0..<classes { batchTeacherLogits[r * classes + k] = teacherLogits[index * classes + k] }
                            }
                            teacherOutput = UnsafePointer(batchTeacherLogits)
                        }
                    }
                    var lossSum = model.forward(rows: rows, labels: batchLabels, training: true, dropout: dropout).lossSum
                    if let teacherOutput {
                        lossSum = model.distill(teacherLogits: teacherOutput, rows: rows, labels: batchLabels,
                                                temperature: config.distillTemperature, alpha: config.distillAlpha)
                    }
                    let loss = lossSum / Double(rows)
                    lossTotal += loss
                    batches += 1
                    guard loss.isFinite else { return }  // diverged: the epoch's mean is not finite
                    optimizer.step(model, rows: rows)
                    sample = next
                    augmentState = augmentRandom.state
                    if batches % Trainer.batchesPerTick == 0 && !tick() {
                        stopped = true
                        return
                    }
                }
            }
        }
        return stopped ? nil : lossTotal / Double(batches)
    }

    /// Mean test loss and accuracy over the whole test set.
    public func evaluate() -> (loss: Double, accuracy: Double) {
        let test = data.test, pixels = test.pixelsPerImage
        let scale: Float = 1 / 255
        var lossSum = 0.0, correct = 0
        test.images.withUnsafeBufferPointer { images in
            test.labels.withUnsafeBufferPointer { labels in
                var start = 0
                while start < test.count {
                    let rows = min(Trainer.evaluationBatch, test.count - start)
                    let source = images.baseAddress! + start * pixels, input = model.input
                    for p in 0..<(rows * pixels) { input[p] = Float(source[p]) * scale }
                    let outcome = model.forward(rows: rows, labels: labels.baseAddress! + start, training: false)
                    lossSum += outcome.lossSum
                    correct += outcome.correct
                    start += rows
                }
            }
        }
        return (lossSum / Double(test.count), Double(correct) / Double(test.count))
    }
}

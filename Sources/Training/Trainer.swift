import CSupport

/// Trains one configuration on FashionMNIST and measures every epoch.
public final class Trainer {
    /// The configuration being trained.
    public let config: TrainingConfig
    /// The network.
    public let model: MLP
    /// Its optimiser.
    public let optimizer: SGD
    private let data: FashionMNIST
    private let order: UnsafeMutableBufferPointer<Int32>
    private let batchLabels: UnsafeMutablePointer<UInt8>

    /// Rows per forward pass on the test set: large batches keep the GEMMs efficient.
    public static let evaluationBatch = 1000

    /// Prepares a run of `config` on `data`; throws if the config is invalid.
    public init(config: TrainingConfig, data: FashionMNIST) throws(ConfigError) {
        try config.validate()
        BLAS.useOneThread()
        self.config = config
        self.data = FashionMNIST(train: config.trainLimit.map { data.train.prefix($0) } ?? data.train,
                                 test: config.testLimit.map { data.test.prefix($0) } ?? data.test)
        let sizes = [data.train.pixelsPerImage] + config.hidden + [10]
        model = MLP(layerSizes: sizes, seed: config.seed, capacity: max(config.batchSize, Trainer.evaluationBatch))
        optimizer = SGD(for: model, config: config)
        order = .allocate(capacity: self.data.train.count)
        batchLabels = .allocate(capacity: config.batchSize)
    }

    deinit {
        order.deallocate()
        batchLabels.deallocate()
    }

    /// How many minibatches pass between calls of `run`'s `tick`.
    public static let batchesPerTick = 16

    /// Runs every epoch, calling `onEpoch` after each, and stops early when a loss is not finite.
    ///
    /// `tick` is called every `batchesPerTick` minibatches and between epochs, so a caller can keep a
    /// connection alive during long epochs; returning false abandons the run where it is (the result
    /// then holds only the epochs that finished).
    public func run(onEpoch: (EpochMetrics) -> Void = { _ in }, tick: () -> Bool = { true }) -> TrainingResult {
        var epochs: [EpochMetrics] = []
        var status = TrainingResult.Status.completed
        let clock = ContinuousClock()
        for epoch in 1...config.epochs {
            guard tick() else { break }
            let start = clock.now
            guard let trainLoss = trainEpoch(epoch, tick: tick) else { break }
            let (testLoss, accuracy) = evaluate()
            let elapsed = start.duration(to: clock.now)
            let metrics = EpochMetrics(epoch: epoch, trainLoss: trainLoss, testLoss: testLoss, testAccuracy: accuracy,
                                       seconds: Double(elapsed.components.seconds)
                                           + Double(elapsed.components.attoseconds) * 1e-18)
            epochs.append(metrics)
            onEpoch(metrics)
            if !metrics.isFinite {
                status = .diverged
                break
            }
        }
        return TrainingResult(config: config, epochs: epochs, status: status)
    }

    /// One pass over the shuffled training set; returns the mean minibatch loss (NaN or ∞ when it
    /// diverged), or nil when `tick` asked to stop.
    public func trainEpoch(_ epoch: Int, tick: () -> Bool = { true }) -> Double? {
        let train = data.train, pixels = train.pixelsPerImage, batchSize = config.batchSize
        for i in 0..<train.count { order[i] = Int32(i) }
        var shuffler = SplitMix64(seed: config.seed, stream: RandomStream.shuffle.rawValue, index: UInt64(epoch))
        shuffler.shuffle(order)
        var augmentRandom = SplitMix64(seed: config.seed, stream: RandomStream.augmentation.rawValue,
                                       index: UInt64(epoch))
        let scale: Float = 1 / 255
        var lossTotal = 0.0, batches = 0, stopped = false
        train.images.withUnsafeBufferPointer { images in
            train.labels.withUnsafeBufferPointer { labels in
                var start = 0
                while start < train.count {
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
                    let outcome = model.forward(rows: rows, labels: batchLabels, training: true, dropout: dropout)
                    let loss = outcome.lossSum / Double(rows)
                    lossTotal += loss
                    batches += 1
                    guard loss.isFinite else { return }
                    optimizer.step(model, rows: rows)
                    start += rows
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

extension Hyperparameter {
    /// Whether population-based training may change it where one stretch of a run ends and the next
    /// begins. What shapes the network or the optimiser's state (`hidden`, `optimizer`, `centered`),
    /// the data (`train_limit`, `test_limit`, `teacher`), the run's randomness (`seed`) and its length
    /// (`epochs`) stay as the run began; the rest are read afresh at every step.
    public var changesBetweenStretches: Bool {
        switch self {
        case .hidden, .optimizer, .centered, .trainLimit, .testLimit, .teacher, .seed, .epochs: false
        case .learningRate, .momentum, .nesterov, .weightDecay, .l1, .maxNorm, .dropout, .augment, .batchSize,
             .distillTemperature, .distillAlpha: true
        }
    }
}

extension TrainingCheckpoint {
    /// The run this checkpoint ends a stretch of, continued as `config`: the next stretch of
    /// population-based training, which keeps the weights, the optimiser's state and the epochs so
    /// far and trains on with `config`'s values up to its `epochs`. Throws if the checkpoint was
    /// taken inside an epoch, if `config` ends before it, or changes what a run cannot change midway
    /// (`Hyperparameter.changesBetweenStretches`).
    public func continued(as config: TrainingConfig) throws(CheckpointError) -> TrainingCheckpoint {
        guard sample == 0, batches == 0 else {
            throw .foreign("taken inside epoch \(epoch), not where a stretch ends")
        }
        guard config.epochs >= epoch else {
            throw .foreign("\(epochs.count) epochs are done, and the next stretch ends at epoch \(config.epochs)")
        }
        if let fixed = Hyperparameter.allCases.first(where: { !$0.changesBetweenStretches && $0 != .epochs && config[$0] != self.config[$0] }) {
            throw .foreign("its \(fixed.rawValue) is \(self.config[fixed]), and a stretch cannot change it to \(config[fixed])")
        }
        var next = self
        next.config = config
        // The buffers keep their order whatever the momentum (SGD: the velocity; RMSprop: the square
        // average, then the momentum buffer), so a momentum that appears starts from zero, as
        // PyTorch's lazily made buffer does, and one that goes takes its buffer with it.
        let count = Optimizer.stateBufferCount(config)
        let size = parameters.count
        next.optimizerState = Array(optimizerState.prefix(count))
            + Array(repeating: [Float](repeating: 0, count: size), count: max(0, count - optimizerState.count))
        return next
    }
}

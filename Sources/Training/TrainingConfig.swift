/// Everything that decides a training run's numbers. The same config and seed give bit-identical
/// results on any worker of the same build. Each field is described once, in `Hyperparameter`.
public struct TrainingConfig: Hashable, Codable, Sendable {
    /// SGD step size.
    public var learningRate: Double = 0.01
    /// Momentum factor μ of `torch.optim.SGD` (0 = plain SGD).
    public var momentum: Double = 0
    /// Nesterov momentum, as `torch.optim.SGD(nesterov=True)`.
    public var nesterov: Bool = false
    /// L2 penalty, added to the gradient as `torch.optim.SGD`'s `weight_decay` does.
    public var weightDecay: Double = 0
    /// L1 penalty coefficient: `l1 · Σ|w|` joins the objective (its subgradient `l1 · sign(w)`).
    public var l1: Double = 0
    /// Largest L2 norm of each hidden unit's incoming weights, enforced after every step (0 = off).
    public var maxNorm: Double = 0
    /// Dropout probability after each hidden layer (inverted dropout).
    public var dropout: Double = 0
    /// Augmentation of training images.
    public var augment: Augmentation = .none
    /// Hidden layer widths, input side first.
    public var hidden: [Int] = [128, 128]
    /// Passes over the training set.
    public var epochs: Int = 10
    /// Minibatch size.
    public var batchSize: Int = 64
    /// Fixes initialisation, shuffling, dropout masks and augmentation.
    public var seed: UInt64 = 0
    /// Train on only the first this many training images (nil: all). Part of the config because it
    /// changes the numbers: small sweeps for tests and smoke runs are different trials.
    public var trainLimit: Int? = nil
    /// Evaluate on only the first this many test images (nil: all).
    public var testLimit: Int? = nil
    /// The update rule.
    public var optimizer: OptimizerKind = .sgd
    /// RMSprop's centred variant.
    public var centered: Bool = false
    /// Knowledge distillation's teacher: a model file (nil: none).
    public var teacher: String? = nil
    /// Distillation temperature T.
    public var distillTemperature: Double = 1
    /// Distillation: the soft loss's weight α (the label loss gets 1 − α).
    public var distillAlpha: Double = 0

    /// JSON names are the snake_case sweep keys, spelled out: key strategies cost a string
    /// transformation per key per message, which the coordinator's hot loop cannot afford.
    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate", momentum, nesterov, weightDecay = "weight_decay", l1, maxNorm = "max_norm"
        case dropout, augment, hidden, epochs, batchSize = "batch_size", seed, trainLimit = "train_limit"
        case testLimit = "test_limit", optimizer, centered, teacher, distillTemperature = "distill_temperature"
        case distillAlpha = "distill_alpha"
    }

    /// The default config: the assignment's model, plain SGD at 0.01.
    public init() {}

    /// Reads a config; hyperparameters added after the first release may be absent (messages,
    /// checkpoints and held results of an earlier release) and take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        momentum = try c.decode(Double.self, forKey: .momentum)
        nesterov = try c.decode(Bool.self, forKey: .nesterov)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        l1 = try c.decode(Double.self, forKey: .l1)
        maxNorm = try c.decode(Double.self, forKey: .maxNorm)
        dropout = try c.decode(Double.self, forKey: .dropout)
        augment = try c.decode(Augmentation.self, forKey: .augment)
        hidden = try c.decode([Int].self, forKey: .hidden)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit)
        testLimit = try c.decodeIfPresent(Int.self, forKey: .testLimit)
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? .sgd
        centered = try c.decodeIfPresent(Bool.self, forKey: .centered) ?? false
        teacher = try c.decodeIfPresent(String.self, forKey: .teacher)
        distillTemperature = try c.decodeIfPresent(Double.self, forKey: .distillTemperature) ?? 1
        distillAlpha = try c.decodeIfPresent(Double.self, forKey: .distillAlpha) ?? 0
    }

    /// One hyperparameter's value, read or written through its description in `Hyperparameter`.
    /// Writing a value of the wrong kind is ignored (`Hyperparameter.check` refuses it first).
    public subscript(_ parameter: Hyperparameter) -> HyperparameterValue {
        get {
            switch parameter {
            case .learningRate: return .real(learningRate)
            case .momentum: return .real(momentum)
            case .nesterov: return .flag(nesterov)
            case .weightDecay: return .real(weightDecay)
            case .l1: return .real(l1)
            case .maxNorm: return .real(maxNorm)
            case .dropout: return .real(dropout)
            case .augment: return .augmentation(augment)
            case .hidden: return .widths(hidden)
            case .epochs: return .whole(epochs)
            case .batchSize: return .whole(batchSize)
            // A seed above Int.max (only from a hand-made message) reads as negative and fails `check`.
            case .seed: return .whole(Int(truncatingIfNeeded: seed))
            case .trainLimit: return trainLimit.map(HyperparameterValue.whole) ?? .unset
            case .testLimit: return testLimit.map(HyperparameterValue.whole) ?? .unset
            case .optimizer: return .optimizer(optimizer)
            case .centered: return .flag(centered)
            case .teacher:
                guard let teacher else { return .unset }
                return .text(teacher)
            case .distillTemperature: return .real(distillTemperature)
            case .distillAlpha: return .real(distillAlpha)
            }
        }
        set {
            switch (parameter, newValue) {
            case (.learningRate, .real(let x)): learningRate = x
            case (.momentum, .real(let x)): momentum = x
            case (.nesterov, .flag(let b)): nesterov = b
            case (.weightDecay, .real(let x)): weightDecay = x
            case (.l1, .real(let x)): l1 = x
            case (.maxNorm, .real(let x)): maxNorm = x
            case (.dropout, .real(let x)): dropout = x
            case (.augment, .augmentation(let a)): augment = a
            case (.hidden, .widths(let w)): hidden = w
            case (.epochs, .whole(let n)): epochs = n
            case (.batchSize, .whole(let n)): batchSize = n
            case (.seed, .whole(let n)): seed = UInt64(truncatingIfNeeded: n)
            case (.trainLimit, .whole(let n)): trainLimit = n
            case (.trainLimit, .unset): trainLimit = nil
            case (.testLimit, .whole(let n)): testLimit = n
            case (.testLimit, .unset): testLimit = nil
            case (.optimizer, .optimizer(let o)): optimizer = o
            case (.centered, .flag(let b)): centered = b
            case (.teacher, .text(let t)): teacher = t
            case (.teacher, .unset): teacher = nil
            case (.distillTemperature, .real(let x)): distillTemperature = x
            case (.distillAlpha, .real(let x)): distillAlpha = x
            // Whole numbers are fine where reals go (W&B's int_uniform on a learning rate).
            case (_, .whole(let n)) where parameter.kind == .real: self[parameter] = .real(Double(n))
            default: break
            }
        }
    }

    /// Checks every value against `Hyperparameter`'s ranges, then the rules between them (the
    /// options each `torch.optim` class has); the error names the first wrong one.
    public func validate() throws(ConfigError) {
        if let problem = firstProblem() { throw problem }
    }

    /// The first thing `validate` refuses, or nil.
    private func firstProblem() -> ConfigError? {
        for parameter in Hyperparameter.allCases {
            if let requirement = parameter.problem(with: self[parameter]) {
                return ConfigError(parameter, value: self[parameter].description, requirement)
            }
        }
        let sgd = optimizer == .sgd, adam = optimizer == .adam || optimizer == .adamw, rmsprop = optimizer == .rmsprop
        if nesterov && !sgd {
            return ConfigError(.nesterov, value: "true", "is an option of sgd only, not \(optimizer.rawValue)")
        }
        if nesterov && momentum <= 0 {
            return ConfigError(.nesterov, value: "momentum \(momentum)", "needs a momentum greater than 0")
        }
        if adam && momentum != 0 {
            return ConfigError(.momentum, value: "\(momentum)", "must be 0 with \(optimizer.rawValue), whose betas are fixed at (0.9, 0.999)")
        }
        if centered && !rmsprop {
            return ConfigError(.centered, value: "true", "is an option of rmsprop only, not \(optimizer.rawValue)")
        }
        if distillAlpha > 0 && teacher == nil {
            return ConfigError(.distillAlpha, value: "\(distillAlpha)", "needs a teacher")
        }
        return nil
    }
}

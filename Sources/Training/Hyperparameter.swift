/// The table of hyperparameters: everything a training run is configured by, each described once.
/// Its name (`rawValue`) is the sweep key, the CSV column and the JSON key; its flag is `--` and the
/// name with dashes. `Parameter` (sweep files), the trial id's canonical key, `TrialRecord`'s columns,
/// the wire and checkpoint JSON, `sweep train`'s summary and `TrainingConfig.validate()` all read this
/// table instead of keeping lists of their own.
///
/// Adding a hyperparameter is four edits in this file, and the compiler asks for the other three once
/// the case is there: the case; its stored property in `TrainingConfig`, with its default; its row
/// (where it is kept, its range, its help); its read in `value(in:)`. Then the trainer uses it, and
/// `sweep train` declares its flag (`TrainingOptions`: ArgumentParser lists only declared options in
/// `--help`); a table-driven test (HyperparameterRoundTripTests.swift) fails until every hyperparameter
/// round-trips through its flag, the wire, a checkpoint and a `trials.csv` row, and
/// `TrainingConfigTableTests` until every stored property has a row.
///
/// The cases are in `trials.csv` column order; those added after the first release (`isAdded`) have
/// their columns at the end of the file, so a file of an earlier release is extended, not refused.
public enum Hyperparameter: String, CaseIterable, Codable, Sendable {
    case learningRate = "learning_rate"
    case momentum
    case nesterov
    case weightDecay = "weight_decay"
    case l1
    case maxNorm = "max_norm"
    case dropout
    case augment
    case hidden
    case epochs
    case batchSize = "batch_size"
    case seed
    case trainLimit = "train_limit"
    case testLimit = "test_limit"
    case optimizer
    case centered
    case teacher
    case distillTemperature = "distill_temperature"
    case distillAlpha = "distill_alpha"
}

/// Everything that decides a training run's numbers. The same config and seed give bit-identical
/// results on any worker of the same build. Its subscript, Codable and validation (TrainingConfig.swift)
/// are derived from the rows below.
public struct TrainingConfig: Hashable, Sendable {
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

    /// The default config: the assignment's model, plain SGD at 0.01.
    public init() {}
}

extension Hyperparameter {
    /// This hyperparameter's row of the table: where `TrainingConfig` keeps it (which fixes its kind),
    /// its range, its help and whether it came with the first release. Everything else about it is
    /// derived: `TrainingConfig`'s subscript and Codable, the trial id, the CSV columns, validation.
    ///
    /// The key path is what the setter and Codable use; its type must match the row's kind.
    var row: Row { Hyperparameter.rows[ordinal] }

    /// The rows, made once, in `allCases` order: a row holds key paths, and making them is what a
    /// trial's id and its conversions to and from named values would otherwise do for every
    /// hyperparameter every time.
    private static let rows = allCases.map(\.definedRow)

    /// The position of this case in `allCases` (a new case that is not here does not compile;
    /// `TrainingConfigTableTests` checks the positions against `allCases`).
    var ordinal: Int {
        switch self {
        case .learningRate: 0
        case .momentum: 1
        case .nesterov: 2
        case .weightDecay: 3
        case .l1: 4
        case .maxNorm: 5
        case .dropout: 6
        case .augment: 7
        case .hidden: 8
        case .epochs: 9
        case .batchSize: 10
        case .seed: 11
        case .trainLimit: 12
        case .testLimit: 13
        case .optimizer: 14
        case .centered: 15
        case .teacher: 16
        case .distillTemperature: 17
        case .distillAlpha: 18
        }
    }

    private var definedRow: Row {
        switch self {
        case .learningRate: .real(\.learningRate, .greaterThan(0), since: .firstRelease, "Step size of the optimizer")
        case .momentum: .real(\.momentum, .halfOpen(0, 1), since: .firstRelease,
                              "Momentum factor μ of torch.optim.SGD and RMSprop; 0 is plain SGD")
        case .nesterov: .flag(\.nesterov, since: .firstRelease, "Nesterov momentum (needs momentum > 0)")
        case .weightDecay: .real(\.weightDecay, .atLeast(0), since: .firstRelease,
                                 "L2 weight decay, added to the gradient as torch.optim.SGD's weight_decay")
        case .l1: .real(\.l1, .atLeast(0), since: .firstRelease, "L1 penalty coefficient: l1·Σ|w| joins the objective")
        case .maxNorm: .real(\.maxNorm, .atLeast(0), since: .firstRelease,
                             "Clip each hidden unit's incoming weights to this L2 norm after every step (0 = off)")
        case .dropout: .real(\.dropout, .halfOpen(0, 1), since: .firstRelease, "Dropout probability after each hidden layer")
        case .augment: .augmentation(\.augment, since: .firstRelease, "Training-time augmentation")
        case .hidden: .widths(\.hidden, since: .firstRelease,
                              "Hidden layer widths, comma-separated (1024,512 is the overfitting model)")
        case .epochs: .whole(\.epochs, .closed(1, 100_000), since: .firstRelease, "Passes over the training set")
        case .batchSize: .whole(\.batchSize, .closed(1, 65_536), since: .firstRelease, "Minibatch size")
        // Whole numbers stay below 2⁵³, so every one is exact as a Double (sweep files are read as numbers).
        case .seed: .seed(\.seed, .closed(0, 9_007_199_254_740_991), since: .firstRelease,
                          "Random seed: fixes initialisation, shuffling, dropout masks and augmentation")
        case .trainLimit: .limit(\.trainLimit, .closed(1, Double(Int32.max)), since: .firstRelease,
                                 "Use only the first N training images")
        case .testLimit: .limit(\.testLimit, .closed(1, Double(Int32.max)), since: .firstRelease,
                                "Evaluate on only the first N test images")
        case .optimizer: .optimizer(\.optimizer,
                                    "Update rule, as torch.optim's: sgd, adam (L2 weight decay), adamw (decoupled) or rmsprop")
        case .centered: .flag(\.centered, "RMSprop: normalise by the centred second moment (torch.optim.RMSprop's centered)")
        case .teacher: .path(\.teacher, "Knowledge distillation: a model file (.safetensors, as sweep keeps or exports) "
                                + "whose outputs the student learns from")
        case .distillTemperature: .real(\.distillTemperature, .between(0.01, 1000),
                                        "Distillation temperature T: both models' logits are divided by T in the soft loss")
        case .distillAlpha: .real(\.distillAlpha, .between(0, 1),
                                  "Distillation: the soft loss's weight α (scaled by T², as Hinton et al.); the label loss gets 1 − α")
        }
    }

    /// Its value in `config`, read directly: the row's key path again, spelled as a property read
    /// because the trial id, `trials.csv` rows and messages read every hyperparameter of every trial,
    /// and through the key paths a trial id took 3.5 µs instead of 1.9 µs (release build).
    /// `TrainingConfigTableTests` checks that each read is of its row's property.
    func value(in config: TrainingConfig) -> HyperparameterValue {
        switch self {
        case .learningRate: .real(config.learningRate)
        case .momentum: .real(config.momentum)
        case .nesterov: .flag(config.nesterov)
        case .weightDecay: .real(config.weightDecay)
        case .l1: .real(config.l1)
        case .maxNorm: .real(config.maxNorm)
        case .dropout: .real(config.dropout)
        case .augment: .augmentation(config.augment)
        case .hidden: .widths(config.hidden)
        case .epochs: .whole(config.epochs)
        case .batchSize: .whole(config.batchSize)
        // A seed above Int.max (only from a hand-made message) reads as negative and fails `check`.
        case .seed: .whole(Int(truncatingIfNeeded: config.seed))
        case .trainLimit: config.trainLimit.map(HyperparameterValue.whole) ?? .unset
        case .testLimit: config.testLimit.map(HyperparameterValue.whole) ?? .unset
        case .optimizer: .optimizer(config.optimizer)
        case .centered: .flag(config.centered)
        case .teacher: config.teacher.map(HyperparameterValue.text) ?? .unset
        case .distillTemperature: .real(config.distillTemperature)
        case .distillAlpha: .real(config.distillAlpha)
        }
    }
}

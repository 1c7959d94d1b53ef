/// Everything a training run is configured by, described once: its name (sweep key and CSV column,
/// `rawValue`), command-line flag, kind of value, allowed range, default and help. `Parameter` (sweep
/// files), the trial id's canonical key, `TrialRecord`'s columns, `sweep train`'s flags and summary, and
/// `TrainingConfig.validate()` all read this table instead of keeping lists of their own.
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

    /// What kind of value a hyperparameter takes.
    public enum Kind: Sendable, Equatable {
        /// A floating-point number.
        case real
        /// A whole number.
        case whole
        /// true or false.
        case flag
        /// One of `Augmentation`'s names.
        case augmentation
        /// One of `OptimizerKind`'s names.
        case optimizer
        /// A file's path.
        case path
        /// Hidden-layer widths, e.g. `128,128`.
        case widths
    }

    /// Its kind of value.
    public var kind: Kind {
        switch self {
        case .learningRate, .momentum, .weightDecay, .l1, .maxNorm, .dropout, .distillTemperature, .distillAlpha: return .real
        case .epochs, .batchSize, .seed, .trainLimit, .testLimit: return .whole
        case .nesterov, .centered: return .flag
        case .augment: return .augmentation
        case .optimizer: return .optimizer
        case .teacher: return .path
        case .hidden: return .widths
        }
    }

    /// The numbers a real or whole hyperparameter may take (for `hidden`, each width); nil for the rest.
    public var bounds: Bounds? {
        switch self {
        case .learningRate: return .greaterThan(0)
        case .momentum, .dropout: return .halfOpen(0, 1)
        case .weightDecay, .l1, .maxNorm: return .atLeast(0)
        case .epochs: return .closed(1, 100_000)
        case .batchSize: return .closed(1, 65_536)
        case .hidden: return Hyperparameter.widthBounds
        // Whole numbers stay below 2⁵³, so every one is exact as a Double (sweep files are read as numbers).
        case .seed: return .closed(0, 9_007_199_254_740_991)
        case .trainLimit, .testLimit: return .closed(1, Double(Int32.max))
        case .distillTemperature: return .between(0.01, 1000)
        case .distillAlpha: return .between(0, 1)
        case .nesterov, .augment, .optimizer, .centered, .teacher: return nil
        }
    }

    /// Each hidden layer's width, wherever widths are read (sweep files, flags, CSV).
    public static let widthBounds = Bounds.closed(1, 65_536)

    /// Added after the first release: its column comes after the others in `trials.csv`, an empty
    /// cell (a row of an earlier release) reads as its default, and it is in a trial's id only when
    /// not at its default, so results recorded before it existed keep their ids.
    public var isAdded: Bool { Hyperparameter.added.contains(self) }

    private static let added: Set<Hyperparameter> = [.optimizer, .centered, .teacher, .distillTemperature, .distillAlpha]

    /// Whether "not set" is a value (the data limits: nil means all the data; no teacher).
    public var isOptional: Bool { self == .trainLimit || self == .testLimit || self == .teacher }

    /// The command-line flag, e.g. `--learning-rate`.
    public var flag: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }

    /// What it means, for `--help` and the README.
    public var help: String {
        switch self {
        case .learningRate: return "Step size of the optimizer"
        case .momentum: return "Momentum factor μ of torch.optim.SGD and RMSprop; 0 is plain SGD"
        case .nesterov: return "Nesterov momentum (needs momentum > 0)"
        case .weightDecay: return "L2 weight decay, added to the gradient as torch.optim.SGD's weight_decay"
        case .l1: return "L1 penalty coefficient: l1·Σ|w| joins the objective"
        case .maxNorm: return "Clip each hidden unit's incoming weights to this L2 norm after every step (0 = off)"
        case .dropout: return "Dropout probability after each hidden layer"
        case .augment: return "Training-time augmentation"
        case .hidden: return "Hidden layer widths, comma-separated (1024,512 is the overfitting model)"
        case .epochs: return "Passes over the training set"
        case .batchSize: return "Minibatch size"
        case .seed: return "Random seed: fixes initialisation, shuffling, dropout masks and augmentation"
        case .trainLimit: return "Use only the first N training images"
        case .testLimit: return "Evaluate on only the first N test images"
        case .optimizer: return "Update rule, as torch.optim's: sgd, adam (L2 weight decay), adamw (decoupled) or rmsprop"
        case .centered: return "RMSprop: normalise by the centred second moment (torch.optim.RMSprop's centered)"
        case .teacher: return "Knowledge distillation: a model file (.safetensors, as sweep keeps or exports) whose outputs the student learns from"
        case .distillTemperature: return "Distillation temperature T: both models' logits are divided by T in the soft loss"
        case .distillAlpha: return "Distillation: the soft loss's weight α (scaled by T², as Hinton et al.); the label loss gets 1 − α"
        }
    }

    /// `help` with the allowed range, e.g. "Dropout probability after each hidden layer, in [0, 1)".
    public var helpWithRange: String {
        switch kind {
        case .real, .whole: return help + " (\(bounds!.requirement.dropFirst("must be ".count)))"
        case .widths: return help + " (each \(Hyperparameter.widthBounds.requirement.dropFirst("must be ".count)))"
        case .flag, .augmentation, .optimizer, .path: return help
        }
    }

    /// Hyperparameters added after the first release leave the trial id alone at their default, so
    /// that results recorded before they existed keep their ids; the original ones are always in it.
    /// The data limits are in it only when set.
    public var inCanonicalKeyAtDefault: Bool { !isOptional && !isAdded }

    /// Checks one value against this hyperparameter's kind and range.
    public func check(_ value: HyperparameterValue) throws(ConfigError) {
        if let requirement = problem(with: value) { throw ConfigError(self, value: value.description, requirement) }
    }

    /// What is wrong with `value` for this hyperparameter, or nil.
    func problem(with value: HyperparameterValue) -> String? {
        switch (kind, value) {
        case (_, .unset) where isOptional: return nil
        case (.real, .real(let x)):
            return bounds!.contains(x) ? nil : bounds!.requirement
        case (.whole, .whole(let n)):
            return bounds!.contains(Double(n)) ? nil : bounds!.requirement
        case (.flag, .flag), (.augmentation, .augmentation), (.optimizer, .optimizer): return nil
        case (.path, .text(let path)):
            return path.isEmpty || path.contains("\n") || path.utf8.count > 4096 ? "must name a file" : nil
        case (.widths, .widths(let widths)):
            if widths.isEmpty || !widths.allSatisfy({ Hyperparameter.widthBounds.contains(Double($0)) }) {
                return "must be a comma-separated list of widths, each \(Hyperparameter.widthBounds.requirement.dropFirst("must be ".count))"
            }
            return nil
        default:
            return "must be \(kind.article)"
        }
    }

    /// Reads a value written as `HyperparameterValue.description` (a CSV cell); nil if it is not one.
    public func parse(_ text: String) -> HyperparameterValue? {
        if isOptional && text.isEmpty { return .unset }
        if isAdded && text.isEmpty { return TrainingConfig()[self] }
        switch kind {
        case .real: return Double(text).map(HyperparameterValue.real)
        case .whole: return Int(text).map(HyperparameterValue.whole)
        case .flag: return text == "true" ? .flag(true) : text == "false" ? .flag(false) : nil
        case .augmentation: return Augmentation(rawValue: text).map(HyperparameterValue.augmentation)
        case .optimizer: return OptimizerKind(rawValue: text).map(HyperparameterValue.optimizer)
        case .path: return .text(text)
        case .widths: return HyperparameterValue.parseWidths(text).map(HyperparameterValue.widths)
        }
    }
}

extension Hyperparameter.Kind {
    /// "a number", "a whole number", …: what a value of this kind is, for messages.
    public var article: String {
        switch self {
        case .real: return "a number"
        case .whole: return "a whole number"
        case .flag: return "true or false"
        case .augmentation: return "one of " + Augmentation.allCases.map(\.rawValue).joined(separator: ", ")
        case .optimizer: return "one of " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")
        case .path: return "a file's path"
        case .widths: return "layer widths such as \"128,128\""
        }
    }
}

/// Everything that decides a training run's numbers. The same config and seed give bit-identical
/// results on any worker of the same build.
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

    /// JSON and CSV names are the snake_case sweep keys, spelled out: key strategies cost a string
    /// transformation per key per message, which the coordinator's hot loop cannot afford.
    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate", momentum, nesterov, weightDecay = "weight_decay", l1, maxNorm = "max_norm"
        case dropout, augment, hidden, epochs, batchSize = "batch_size", seed, trainLimit = "train_limit"
        case testLimit = "test_limit"
    }

    /// The default config: the assignment's model, plain SGD at 0.01.
    public init() {}

    /// Checks every value; the error names the first wrong one.
    public func validate() throws(ConfigError) {
        func check(_ ok: Bool, _ parameter: Hyperparameter, _ value: some CustomStringConvertible,
                   _ requirement: String) throws(ConfigError) {
            if !ok { throw ConfigError(parameter, value: value.description, requirement) }
        }
        try check(learningRate.isFinite && learningRate > 0, .learningRate, learningRate, "must be greater than 0")
        try check(momentum.isFinite && momentum >= 0 && momentum < 1, .momentum, momentum, "must be in [0, 1)")
        try check(!nesterov || momentum > 0, .nesterov, "momentum \(momentum)", "needs a momentum greater than 0")
        try check(weightDecay.isFinite && weightDecay >= 0, .weightDecay, weightDecay, "must be 0 or more")
        try check(l1.isFinite && l1 >= 0, .l1, l1, "must be 0 or more")
        try check(maxNorm.isFinite && maxNorm >= 0, .maxNorm, maxNorm, "must be 0 (off) or more")
        try check(dropout.isFinite && dropout >= 0 && dropout < 1, .dropout, dropout, "must be in [0, 1)")
        try check(!hidden.isEmpty && hidden.allSatisfy { $0 > 0 && $0 <= 65_536 }, .hidden,
                  hidden.map(String.init).joined(separator: ","),
                  "must be a comma-separated list of widths from 1 to 65536")
        try check(epochs > 0 && epochs <= 100_000, .epochs, epochs, "must be from 1 to 100000")
        try check(batchSize > 0 && batchSize <= 65_536, .batchSize, batchSize, "must be from 1 to 65536")
        if let trainLimit { try check(trainLimit > 0, .trainLimit, trainLimit, "must be greater than 0") }
        if let testLimit { try check(testLimit > 0, .testLimit, testLimit, "must be greater than 0") }
    }
}

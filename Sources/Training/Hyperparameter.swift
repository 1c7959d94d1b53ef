/// The names of everything a training run is configured by: sweep keys and CSV columns
/// (`rawValue`, snake_case) and command-line flags (`flag`, kebab-case) are the same word.
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

    /// The command-line flag, e.g. `--learning-rate`.
    public var flag: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }
}

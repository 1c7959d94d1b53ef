import ArgumentParser
import Training

extension Augmentation: ExpressibleByArgument {}

/// The flags that make a `TrainingConfig`; flag names are the sweep keys in kebab-case.
///
/// Numeric options parse `.unconditional`ly so that `--lr -1` reaches validation and gets
/// "must be greater than 0" rather than the parser's "missing value".
struct TrainingOptions: ParsableArguments {
    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "SGD learning rate (> 0).")
    var learningRate: Double = 0.01

    @Option(parsing: .unconditional, help: "Momentum factor in [0, 1); 0 is plain SGD.")
    var momentum: Double = 0

    @Flag(help: "Use Nesterov momentum (needs --momentum > 0).")
    var nesterov = false

    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "L2 weight decay, as torch.optim.SGD's weight_decay (≥ 0).")
    var weightDecay: Double = 0

    @Option(parsing: .unconditional, help: "L1 penalty coefficient (≥ 0).")
    var l1: Double = 0

    @Option(name: .customLong("max-norm"), parsing: .unconditional,
            help: "Clip each hidden unit's incoming weights to this L2 norm after every step (0 = off).")
    var maxNorm: Double = 0

    @Option(parsing: .unconditional, help: "Dropout probability after each hidden layer, in [0, 1).")
    var dropout: Double = 0

    @Option(help: "Training-time augmentation.")
    var augment: Augmentation = .none

    @Option(help: ArgumentHelp("Hidden layer widths, comma-separated (1024,512 is the overfitting model).",
                               valueName: "widths"),
            transform: HiddenLayers.parse)
    var hidden: [Int] = [128, 128]

    @Option(parsing: .unconditional, help: "Passes over the training set.")
    var epochs: Int = 10

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Minibatch size.")
    var batchSize: Int = 64

    @Option(parsing: .unconditional, help: "Random seed: fixes initialisation, shuffling, dropout masks and augmentation.")
    var seed: UInt64 = 0

    /// The configuration these flags describe.
    var config: TrainingConfig {
        var config = TrainingConfig()
        config.learningRate = learningRate
        config.momentum = momentum
        config.nesterov = nesterov
        config.weightDecay = weightDecay
        config.l1 = l1
        config.maxNorm = maxNorm
        config.dropout = dropout
        config.augment = augment
        config.hidden = hidden
        config.epochs = epochs
        config.batchSize = batchSize
        config.seed = seed
        return config
    }

    func validate() throws {
        do {
            try config.validate()
        } catch {
            throw ValidationError(error.flagDescription)
        }
    }
}

/// Parses `--hidden`.
enum HiddenLayers {
    static func parse(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, widths.count == parts.count, widths.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("expected comma-separated positive widths such as 128,128")
        }
        return widths
    }
}

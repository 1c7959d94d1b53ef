import ArgumentParser
import Foundation
import Training

/// `sweep train`: one configuration, one line per epoch.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one configuration and print its per-epoch metrics.",
        discussion: """
            Prints one line per epoch (train_loss is the mean of the epoch's minibatch losses; test_loss \
            and test_accuracy are over the test set), then a summary. A NaN or infinite loss stops the run \
            with status 'diverged'. Example: sweep train --lr 0.1 --momentum 0.9 --dropout 0.4 --epochs 30
            """)

    @OptionGroup(title: "Hyperparameters")
    var options: TrainingOptions

    @Option(help: ArgumentHelp("Directory with the four FashionMNIST IDX .gz files "
                               + "(default: $FASHION_MNIST_DIR or \(FashionMNIST.defaultDirectory)).",
                               valueName: "dir"))
    var data: String?

    @Option(name: .customLong("train-limit"), parsing: .unconditional, help: "Use only the first N training images.")
    var trainLimit: Int?

    @Option(name: .customLong("test-limit"), parsing: .unconditional, help: "Evaluate on only the first N test images.")
    var testLimit: Int?

    @Flag(help: "Print one JSON object per epoch and a final summary object instead of text.")
    var json = false

    func validate() throws {
        if let trainLimit, trainLimit <= 0 { throw ValidationError("--train-limit must be greater than 0, got \(trainLimit)") }
        if let testLimit, testLimit <= 0 { throw ValidationError("--test-limit must be greater than 0, got \(testLimit)") }
    }

    func run() throws {
        var config = options.config
        config.trainLimit = trainLimit
        config.testLimit = testLimit
        let dataset = try FashionMNIST.load(directory: data)
        let trainer = try Trainer(config: config, data: dataset)
        let output = EpochPrinter(json: json, epochs: config.epochs)
        if !json {
            output.line("training \(config.hidden.map(String.init).joined(separator: "-")) MLP on "
                        + "\(trainLimit.map { min($0, dataset.train.count) } ?? dataset.train.count) images, testing on "
                        + "\(testLimit.map { min($0, dataset.test.count) } ?? dataset.test.count); \(config.summary)")
        }
        let result = trainer.run(onEpoch: output.epoch)
        output.summary(result)
    }
}

extension TrainingConfig {
    /// The hyperparameters as `key=value` pairs, for humans.
    var summary: String {
        var parts = ["lr=\(learningRate)", "momentum=\(momentum)"]
        if nesterov { parts.append("nesterov") }
        parts += ["weight_decay=\(weightDecay)", "dropout=\(dropout)", "augment=\(augment.rawValue)"]
        if l1 > 0 { parts.append("l1=\(l1)") }
        if maxNorm > 0 { parts.append("max_norm=\(maxNorm)") }
        parts += ["batch_size=\(batchSize)", "epochs=\(epochs)", "seed=\(seed)"]
        return parts.joined(separator: " ")
    }
}

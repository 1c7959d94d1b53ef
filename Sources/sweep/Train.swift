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

    @Flag(help: "Print one JSON object per epoch and a final summary object instead of text.")
    var json = false

    func run() throws {
        let config = options.config
        let dataset = try FashionMNIST.load(directory: data)
        let trainer = try Trainer(config: config, data: dataset)
        let output = EpochPrinter(json: json, epochs: config.epochs)
        if !json {
            output.line("training \(config.hidden.map(String.init).joined(separator: "-")) MLP on "
                        + "\(config.trainLimit.map { min($0, dataset.train.count) } ?? dataset.train.count) images, testing on "
                        + "\(config.testLimit.map { min($0, dataset.test.count) } ?? dataset.test.count); \(config.summary)")
        }
        let result = trainer.run(onEpoch: output.epoch)
        output.summary(result)
    }
}

extension TrainingConfig {
    /// Every hyperparameter as `key=value` (the data limits only when set), for humans.
    var summary: String {
        Hyperparameter.allCases.filter { $0 != .hidden && self[$0] != .unset }
            .map { "\($0.rawValue)=\(self[$0])" }.joined(separator: " ")
    }
}

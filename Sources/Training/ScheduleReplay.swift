import SweepCore

/// A schedule found by population-based training, trained from scratch: its stretches one after
/// another, each continuing the one before's final state (weights, optimiser state, epochs so far)
/// with its own values (`TrainingCheckpoint.continued(as:)`), as the sweep's workers trained them,
/// so the figures are the sweep's to the bit.
public enum ScheduleReplay {
    /// Why a schedule cannot be trained.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String

        /// A problem described by `description`.
        public init(description: String) { self.description = description }
    }

    /// Checks `stretches` before any training: at least one, each ending later than the one before,
    /// each a configuration the trainer takes, and changing only what a run can change midway.
    public static func check(_ stretches: [TrainingConfig]) throws(Problem) {
        guard !stretches.isEmpty else { throw Problem(description: "the schedule has no stretch") }
        for (index, config) in stretches.enumerated() {
            do {
                try config.validate()
            } catch {
                throw Problem(description: "stretch \(index + 1): \(error)")
            }
            guard index > 0 else { continue }
            let before = stretches[index - 1]
            guard config.epochs > before.epochs else {
                throw Problem(description: "stretch \(index + 1) ends at epoch \(config.epochs), not after stretch \(index)'s \(before.epochs)")
            }
            if let fixed = Hyperparameter.allCases.first(where: { !$0.changesBetweenStretches && $0 != .epochs && config[$0] != before[$0] }) {
                throw Problem(description: "stretch \(index + 1) changes \(fixed.rawValue) (\(before[fixed]) → \(config[fixed])), "
                              + "which a run cannot change midway")
            }
        }
    }

    /// Trains `stretches` on `data`; `onEpoch` and `tick` as `Trainer.run`'s. Returns the trainer of
    /// the last stretch reached and its result: the whole run's epochs; a run that diverged or was
    /// stopped by `tick` ends there.
    public static func run(_ stretches: [TrainingConfig], data: FashionMNIST, onEpoch: (EpochMetrics) -> Void = { _ in },
                           tick: () -> Bool = { true }) throws(Problem) -> (trainer: Trainer, result: TrainingResult) {
        try check(stretches)
        var trainer: Trainer
        do {
            trainer = try Trainer(config: stretches[0], data: data)
        } catch {
            throw Problem(description: "stretch 1: \(error)")
        }
        var result = trainer.run(onEpoch: onEpoch, tick: tick)
        for (index, next) in stretches.enumerated().dropFirst() {
            guard result.status == .completed, result.epochs.count == trainer.config.epochs else { break }
            do {
                trainer = try Trainer(resuming: trainer.checkpoint().continued(as: next), config: next, data: data)
            } catch {
                throw Problem(description: "stretch \(index + 1): \(error)")
            }
            result = trainer.run(onEpoch: onEpoch, tick: tick)
        }
        return (trainer, result)
    }
}

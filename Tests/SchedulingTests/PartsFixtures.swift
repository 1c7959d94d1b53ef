import Programs
@testable import Scheduling
import Sweeping
import Training
import SweepCore
import SweepFiles

/// Small fixtures for the scheduler's parts, each tested on its own.
enum Parts {
    /// A grid of 2 × 3 built-in configurations, 9 epochs each.
    static let grid = SweepSpec.test("""
        parameters:
          learning_rate: {values: [0.01, 0.1]}
          momentum: {values: [0.0, 0.5, 0.9]}
          epochs: {value: 9}
        """)

    /// Epochs whose test losses are `losses` (1-based epochs, the train loss a little lower).
    static func epochs(_ losses: [Double]) -> [EpochMetrics] {
        losses.enumerated().map { index, loss in
            EpochMetrics(epoch: index + 1, trainLoss: loss - 0.05, testLoss: loss, testAccuracy: 1 - loss / 2, seconds: 0.01)
        }
    }

    /// The trial at `position` of `spec`.
    static func trial(_ spec: SweepSpec, _ position: Int) -> Trial { Trial(point: spec.point(at: position)) }

    /// A record of the trial at `position` of `spec` with these test losses and status.
    static func record(_ spec: SweepSpec, _ position: Int, losses: [Double], status: TrainingResult.Status = .completed,
                       number: Int? = -1) -> TrialRecord {
        let trial = trial(spec, position)
        let result = TrainingResult(config: trial.config, epochs: epochs(losses), status: status)
        return TrialRecord(trial: trial, result: result, attempts: 1, worker: "w", host: "h", number: number == -1 ? position : number,
                           layout: spec.layout, minimize: spec.metric.minimize)
    }
}

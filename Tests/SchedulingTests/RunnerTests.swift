import Programs
@testable import Scheduling
import Sweeping
import Testing
import Training
import SweepCore
import SweepFiles

/// What differs between the built-in trainer and a program, in one place: pauses, checkpoints, a
/// trial's length, validation, and reading the metric.
@Suite("Parts: runner")
struct RunnerTests {
    static let program = SweepSpec.test("""
        command: [train]
        metric: {name: best_loss}
        checkpoint_every: 30
        keep_models: 2
        parameters:
          lr: {values: [0.1]}
        """)

    @Test func theBuiltInTrainerPausesAndCheckpointsAndAProgramDoesNeither() {
        let hyperband = SweepSpec.test("early_terminate: {type: hyperband, min_iter: 1, eta: 3}\nparameters:\n  epochs: {value: 9}\n")
        let median = SweepSpec.test("early_terminate: {type: median, min_iter: 1}\nparameters:\n  epochs: {value: 9}\n")
        let model = Runner(hyperband), program = Runner(Self.program)
        #expect(model.pausesAtRungs(under: hyperband.earlyTermination) && !model.pausesAtRungs(under: median.earlyTermination))
        #expect(!model.pausesAtRungs(under: nil) && !program.pausesAtRungs(under: hyperband.earlyTermination))
        let grid = Runner(CheckpointSchedulingTests.grid)
        #expect(grid.checkpointWork == (60, true) && program.checkpointWork == (0, false))
        #expect(model.length(of: hyperband.point(at: 0)) == 9 && program.length(of: Self.program.point(at: 0)) == nil)
        #expect(program.rungLength(nil) == EarlyTermination.maximumEpoch && model.rungLength(9) == 9)
        #expect(program.config(of: Self.program.point(at: 0)) == nil && program.point(vouchedBy: nil) == nil)
        #expect(model.point(vouchedBy: TrainingConfig()) == TrialPoint(config: TrainingConfig()))
        let best = Runner(SweepSpec.test("metric: {name: best_test_loss}\nparameters:\n  epochs: {value: 9}\n"))
        #expect(best.progressFigure == "test_loss", "the built-in trainer's best so far shows as its test loss")
        #expect(program.progressFigure == "best_loss", "a program's metric is its own, whatever its name")
    }

    @Test func aConfigurationTheTrainerRefusesIsAProblemAndAProgramsValuesAreNot() {
        var config = TrainingConfig()
        config.optimizer = .adam
        config.nesterov = true
        #expect(Runner(Parts.grid).problem(with: TrialPoint(config: config)) != nil)
        #expect(Runner(Parts.grid).problem(with: TrialPoint(config: TrainingConfig())) == nil)
        #expect(Runner(Self.program).problem(with: Self.program.point(at: 0)) == nil)
    }

    @Test func theMetricAtAnEpochIsSignedWithItsBestSoFar() throws {
        let epochs = Parts.epochs([0.5, 0.3, 0.4])
        func runner(_ metric: String) -> Runner {
            Runner(SweepSpec.test("metric: {name: \(metric)}\nparameters:\n  epochs: {value: 3}\n"))
        }
        let loss = try #require(runner("test_loss").value(at: 3, of: epochs))
        #expect(loss.value == 0.4 && loss.best == 0.3)
        let best = try #require(runner("best_test_loss").value(at: 3, of: epochs))
        #expect(best.value == 0.3 && best.best == 0.3)
        let accuracy = try #require(runner("test_accuracy").value(at: 3, of: epochs))
        #expect(accuracy.value == -0.8 && accuracy.best == -0.85, "maximised: negated, so smaller is better")
        #expect(runner("test_loss").value(at: 4, of: epochs) == nil, "not reached")
        var diverged = epochs
        diverged[1] = EpochMetrics(epoch: 2, trainLoss: .nan, testLoss: .nan, testAccuracy: 0.1, seconds: 0)
        #expect(runner("test_loss").value(at: 2, of: diverged) == nil)
        let printed = [EpochMetrics(epoch: 1, seconds: 1, named: [("loss", 2), ("best_loss", 2)]),
                       EpochMetrics(epoch: 2, seconds: 1, named: [("loss", 3), ("best_loss", 1.5)])]
        let program = try #require(Runner(Self.program).value(at: 2, of: printed))
        #expect(program.value == 1.5 && program.best == 1.5)
        let record = Parts.record(Parts.grid, 0, losses: [0.5, 0.25])
        #expect(Runner(Parts.grid).score(of: record) == 0.25)
    }
}

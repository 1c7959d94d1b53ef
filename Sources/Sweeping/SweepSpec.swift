import Foundation
import Training
import SweepCore

/// A sweep file: the Weights & Biases sweep schema, so users' files carry over. Every key W&B
/// defines is either run as W&B runs it or refused in one line that says why; nothing is silently
/// ignored (`noEffectKeys` are accepted with a warning).
public struct SweepSpec: Sendable {
    /// How trials are chosen.
    public enum Method: String, Sendable {
        /// Every combination, in order.
        case grid
        /// Independent draws.
        case random
        /// Model-based: the Tree-structured Parzen Estimator (see `Scheduling.TPE`).
        case bayes
        /// Population-based training: a population trained in stretches, the worse copying the better
        /// and perturbing their values at each boundary (`PopulationRule`).
        case pbt
    }

    /// The sweep's name: its results go to `Results/<name>/`.
    public var name: String
    /// W&B's `description`, shown in the report.
    public var description: String?
    /// How trials are chosen: every grid point, independent draws, or bayes proposals.
    public var method: Method
    /// What the ranking optimises, and when the sweep may end early: the first objective.
    public var metric: Metric {
        get { objectives.metrics[0] }
        set { objectives.metrics[0] = newValue }
    }
    /// Every objective (`metric:`, or W&B's `metrics:` for several) and the `metric_constraints:`.
    public var objectives: Objectives
    /// `warm_start:`: earlier results folders whose trials bayes and early termination learn from first.
    public var warmStart: [String]
    /// At most this many trials (every method).
    public var runCap: Int?
    /// Seeds the random search itself (not the trials: `seed` is a parameter).
    public var randomSeed: UInt64
    /// Bayes: proposal k learns from the results of trials 0…k−P−1 only; fixed by the file, so the
    /// proposals are the same with 1 worker or 100.
    public var parallelism: Int
    /// `parallelism` when the file does not give it.
    public static let defaultParallelism = 8
    /// `method: pbt`'s settings (its `population_size`, `perturbation_interval`, …); nil for other methods.
    public var population: PopulationRule?
    /// Stop trials early (`early_terminate:`).
    public var earlyTermination: EarlyTermination?
    /// The sweep ends once its trials, in sweep order, have run this many epochs (an extension).
    public var epochBudget: Int?
    /// Seconds of training between the checkpoints a worker sends (0: none but those at rungs and the final one).
    public var checkpointEvery: Double
    /// The final weights of this many of the best completed trials are kept as safetensors files.
    public var keepModels: Int
    /// A program trial running longer than this many seconds ends as failed, reason `timeout` (an extension).
    public var maxSeconds: Double?
    /// Seconds between SIGTERM and SIGKILL when a program trial is stopped (an extension; W&B's agent waits 30).
    public var stopGraceSeconds: Double

    /// `max_seconds`' and `stop_grace_seconds`' largest value (a week); the grace's default is
    /// `ProgramJob.defaultStopGrace`.
    public static let longestProgramSeconds = 604_800.0

    /// The parameters: the built-in trainer's in file order, a program's flattened in W&B's sorted order.
    public var parameters: [Parameter] { space.parameters }
    /// What a program sweep runs (`program:` or `command:`); nil for the built-in trainer.
    public var program: ProgramSpec?
    /// The trials, by position, computed on demand.
    public package(set) var space: TrialSpace
    /// Who trains the trials: the built-in trainer, or the program.
    public var runner: RunnerKind { space.runner }
    /// Things the file says that have no effect here (W&B's `entity`, `project`, …), one line each.
    public var warnings: [String]
    /// The file's text, kept to record the spec as run.
    public var text: String
    /// Where it came from, for messages.
    public var file: String

    /// `checkpoint_every`'s default and largest value (a week), in seconds.
    public static let defaultCheckpointInterval = 60.0
    public static let longestCheckpointInterval = 604_800.0
    /// `keep_models`'s default and largest value.
    public static let defaultKeptModels = 5
    public static let mostKeptModels = 10_000

    /// The largest sweep file read: a sweep file is a few hundred bytes, and this bounds the parser's work.
    public static let maximumFileSize = 1 << 20

    /// A sweep with every setting at its default and no parameters: a sweep file's reader
    /// (`SweepFiles`) starts from it and sets what the file says.
    package init(text: String, file: String) {
        name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        description = nil
        method = .grid
        objectives = Objectives(metrics: [Metric()])
        warmStart = []
        runCap = nil
        randomSeed = 0
        parallelism = SweepSpec.defaultParallelism
        earlyTermination = nil
        population = nil
        epochBudget = nil
        checkpointEvery = SweepSpec.defaultCheckpointInterval
        keepModels = SweepSpec.defaultKeptModels
        maxSeconds = nil
        stopGraceSeconds = ProgramJob.defaultStopGrace
        program = nil
        space = TrialSpace(runner: .trainer, method: .grid, parameters: [], randomSeed: 0, runCap: nil)
        warnings = []
        self.text = text
        self.file = file
    }

    /// Trial positions (see `TrialSpace.count`); population-based training's: a stretch per member
    /// and generation, generation by generation.
    public var count: Int {
        guard let population else { return space.count }
        return population.populationSize * population.generations(of: populationEpochs)
    }

    /// What trial `index` trains (before bayes proposes its own points: its random start; in
    /// population-based training, the values its member starts with, for the whole run).
    public func point(at index: Int) -> TrialPoint {
        guard let population else { return space.point(at: index) }
        return space.point(at: index % population.populationSize)
    }

    /// Population-based training: the epochs of a member's whole run (the sweep's one `epochs`).
    public var populationEpochs: Int { space.point(at: 0).epochs ?? TrainingConfig().epochs }

    /// Whether `point` is one this sweep can produce (see `TrialSpace.admits`); in population-based
    /// training, a stretch whose values are the space's but for `epochs`, where its stretch ends.
    public func admits(_ point: TrialPoint) -> Bool {
        guard population != nil else { return space.admits(point) }
        guard point.lineage != nil, let whole = space.point(at: 0)[Hyperparameter.epochs.rawValue] else { return false }
        let values = point.values.map { $0.key == Hyperparameter.epochs.rawValue ? ParameterValue.Pair($0.key, whole) : $0 }
        return space.admits(TrialPoint(runner: point.runner, values: values))
    }

    /// The columns of this sweep's `trials.csv` and epochs file.
    public var layout: RecordLayout { RecordLayout(self) }
}

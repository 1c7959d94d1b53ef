import Sweeping
import Training
import SweepCore

/// What the scheduler must know about what runs a sweep's trials, the built-in trainer or a
/// program: the one place in `Scheduling` where the two are told apart.
struct Runner {
    /// A program's, not the built-in trainer's.
    let isProgram: Bool
    /// The sweep's metric.
    let metric: Metric
    /// Every objective and the constraints.
    let objectives: Objectives
    /// Who trains the trials (for the figures it derives: `RunnerKind.figure`).
    private let kind: RunnerKind
    /// Seconds of training between checkpoints, and whether the final weights are sent (to keep a model).
    private let checkpointEvery: Double
    private let keepsModels: Bool
    /// Population-based training's rule (nil for other methods).
    private let population: PopulationRule?

    init(_ spec: SweepSpec) {
        isProgram = spec.runner == .program
        metric = spec.metric
        objectives = spec.objectives
        kind = spec.runner
        checkpointEvery = spec.checkpointEvery
        keepsModels = spec.keepModels > 0
        population = spec.population
    }

    /// Whether a trial at a rung not yet decided pauses there (its worker checkpoints and takes other
    /// work) under `rule`: the built-in trainer can; a program keeps its own checkpoints, so it trains
    /// on while a decision waits (and is stopped, with SIGTERM, if the decision is to stop it).
    func pausesAtRungs(under rule: EarlyTermination?) -> Bool { !isProgram && (rule?.pausesAtRungs ?? false) }

    /// Checkpoint work for an assignment: a program sends none.
    /// Population-based training always needs the final weights: the next stretch continues from them.
    var checkpointWork: (every: Double, sendFinal: Bool) {
        isProgram ? (0, false) : (checkpointEvery, keepsModels || population != nil)
    }

    /// Where a stretch of population-based training starts: its parent's final checkpoint, after
    /// this many epochs; nil for a trial that starts from scratch.
    func continuation(of point: TrialPoint) -> (parent: String, epochs: Int)? {
        guard let population, let lineage = point.lineage, let parent = lineage.parent else { return nil }
        return (parent, lineage.generation * population.perturbationInterval)
    }

    /// The epochs recorded for `point`: a stretch's own (its result carries its whole chain's).
    func recordedEpochs(of point: TrialPoint, _ epochs: [EpochMetrics]) -> [EpochMetrics] {
        guard let start = continuation(of: point)?.epochs else { return epochs }
        return epochs.filter { $0.epoch > start }
    }

    /// The epochs `point` trains, when known in advance (a program runs until it exits).
    func length(of point: TrialPoint) -> Int? { point.epochs }

    /// The rungs of a trial of `length` epochs: a program's length is not known, so every rung applies.
    func rungLength(_ length: Int?) -> Int { length ?? EarlyTermination.maximumEpoch }

    /// Why `point` cannot be trained (a corner the sweep file's checks cannot see), or nil.
    func problem(with point: TrialPoint) -> (any Error)? {
        do {
            try point.trainingConfig?.validate()
            return nil
        } catch {
            return error
        }
    }

    /// The built-in trainer's configuration of `point` (what its results and checkpoints carry); nil for a program.
    func config(of point: TrialPoint) -> TrainingConfig? { point.trainingConfig }

    /// What a worker's result or claim vouches it trains: the built-in trainer's configuration it
    /// carries; nothing for a program (its id and position must do).
    /// A stretch of population-based training is more than its configuration (its lineage): none.
    func point(vouchedBy config: TrainingConfig?) -> TrialPoint? {
        population == nil ? config.map { TrialPoint(config: $0) } : nil
    }

    /// The figure of an epoch that shows how a running trial does: the metric, or for the built-in
    /// trainer's `best_test_loss`, the test loss.
    var progressFigure: String {
        !isProgram && metric.name.hasPrefix("best_") ? String(metric.name.dropFirst(5)) : metric.name
    }

    /// A recorded trial's metric, signed so that smaller is better (+∞ where missing or not finite).
    func score(of record: TrialRecord) -> Double {
        let sign: Double = metric.minimize ? 1 : -1
        return record.metric(metric.name).map { $0.isFinite ? sign * $0 : .infinity } ?? .infinity
    }

    /// The metric at `epoch` (1-based) of `epochs`, signed so that smaller is better, and the best
    /// so far; nil where the epoch is missing or not finite (the trial diverged there).
    func value(at epoch: Int, of epochs: [EpochMetrics]) -> (value: Double, best: Double)? {
        let sign: Double = metric.minimize ? 1 : -1
        // The figure by name (`EpochMetrics.value(named:)`); the built-in trainer's `best_test_loss`
        // is the best test loss so far, so its value at each epoch is the running best.
        let figure = progressFigure
        guard epoch <= epochs.count, let last = epochs[epoch - 1].value(named: figure), last.isFinite else { return nil }
        var best = Double.infinity
        for metrics in epochs.prefix(epoch) {
            if let value = metrics.value(named: figure), value.isFinite { best = min(best, sign * value) }
        }
        return (figure == metric.name ? sign * last : best, best)
    }
}

extension Runner {
    /// With several objectives, each one's value at `epoch` (1-based) of `epochs` of `point`, signed so
    /// that smaller is better, and each one's best so far; nil where the epoch is missing or an
    /// objective is not finite there. An epoch's figure by name, a `best_` figure as its running best,
    /// and the figures the runner derives (`seconds` so far; the trainer's `model_size`, and `flops`
    /// of the epochs so far).
    func objectiveValues(at epoch: Int, of epochs: [EpochMetrics], point: TrialPoint?) -> (value: [Double], best: [Double])? {
        guard epoch >= 1, epoch <= epochs.count else { return nil }
        let reached = epochs.prefix(epoch)
        var values: [Double] = [], bests: [Double] = []
        for objective in objectives.metrics {
            let sign: Double = objective.minimize ? 1 : -1
            let figure = !isProgram && objective.name.hasPrefix("best_") ? String(objective.name.dropFirst(5)) : objective.name
            func at(_ e: Int) -> Double? {
                if let value = epochs[e - 1].value(named: figure) { return value }
                let seconds = epochs.prefix(e).reduce(0) { $0 + $1.seconds }
                return point.flatMap { kind.figure(figure, of: $0, epochs: e, seconds: seconds) }
            }
            guard let last = at(epoch), last.isFinite else { return nil }
            var best = Double.infinity
            for e in 1...reached.count { if let value = at(e), value.isFinite { best = min(best, sign * value) } }
            values.append(figure == objective.name ? sign * last : best)
            bests.append(best)
        }
        return (values, bests)
    }
}

extension Assignment {
    /// What the built-in trainer's worker is sent to train (nil for a program's trial, whose worker is
    /// sent the program's job instead).
    public var config: TrainingConfig? { point.trainingConfig }
}

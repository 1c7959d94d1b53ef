import Sweeping
import Training

/// `method: pbt`: position `generation × P + member` is that member's stretch of `generation`. In
/// generation 0 each member trains its random draw from scratch; afterwards each continues from a
/// final checkpoint of the generation before, its own or, in the lower quantile, a better member's
/// with that member's values explored (`PopulationRule`). A generation's positions wait until every
/// stretch of the one before is recorded, and the decisions read those records in member order, so
/// the schedules are the same whatever the number of workers, their speed, or what died.
struct PopulationSearcher: Searcher {
    private let spec: SweepSpec
    private let rule: PopulationRule
    /// Every member's whole run, in epochs, and how many stretches it takes.
    private let epochs: Int, generations: Int
    /// The parameters explore may change: those a run can change midway (not the network's shape,
    /// the optimiser, the data or the seed, which a copy takes from its donor with the weights).
    private let explored: [Parameter]
    /// The figure a boundary's decisions compare (a `best_` metric's figure as it stands there, as Ray
    /// compares the last result), and its sign (smaller is better after it).
    private let figure: String, sign: Double
    /// The recorded stretches, by position: learnt in sweep order, dropped two generations on.
    private var recorded: [Int: TrialRecord] = [:]

    init(spec: SweepSpec) {
        self.spec = spec
        rule = spec.population ?? PopulationRule(populationSize: 2, perturbationInterval: 1, seed: spec.randomSeed)
        epochs = spec.populationEpochs
        generations = rule.generations(of: epochs)
        explored = spec.parameters.filter { Hyperparameter(rawValue: $0.name)?.changesBetweenStretches ?? false }
        figure = Runner(spec).progressFigure
        sign = spec.metric.minimize ? 1 : -1
    }

    var learns: Bool { true }

    func point(at position: Int, frontier: Int, evidence: (Int) -> Evidence) -> TrialPoint? {
        let size = rule.populationSize
        let (generation, member) = position.quotientAndRemainder(dividingBy: size)
        let end = rule.end(of: generation, epochs: epochs)
        guard generation > 0 else {
            return stretch(spec.point(at: member), end: end, Lineage(member: member, generation: 0, parent: nil))
        }
        // The boundary's decisions need the whole generation before.
        let first = (generation - 1) * size
        guard frontier >= first + size else { return nil }
        let population = (first..<(first + size)).map { recorded[$0] }
        let values = population.map { $0.flatMap(value(of:)) }
        var decision = rule.decision(for: member, generation: generation, values: values)
        // A member with nothing to go on (it failed, or diverged) copies a better one if there is one.
        if decision == .keep, values[member] == nil, let donor = rule.quantiles(values).upper.last, values[donor] != nil {
            decision = .exploit(donor: donor)
        }
        switch decision {
        case .keep:
            guard let own = population[member] else { return nil }
            return stretch(own.point, end: end, Lineage(member: member, generation: generation, parent: own.id))
        case .exploit(let donor):
            guard let source = population[donor] else { return nil }
            let explored = rule.explore(source.point, parameters: self.explored, member: member, generation: generation)
            return stretch(explored, end: end, Lineage(member: member, generation: generation, parent: source.id))
        }
    }

    mutating func learn(from record: TrialRecord, at position: Int, atStop: HeldAtRung?) {
        guard position >= 0 else { return }
        recorded[position] = record
        // Decisions read one generation back: older stretches are done with.
        let old = position - 2 * rule.populationSize
        if old >= 0 { recorded[old] = nil }
    }

    /// `point`'s values with `epochs` set to where the stretch ends, as the stretch `lineage`.
    private func stretch(_ point: TrialPoint, end: Int, _ lineage: Lineage) -> TrialPoint {
        let values = point.values.map { $0.key == Hyperparameter.epochs.rawValue ? .init($0.key, .int(end)) : $0 }
        return spec.runner.point(values).with(lineage: lineage)
    }

    /// A recorded stretch's value at its boundary, signed so that smaller is better; nil when it has
    /// none (it failed, or diverged).
    private func value(of record: TrialRecord) -> Double? {
        guard record.status == .completed, let value = record.metric(figure), value.isFinite else { return nil }
        return sign * value
    }

    /// Whether a recorded stretch's final checkpoint is still to be continued from: every stretch but
    /// the last generation's (whose final weights are the members' models).
    func keepsCheckpoint(of record: TrialRecord) -> Bool {
        guard let lineage = record.point.lineage else { return false }
        return lineage.generation < generations - 1
    }

    /// The trials whose checkpoints nothing needs once the frontier has passed `position`: when it
    /// passes a generation's last stretch, the checkpoints of the generation before it.
    func checkpointsDone(afterPassing position: Int) -> [String] {
        let size = rule.populationSize
        let (generation, member) = position.quotientAndRemainder(dividingBy: size)
        guard member == size - 1, generation >= 1 else { return [] }
        let first = (generation - 1) * size
        return (first..<(first + size)).compactMap { recorded[$0]?.id }
    }
}

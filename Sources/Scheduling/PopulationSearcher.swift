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
    /// Each boundary's ranking, by the generation it starts: worked out once, when the generation
    /// before it is all learnt, so a proposal costs the same however large the population.
    private var boundaries: [Int: Boundary] = [:]

    /// The population at a boundary: each member's value there (nil: none), the two ends, and the
    /// best member with a value.
    private struct Boundary {
        var values: [Double?]
        var lower: [Int], upper: [Int]
        var best: Int?
    }

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
        guard frontier >= first + size, let boundary = boundaries[generation] else { return nil }
        var decision = rule.decision(for: member, generation: generation, lower: boundary.lower, upper: boundary.upper)
        // Only a member with a value has weights worth copying (more than the upper end may have none);
        // and a member with nothing to go on (it failed, or diverged) copies the best there is.
        if case .exploit(let donor) = decision, boundary.values[donor] == nil {
            decision = boundary.best.map { .exploit(donor: $0) } ?? .keep
        }
        if decision == .keep, boundary.values[member] == nil, let best = boundary.best, best != member { decision = .exploit(donor: best) }
        switch decision {
        case .keep:
            guard let own = recorded[first + member] else { return nil }
            return stretch(own.point, end: end, Lineage(member: member, generation: generation, parent: own.id))
        case .exploit(let donor):
            guard let source = recorded[first + donor] else { return nil }
            let explored = rule.explore(source.point, parameters: self.explored, member: member, generation: generation)
            return stretch(explored, end: end, Lineage(member: member, generation: generation, parent: source.id))
        }
    }

    mutating func learn(from record: TrialRecord, at position: Int, atStop: HeldAtRung?) {
        guard position >= 0 else { return }
        recorded[position] = record
        let size = rule.populationSize
        let (generation, member) = position.quotientAndRemainder(dividingBy: size)
        if member == size - 1 {
            // The generation is all learnt: the next boundary's ranking, once.
            let values = (0..<size).map { recorded[generation * size + $0].flatMap(value(of:)) }
            let (lower, upper) = rule.quantiles(values)
            // The best: the smallest value, a tie to the higher member (as `quantiles` orders them).
            let best = values.indices.filter { values[$0] != nil }.min { a, b in values[a]! != values[b]! ? values[a]! < values[b]! : a > b }
            boundaries[generation + 1] = Boundary(values: values, lower: lower, upper: upper, best: best)
            boundaries[generation - 1] = nil
        }
        // Decisions read one generation back: older stretches are done with.
        let old = position - 2 * size
        if old >= 0 { recorded[old] = nil }
    }

    /// A stretch that would continue a run with no final weights (every member failed or diverged
    /// there): recorded as failed, never handed out, the same way every time.
    func problem(with point: TrialPoint) -> String? {
        guard let lineage = point.lineage, let parent = lineage.parent, lineage.generation > 0 else { return nil }
        let first = (lineage.generation - 1) * rule.populationSize
        guard let record = (first..<(first + rule.populationSize)).lazy.compactMap({ self.recorded[$0] }).first(where: { $0.id == parent }),
              record.status != .completed else { return nil }
        return "nothing to continue from: its parent \(parent) \(record.status.rawValue), and no member had a value to copy"
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
        // Only a completed stretch is continued from (`point(at:)`); another's partial checkpoint goes.
        record.status == .completed && keepsFinalCheckpoint(of: record.point)
    }

    /// Every stretch but the last generation's is continued from, if it completes.
    func keepsFinalCheckpoint(of point: TrialPoint) -> Bool {
        guard let lineage = point.lineage else { return false }
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

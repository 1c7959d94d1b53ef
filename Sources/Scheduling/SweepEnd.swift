import Sweeping
import SweepCore

/// Where the sweep ends: a frontier moves over settled positions in sweep order, adding up the
/// epochs they ran for `epoch_budget` and checking `metric.target`; the first position that settles
/// either ends the sweep after it (the cutoff), whatever ran later. It decides how the sweep ended
/// and how many positions it has.
struct SweepEnd {
    /// Positions in the sweep, before any cutoff.
    let count: Int
    private let metric: Metric
    /// Every objective and the constraints: with several, the target is reached when every metric
    /// that has one reaches it, by a feasible trial.
    private let objectives: Objectives
    private let budget: Int?
    /// The first position not passed: every one before it is settled.
    private(set) var frontier = 0
    /// The position the sweep ends before, once settled.
    private(set) var cutoff: Int?
    /// Epochs run by the positions passed.
    private(set) var epochsSpent = 0
    /// How the sweep ended (meaningful once every position is passed).
    private(set) var outcome: SweepOutcome = .finished

    init(count: Int, metric: Metric, objectives: Objectives? = nil, budget: Int?) {
        self.count = count
        self.metric = metric
        self.objectives = objectives ?? Objectives(metrics: [metric])
        self.budget = budget
    }

    /// Whether a completed `record` reaches the target: the metric's, or with several objectives every
    /// one that has a target, met by a feasible trial.
    private func reachesTarget(_ record: TrialRecord) -> Bool {
        guard record.status == .completed, record.feasible != false else { return false }
        guard objectives.areSeveral else { return metric.reachesTarget(record.metric(metric.name) ?? .nan) }
        let targeted = objectives.metrics.filter { $0.target != nil }
        return !targeted.isEmpty && targeted.allSatisfy { $0.reachesTarget(record.metric($0.name) ?? .nan) }
    }

    /// Positions of the sweep: its end, once settled.
    var limit: Int { cutoff ?? count }

    /// Every position of the sweep is passed.
    var isReached: Bool { frontier >= limit }

    /// The sweep's end, settled by the position before `number`.
    struct Ending: Equatable {
        var number: Int
        var reason: SweepOutcome
    }

    /// The frontier passes its position, settled as `record` (nil: a repeated configuration); returns
    /// the end this settles, if it does.
    mutating func pass(_ record: TrialRecord?) -> Ending? {
        let position = frontier
        frontier += 1
        guard let record else { return nil }
        epochsSpent += record.epochsRun
        if reachesTarget(record) {
            return end(at: position + 1, .targetReached)
        } else if let budget, epochsSpent >= budget {
            return end(at: position + 1, .budgetSpent)
        }
        return nil
    }

    private mutating func end(at number: Int, _ reason: SweepOutcome) -> Ending? {
        guard cutoff == nil || number < cutoff! else { return nil }
        cutoff = number
        outcome = reason
        return Ending(number: number, reason: reason)
    }
}

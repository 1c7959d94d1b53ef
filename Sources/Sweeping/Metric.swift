import SweepCore

/// What a sweep ranks by, which way is better, and when it may end early: decided here only
/// (`sweep run`, `rank`, `status` and the report all ask this type).
public struct Metric: Equatable, Sendable {
    /// Which way is better.
    public enum Goal: String, Sendable {
        case minimize, maximize
    }

    /// A `trials.csv` metric: `test_loss` (the final epoch's), `best_test_loss` or `test_accuracy`.
    public var name: String
    /// Which way is better.
    public var goal: Goal
    /// W&B's `metric.target`: the sweep ends once a completed trial reaches it.
    public var target: Double?

    /// The built-in trainer's metrics a sweep may rank by: its figures (final test loss, best test loss,
    /// test accuracy, train loss) and its cost figures (`model_size`, `flops`: functions of the
    /// configuration; `seconds`: training time, which makes decisions depend on timing).
    public static let names = ["test_loss", "best_test_loss", "test_accuracy", "train_loss", "model_size", "flops", "seconds"]

    /// The metrics whose values depend on how fast a trial ran, not only on the sweep file.
    public static let timed: Set<String> = ["seconds"]

    /// A metric; without a goal, accuracy is maximised and losses are minimised.
    public init(name: String = "test_loss", goal: Goal? = nil, target: Double? = nil) {
        self.name = name
        self.goal = goal ?? Metric.naturalGoal(of: name)
        self.target = target
    }

    /// The goal a metric has unless the sweep file says otherwise.
    public static func naturalGoal(of name: String) -> Goal { name.contains("accuracy") ? .maximize : .minimize }

    /// Whether smaller is better.
    public var minimize: Bool { goal == .minimize }

    /// Whether `value` is better than `other`.
    public func isBetter(_ value: Double, than other: Double) -> Bool { minimize ? value < other : value > other }

    /// Whether `value` reaches the target (at or beyond it, in the goal's direction).
    public func reachesTarget(_ value: Double) -> Bool {
        guard let target, value.isFinite else { return false }
        return minimize ? value <= target : value >= target
    }

    /// The completed record with the best value, if any.
    public func best(of records: [TrialRecord]) -> TrialRecord? {
        var best: (record: TrialRecord, value: Double)?
        for record in records where record.status == .completed {
            guard let value = record.metric(name), value.isFinite else { continue }
            if best.map({ isBetter(value, than: $0.value) }) ?? true { best = (record, value) }
        }
        return best?.record
    }
}

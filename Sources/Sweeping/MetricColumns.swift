import Foundation
import Training
import SweepCore

/// The metrics a ranking of one results folder can use, and each trial's value of them: the ones
/// `trials.csv` holds (the built-in trainer's final figures and best test loss; a program sweep's
/// metric and its best), and any other figure of the epochs file (`epochs.csv`, or every name a
/// program printed in `metrics.csv`): `<name>` is the last value the trial printed, `best_<name>`
/// its best epoch's by that figure's goal.
public struct MetricColumns: Sendable {
    /// The folder's columns.
    public let layout: RecordLayout
    /// Every name a ranking may use, in the order a message lists them.
    public let names: [String]
    /// The figures of the epochs file, by name (the built-in trainer's three, or what programs printed).
    private let figures: Set<String>
    /// Each trial's epochs (empty when only `trials.csv`'s own columns are needed).
    private let epochs: [String: [EpochMetrics]]
    /// Which way is better for a figure (its `best_` value), where not its natural goal (`MetricColumns.naturalGoal`).
    public var goals: [String: Metric.Goal]

    /// The metric columns `trials.csv` itself holds.
    public static func recorded(_ layout: RecordLayout) -> [String] {
        layout.metric.map { [$0, "best_" + $0] + layout.otherObjectives } ?? ["test_loss", "best_test_loss", "test_accuracy", "train_loss"]
    }

    /// The built-in trainer's figures derived from its configuration and record rather than an epoch.
    static let derived = ["model_size", "flops", "seconds"]

    /// The built-in trainer's figures per epoch.
    static let modelFigures = ["test_loss", "test_accuracy", "train_loss"]

    /// Whether ranking by `names` needs the epochs file (a name `trials.csv` does not hold).
    public static func needEpochs(_ names: [String], layout: RecordLayout) -> Bool {
        !Set(names).isSubset(of: recorded(layout))
    }

    /// The columns of a folder with `layout`, its `epochs` (from its epochs file; none when only
    /// `trials.csv`'s columns are wanted) and the goals of figures that do not have their natural one.
    public init(layout: RecordLayout, epochs: [String: [EpochMetrics]] = [:], goals: [String: Metric.Goal] = [:]) {
        self.layout = layout
        self.epochs = epochs
        self.goals = goals
        let recorded = MetricColumns.recorded(layout)
        if layout.epochTable == .long {  // figures named in the file, not known in advance
            var printed = Set<String>()
            for trial in epochs.values { for epoch in trial { printed.formUnion(epoch.extra.keys) } }
            figures = printed
            names = recorded + printed.sorted().filter { $0 != layout.metric }.flatMap { [$0, "best_" + $0] }
                .filter { !recorded.contains($0) } + ["seconds"]
        } else {
            figures = Set(MetricColumns.modelFigures)
            names = ["test_loss", "best_test_loss", "test_accuracy", "best_test_accuracy", "train_loss", "best_train_loss"]
                + MetricColumns.derived
        }
    }

    /// The goal a figure has when neither the sweep nor the command says: `Metric`'s (accuracy is
    /// maximised), and also for names whose word is `acc` (`acc`, `val_acc`), which programs print.
    public static func naturalGoal(of name: String) -> Metric.Goal {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
        return Metric.naturalGoal(of: name) == .maximize || words.contains("acc") ? .maximize : .minimize
    }

    /// The figure `name` ranks by: itself, or for `best_<figure>` that figure (nil when it is neither).
    public func figure(of name: String) -> String? {
        if figures.contains(name) { return name }
        if name.hasPrefix("best_"), figures.contains(String(name.dropFirst(5))) { return String(name.dropFirst(5)) }
        if let metric = layout.metric, name == "best_" + metric { return metric }
        return nil
    }

    /// `record`'s value of `name` (nil when it has none: no epoch printed it, or it never ran).
    public func value(_ record: TrialRecord, _ name: String) -> Double? {
        if MetricColumns.recorded(layout).contains(name) || MetricColumns.derived.contains(name) { return record.metric(name) }
        guard let figure = figure(of: name), let trial = epochs[record.id] else { return nil }
        if name == figure { return trial.last { $0.value(named: figure) != nil }?.value(named: figure) }
        let goal = Metric(name: figure, goal: goals[figure] ?? MetricColumns.naturalGoal(of: figure))
        var best: Double?
        for epoch in trial {
            guard let value = epoch.value(named: figure), !value.isNaN else { continue }
            if best.map({ goal.isBetter(value, than: $0) }) ?? true { best = value }
        }
        return best
    }
}

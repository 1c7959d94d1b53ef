import Sweeping

/// Which trials' final weights are kept as models: the best `keep_models` completed trials by the
/// metric (then by position), ranked as the frontier passes them, so the choice is the same however
/// the sweep ran. It decides what becomes of a settled trial's checkpoint and model files.
struct ModelKeeper {
    /// How many models to keep (`keep_models`).
    let keep: Int
    private let runner: Runner
    /// The best completed trials, best first, at most `keep`: the ones whose weights are kept.
    private var best: [(key: Double, number: Int, id: String)] = []
    /// Trials with a model file.
    private(set) var onDisk: Set<String>

    init(keep: Int, runner: Runner, models: Set<String>) {
        self.keep = keep
        self.runner = runner
        onDisk = models
    }

    /// At the start: models of trials this sweep has not recorded go (`removeModel`, in id order). The
    /// rest are settled as the frontier passes their trials.
    mutating func dropModels(unless isRecorded: (String) -> Bool) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        for id in onDisk.sorted() where !isRecorded(id) {
            actions.append(.removeModel(id))
            onDisk.remove(id)
        }
        return actions
    }

    /// Whether a trial just recorded as `record` keeps its stored checkpoint until the frontier passes
    /// it (its final weights may become its model); any other checkpoint is done with.
    func keepsCheckpoint(of record: TrialRecord, finalStored: Bool) -> Bool {
        record.status == .completed && finalStored && keep > 0
    }

    /// The frontier passed recorded trial `id`, which is part of the sweep for good: if it ranks among
    /// the best its final weights become its model (pushing out the last one's), else its files go.
    /// `checkpoint`: it has a stored checkpoint, holding the final weights if `finalStored`.
    mutating func settle(_ id: String, _ record: TrialRecord, checkpoint: Bool, finalStored: Bool,
                         recordedBefore: Bool) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        let hasModel = onDisk.contains(id)
        var ranked = false, converted = false
        if record.status == .completed, let evicted = rank(record) {
            ranked = true
            if !hasModel {
                if finalStored && checkpoint {
                    actions.append(.keepModel(id))
                    onDisk.insert(id)
                    converted = true
                } else if !recordedBefore {
                    actions.append(.event(.noModel(trial: id, reason: "no final weights arrived")))
                }
            }
            if let evicted, onDisk.remove(evicted) != nil { actions.append(.removeModel(evicted)) }
        }
        if !ranked && hasModel {
            actions.append(.removeModel(id))
            onDisk.remove(id)
        }
        if checkpoint && !converted { actions.append(.removeCheckpoint(id)) }
        return actions
    }

    /// `id` is past the sweep's end: true if its model file is to go.
    mutating func forget(_ id: String) -> Bool { onDisk.remove(id) != nil }

    /// Puts a completed record among the best if it ranks there (by the metric, then by position);
    /// returns nil if it does not, else the id pushed out (`.some(nil)`: none).
    private mutating func rank(_ record: TrialRecord) -> String?? {
        guard keep > 0 else { return nil }
        let entry = (key: runner.score(of: record), number: record.number ?? Int.max, id: record.id)
        let at = best.firstIndex { ($0.key, $0.number, $0.id) > (entry.key, entry.number, entry.id) } ?? best.endIndex
        guard at < keep else { return nil }
        best.insert(entry, at: at)
        return .some(best.count > keep ? best.removeLast().id : nil)
    }
}

import Sweeping
import Training
import SweepCore

/// Early termination for a sweep: each opened position's rungs (by its bracket) and the epochs known
/// of its trial, the decisions taken at them (`RungLedger`, in sweep order), and what a trial holds
/// at a rung. It decides which trials stop where; which trials pause, what becomes of a result, and
/// who is told are the facade's. Without an `early_terminate` rule it holds nothing and every
/// trial has no rungs.
struct RungJudge {
    /// One position's rungs and what is known of them.
    struct Track {
        /// Its asha bracket (0 with one bracket, and for every other rule).
        var bracket: Int
        var rungs: [Int]
        /// Rungs decided, in order (each a pass, or the stop).
        var decided = 0
        /// The rung it was stopped at.
        var stopAt: Int?
        /// Its epochs known so far.
        var epochs: [EpochMetrics] = []
        /// Epochs run, for a trial recorded before this scheduler started (its decisions are in its record).
        var recordedRun: Int?
        /// What it trains (for the figures its runner derives, with several objectives).
        var point: TrialPoint?
    }

    /// How the position stands apart from its rungs, as the book knows it.
    enum Facts {
        /// Not opened yet.
        case unopened
        /// Takes part in no decision: a repeated configuration, or past the sweep's end.
        case absent
        /// Opened; `ended`: it is recorded, or its whole result is here.
        case opened(ended: Bool)
    }

    private var ledger: RungLedger?
    private let runner: Runner
    private let randomSeed: UInt64
    private var tracks: [Int: Track] = [:]
    /// Recorded epochs (epochs.csv) waiting for their trial's position.
    private var recordedEpochs: [String: [EpochMetrics]]
    /// Stops decided so far.
    private(set) var stops = 0

    /// A judge for `rule` (nil: no early termination); `recordedEpochs` are the epochs of recorded trials.
    init(rule: EarlyTermination?, randomSeed: UInt64, runner: Runner, recordedEpochs: [String: [EpochMetrics]]) {
        ledger = rule.map(RungLedger.init(rule:))
        self.runner = runner
        self.randomSeed = randomSeed
        self.recordedEpochs = rule == nil ? [:] : recordedEpochs
    }

    /// Whether the sweep has an early-termination rule.
    var isActive: Bool { ledger != nil }

    /// The rule.
    var rule: EarlyTermination? { ledger?.rule }

    // MARK: - Positions

    /// Opens `position`, whose trial trains `length` epochs (nil: not known in advance, a program's:
    /// every rung of the rule applies); `stored`: the epochs of its stored checkpoint.
    mutating func open(_ position: Int, point: TrialPoint? = nil, length: Int?, stored: [EpochMetrics]?) {
        guard let rule = ledger?.rule else { return }
        let bracket = rule.bracket(at: position, randomSeed: randomSeed)
        let rungs = rule.rungs(forEpochs: runner.rungLength(length), bracket: bracket)
        ledger!.track(rungs, bracket: bracket)
        tracks[position] = Track(bracket: bracket, rungs: rungs, epochs: stored ?? [], point: point)
    }

    /// `position` holds trial `id`, recorded before this scheduler started as `record`: its decisions are
    /// in the record, its epochs in epochs.csv.
    mutating func openRecorded(_ position: Int, id: String, record: TrialRecord) {
        guard isActive else { return }
        tracks[position]!.stopAt = record.stoppedAt
        tracks[position]!.epochs = recordedEpochs.removeValue(forKey: id) ?? []
        tracks[position]!.decided = tracks[position]!.rungs.count
        tracks[position]!.recordedRun = record.epochsRun
    }

    /// The rungs of `position`.
    func rungs(_ position: Int) -> [Int] { tracks[position]?.rungs ?? [] }

    /// The rung `position` was stopped at.
    func stopAt(_ position: Int) -> Int? { tracks[position]?.stopAt }

    /// The last rung `position` has passed or stopped at.
    func lastDecidedRung(_ position: Int) -> Int? {
        guard let track = tracks[position], track.decided > 0 else { return nil }
        return track.rungs[min(track.decided, track.rungs.count) - 1]
    }

    /// The rungs after `epoch` that `position` has not passed: where its worker pauses for word.
    func pauseAt(_ position: Int, after epoch: Int) -> [Int] {
        guard let track = tracks[position] else { return [] }
        return track.rungs.indices.filter { $0 >= track.decided && track.rungs[$0] > epoch }.map { track.rungs[$0] }
    }

    /// What is decided about `position` at rung `epoch`.
    enum Word { case notARung, stopped, passed, undecided }

    func word(_ position: Int, at epoch: Int) -> Word {
        guard let track = tracks[position], let rank = track.rungs.firstIndex(of: epoch) else { return .notARung }
        if track.stopAt != nil { return .stopped }
        return rank < track.decided ? .passed : .undecided
    }

    // MARK: - Epochs

    /// An epoch of `position`'s trial from the worker training it (kept if it is the next one).
    mutating func progress(_ position: Int, _ metrics: EpochMetrics) {
        guard tracks[position]?.epochs.count == metrics.epoch - 1 else { return }
        tracks[position]!.epochs.append(metrics)
    }

    /// Every finished epoch of `position`'s trial, from a checkpoint: they replace fewer known ones (a
    /// coordinator restarted since the trial began).
    mutating func checkpoint(_ position: Int, _ epochs: [EpochMetrics]) {
        guard let track = tracks[position], track.epochs.count < epochs.count else { return }
        tracks[position]!.epochs = epochs
    }

    /// The epochs of `position`'s result.
    mutating func result(_ position: Int, _ epochs: [EpochMetrics]) {
        guard isActive else { return }
        tracks[position]!.epochs = epochs
    }

    /// The epochs known of `position`.
    func epochs(_ position: Int) -> [EpochMetrics] { tracks[position]?.epochs ?? [] }

    /// What a trial holds at `rung` by the rule (`EarlyTermination.rungValue`), signed so that smaller
    /// is better; nil where the epoch is missing or not finite.
    func value(_ position: Int, at rung: Int) -> Double? {
        // With several objectives, the first one's as the rungs saw it (it may be a derived figure).
        if runner.objectives.areSeveral { return objectiveValues(position, at: rung)?.first }
        guard let rule = ledger?.rule, let reached = runner.value(at: rung, of: epochs(position)) else { return nil }
        return rule.rungValue(metric: reached.value, bestSoFar: reached.best)
    }

    /// With several objectives, what a trial holds at `rung` on each (as `value`), nil otherwise or
    /// where the epoch is missing or not finite.
    func objectiveValues(_ position: Int, at rung: Int) -> [Double]? {
        guard runner.objectives.areSeveral, let rule = ledger?.rule,
              let reached = runner.objectiveValues(at: rung, of: epochs(position), point: tracks[position]?.point) else { return nil }
        return zip(reached.value, reached.best).map { rule.rungValue(metric: $0, bestSoFar: $1) }
    }

    // MARK: - Warm start

    /// Takes a `warm_start:` trial's values at every epoch it ran into the rungs' histories, as if it
    /// had been decided before position 0 (a rung's earlier trials include it, in every bracket); returns
    /// what it held where it was stopped, for the searcher.
    mutating func learnPrior(_ prior: Scheduler.Prior) -> HeldAtRung? {
        guard let rule = ledger?.rule else { return nil }
        var atStop: HeldAtRung?
        for epoch in prior.epochs.indices.map({ $0 + 1 }) {
            let several = runner.objectives.areSeveral
                ? runner.objectiveValues(at: epoch, of: prior.epochs, point: prior.record.point) : nil
            if runner.objectives.areSeveral && several == nil { break }  // diverged there
            let vector = several.map { zip($0.value, $0.best).map { rule.rungValue(metric: $0, bestSoFar: $1) } }
            let value: Double
            if let vector {
                value = vector[0]
            } else {
                guard let reached = runner.value(at: epoch, of: prior.epochs) else { break }  // diverged there
                value = rule.rungValue(metric: reached.value, bestSoFar: reached.best)
            }
            ledger!.addPrior(epoch: epoch, value: value, vector: vector)
            if prior.record.stoppedAt == epoch { atStop = HeldAtRung(value: value, objectives: vector) }
        }
        return atStop
    }

    // MARK: - Decisions

    /// Every decision that has become possible for positions below `limit` (none is applied:
    /// `apply` each), with `facts` telling how each position stands apart from its rungs.
    mutating func decisions(limit: Int, facts: (Int) -> Facts) -> [RungLedger.Decision] {
        guard ledger != nil else { return [] }
        var decisions: [RungLedger.Decision] = []
        let tracks = self.tracks, runner = self.runner
        ledger!.advance(limit: limit, standing: { RungJudge.standing(tracks[$0], $1, facts($0), runner) },
                        apply: { decisions.append($0) })
        return decisions
    }

    /// Takes `decision` into `position`'s track.
    mutating func apply(_ decision: RungLedger.Decision) {
        tracks[decision.position]!.decided += 1
        if decision.stop {
            tracks[decision.position]!.stopAt = decision.rung
            stops += 1
        }
    }

    /// How a position, with `track`, stands at `rung`, for the ledger.
    private static func standing(_ track: Track?, _ rung: RungLedger.Key, _ facts: Facts, _ runner: Runner) -> RungLedger.Standing {
        let ended: Bool
        switch facts {
        case .unopened: return .unknown
        case .absent: return .absent
        case .opened(let hasEnded): ended = hasEnded
        }
        guard let track, track.bracket == rung.bracket else { return .absent }
        let epoch = rung.epoch
        guard let rank = track.rungs.firstIndex(of: epoch) else { return .absent }
        if let stop = track.stopAt, stop < epoch { return .absent }
        /// Its standing having reached the rung (`recorded`: its recorded outcome there), or absent
        /// where its value there is missing or not finite (it diverged there).
        func reached(recorded: Bool?) -> RungLedger.Standing {
            if runner.objectives.areSeveral {
                guard let reached = runner.objectiveValues(at: epoch, of: track.epochs, point: track.point) else { return .absent }
                return .reachedSeveral(values: reached.value, best: reached.best, recorded: recorded)
            }
            guard let reached = runner.value(at: epoch, of: track.epochs) else { return .absent }
            return .reached(value: reached.value, best: reached.best, recorded: recorded)
        }
        if let run = track.recordedRun {
            guard run >= epoch else { return .absent }
            return reached(recorded: track.stopAt == epoch)
        }
        guard rank == track.decided else { return .unknown }  // an earlier rung of its is undecided
        if track.epochs.count >= epoch { return reached(recorded: nil) }
        // It ended (recorded, or its whole result is here) before reaching the rung.
        return ended ? .absent : .unknown
    }

    /// Whether every decision a result of `epochs` epochs for `position` depends on is taken: one at
    /// each rung before its last epoch, and with `lastToo`, the one at its last epoch too (a result cut
    /// at a rung when told to stop there, perhaps by an earlier coordinator; or a program's, whose last
    /// epoch can be a rung nobody knew it would end at, so a stop there stands whichever came first).
    func decisionsComplete(_ position: Int, epochs: Int, lastToo: Bool) -> Bool {
        guard let track = tracks[position] else { return true }
        if track.stopAt != nil { return true }
        return track.decided >= track.rungs.filter { $0 < epochs || (lastToo && $0 == epochs) }.count
    }

    /// How a trial stands by its rung decisions alone, before it is recorded: stopped at a rung, or
    /// past its last rung, with its value there (nil where that epoch is not known yet).
    /// With several objectives, the value is the first objective's, and `objectives` each one's.
    enum Verdict {
        case stopped(rung: Int, value: Double?, objectives: [Double]?)
        case passedLast(rung: Int, value: Double, objectives: [Double]?)
    }

    func verdict(_ position: Int) -> Verdict? {
        guard let track = tracks[position] else { return nil }
        if let rung = track.stopAt {
            return .stopped(rung: rung, value: value(position, at: rung), objectives: objectiveValues(position, at: rung))
        }
        if let last = track.rungs.last {
            let passed = track.recordedRun.map { $0 > last } ?? (track.decided == track.rungs.count)
            if passed, let held = value(position, at: last) {
                return .passedLast(rung: last, value: held, objectives: objectiveValues(position, at: last))
            }
        }
        return nil
    }
}

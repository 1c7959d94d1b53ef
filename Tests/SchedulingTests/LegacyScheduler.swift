import Programs
@testable import Scheduling
import Sweeping
import Training

// TEMPORARY: the scheduler as it was before it was cut into parts, to check the parts against action by action.

/// Every decision of a sweep, apart from its I/O: which trial goes to which worker, when a worker is
/// dead and its trial goes back, when a trial is given up on, what bayes proposes, which trials early
/// termination stops, when the sweep ends. It opens no socket, reads no clock and touches no file: it
/// is fed `SchedulerInput`s with the time they happened and answers with `SchedulerAction`s, so each
/// fault case is a fast in-process test with scripted events and virtual time (`Coordinator` is the
/// shell that turns frames and the clock into inputs, and actions into frames and file writes).
///
/// Deterministic: every proposal and every stop is a function of recorded results in sweep order,
/// never of arrival order, timing, or how many workers came. Trials have positions 0, 1, 2, …;
/// bayes proposal k learns from the trials before k − `parallelism` only (with early termination, the
/// latest `parallelism` of them as their rung decisions left them); the stop decision for
/// trial k at a rung compares it with the trials before k at that rung only (`RungLedger`); the
/// sweep's end (target, epoch budget) is settled at the first trial, in order, that settles it. A
/// worker keeps training while a decision about its trial waits for earlier trials, so waiting costs
/// no idle time; a trial stopped at a rung keeps only its epochs up to the rung.
struct LegacyScheduler {
    typealias Phase = Scheduler.Phase
    typealias Outcome = Scheduler.Outcome
    typealias Statistics = Scheduler.Statistics
    typealias WorkerStatus = Scheduler.WorkerStatus



    private struct TrialState {
        var trial: Trial
        var number: Int
        /// Its asha bracket (0 with one bracket, and for every other rule).
        var bracket: Int
        var rungs: [Int]
        var attempts = 0
        var holder: WorkerID?
        /// Its epochs known so far (kept only while early termination needs them).
        var epochs: [EpochMetrics] = []
        /// Rungs decided, in order (each a pass, or the stop).
        var decided = 0
        /// The rung early termination stopped it at.
        var stopAt: Int?
        /// A result waiting for decisions about earlier trials, and the workers to acknowledge once it is
        /// recorded or kept (`hold`).
        var held: TrainingResult?
        var deliveries: [WorkerID] = []
        var record: TrialRecord?
        /// Past the sweep's end: not part of it.
        var beyondEnd = false
        /// The trial was recorded before this scheduler started (its decisions are in its record).
        var recordedBefore = false
        /// Finished epochs in its stored checkpoint (nil: none stored).
        var checkpoint: Int?
        /// The stored checkpoint holds the final weights.
        var finalStored = false
        /// Paused at the rung of its checkpoint: nobody trains it until that rung is decided.
        var paused = false
        /// Epochs computed for it across attempts, as reported by progress.
        var trained = 0

        var isSettled: Bool { record != nil || beyondEnd }
    }

    private struct WorkerState {
        var name: String
        var host: String
        var lastSeen: Duration
        var trial: String?
        var idle = false
        var epoch: Int?
        /// The figures of its last progress (its trial's while they are of `epoch`).
        var lastProgress: EpochMetrics?
        var waitingSince: Duration?
    }

    /// The sweep.
    let spec: SweepSpec
    /// Timing and fault policy.
    let options: SchedulerOptions
    /// Where the sweep is.
    private(set) var phase: Phase = .running
    /// How it ended (meaningful once not running).
    private(set) var outcome: Outcome = .finished
    /// Waiting and speculation so far.
    private(set) var statistics = Statistics()
    /// Trials of this sweep recorded (before this run and during it).
    private(set) var recordedCount = 0
    /// Of those, the ones early termination stopped.
    private(set) var stoppedCount = 0

    private let tpe: TPE?
    private var ledger: RungLedger?
    private var trials: [String: TrialState] = [:]
    /// Trials whose result waits for decisions about earlier trials.
    private var held: Set<String> = []
    /// Results received during this input: each is recorded, or kept (`hold`), before its ack.
    private var arrivals: [String] = []
    /// Workers with nothing to do, waiting for work.
    private var idle: Set<WorkerID> = []
    private var positions: [Int: String] = [:]
    private var duplicates: Set<Int> = []
    private var recordedByID: [String: TrialRecord]
    private var recordedByNumber: [Int: String] = [:]
    private var recordedEpochs: [String: [EpochMetrics]]
    private var cursor = 0
    /// The cursor position last found not recorded (records at the cursor or beyond only come from
    /// the start, so a position found unrecorded stays so).
    private var unrecordedCursor = -1
    private var frontier = 0
    private var retries: [String] = []
    private var cutoff: Int?
    private var epochsSpent = 0
    /// What bayes learns from: settled trials in sweep order, with their positions.
    private var history: [(number: Int, observation: TPE.Observation)] = []
    private var workers: [WorkerID: WorkerState] = [:]
    private var holdUntil: Duration
    private var lastBeat: Duration
    private var actions: [SchedulerAction] = []
    /// Stored checkpoints found at the start (their finished epochs), waiting for their trial's position.
    private var storedCheckpoints: [String: [EpochMetrics]]
    /// Trials whose worker waits at a rung for word, with the rung.
    private var atRung: [String: Int] = [:]
    /// Paused trials that passed their rung, to continue before anything new, by position.
    private var promotions: [String] = []
    /// The best completed trials, best first, at most `keep_models`: the ones whose weights are kept.
    private var best: [(key: Double, number: Int, id: String)] = []
    /// Whether a trial at an undecided rung pauses (hyperband, asha) instead of training on.
    private let pauses: Bool
    /// Trials with a model file.
    private var modelsOnDisk: Set<String> = []
    /// The sweep's `trials.csv` columns.
    private let layout: RecordLayout

    /// A scheduler for `spec`, resuming from what is recorded: `records` (trials.csv), their `epochs`
    /// (epochs.csv; needed by early termination), the results `held` until their rows can be written,
    /// the stored `checkpoints` (each trial's finished epochs) and the kept `models`. `now` is the
    /// time on the caller's clock.
    init(spec: SweepSpec, records: [TrialRecord], epochs: [String: [EpochMetrics]], held: [HeldResult] = [],
                checkpoints: [String: [EpochMetrics]] = [:], models: Set<String> = [], options: SchedulerOptions,
                now: Duration) {
        self.spec = spec
        self.options = options
        layout = spec.layout
        // A program keeps its own checkpoints: it cannot be paused at a rung, so it trains on while a
        // decision waits (and is stopped, with SIGTERM, if the decision is to stop it).
        pauses = spec.program == nil && (spec.earlyTermination?.pausesAtRungs ?? false)
        storedCheckpoints = checkpoints
        tpe = spec.method == .bayes ? (spec.program.map { TPE(parameters: $0.parameters) } ?? TPE(parameters: spec.parameters)) : nil
        ledger = spec.earlyTermination.map(RungLedger.init(rule:))
        let ours = records.filter { spec.admits($0.point) }
        // Early termination compares trials epoch by epoch: the recorded epochs wait here until their
        // trial's position is opened.
        recordedByID = Dictionary(ours.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for record in ours { if let number = record.number { recordedByNumber[number] = record.id } }
        recordedEpochs = epochs
        recordedCount = recordedByID.count
        stoppedCount = ours.filter { $0.status == .stopped }.count
        lastBeat = now
        // A restart: workers of the previous coordinator may still be training; hold trials back.
        holdUntil = ours.isEmpty ? now : now + (options.grace ?? options.livenessWindow)
        // Models of trials this sweep has not recorded go; the rest are settled as the frontier passes
        // their trials (with the checkpoints of recorded trials a crash left behind).
        modelsOnDisk = models
        for id in models.sorted() where recordedByID[id] == nil {
            actions.append(.removeModel(id))
            modelsOnDisk.remove(id)
        }
        openRecordedPositions()
        for result in held {
            guard let id = place(result.trial, number: result.number, point: result.outcome.config.map(TrialPoint.model)),
                  let state = trials[id], !state.isSettled else { continue }
            trials[id]!.held = result.outcome
            if ledger != nil { trials[id]!.epochs = result.outcome.epochs }
            self.held.insert(id)
        }
        settle(now: now)
    }

    /// What the scheduler decided when it started (moving aside rows recorded past the sweep's end in
    /// an earlier run, say): take them once, before the first input.
    mutating func startingActions() -> [SchedulerAction] {
        defer { actions.removeAll() }
        return actions
    }

    /// Handles one input at time `now` and returns what to do, in order.
    mutating func handle(_ input: SchedulerInput, now: Duration) -> [SchedulerAction] {
        switch phase {
        case .running: running(input, now: now)
        case .farewell(let until): farewell(input, now: now, until: until)
        case .done: break
        }
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    /// Ctrl-C: say `bye` to every worker; the unrecorded trials remain for a rerun.
    mutating func shutDown() -> [SchedulerAction] {
        for worker in workers.keys.sorted(by: { $0.description < $1.description }) { actions.append(.bye(worker)) }
        workers.removeAll()
        phase = .done
        defer { actions.removeAll() }
        return actions
    }

    // MARK: - Inputs while running

    private mutating func running(_ input: SchedulerInput, now: Duration) {
        switch input {
        case .hello(let worker, let name, let host, let running):
            // A worker saying hello again (a reconnect, or a new process with the same name) is training
            // only what it says it is; a trial we had given it before goes back to the queue.
            if let previous = workers[worker]?.trial, previous != running?.trial { release(previous, from: worker) }
            idle.remove(worker)
            workers[worker] = WorkerState(name: name, host: host, lastSeen: now)
            actions.append(.welcome(worker))
            actions.append(.event(.workerJoined(worker: name, host: host)))
            if let running { adopt(running, by: worker) }
        case .ready(let worker):
            guard known(worker, now: now, "ready") else { return }
            workers[worker]!.idle = true
            idle.insert(worker)
            assign(worker, now: now)
        case .heartbeat(let worker):
            _ = known(worker, now: now, "heartbeat")
        case .progress(let worker, let trial, let metrics):
            guard known(worker, now: now, "progress") else { return }
            if workers[worker]!.trial == trial {
                workers[worker]!.epoch = metrics.epoch
                workers[worker]!.lastProgress = metrics
                if let state = trials[trial], !state.isSettled { trials[trial]!.trained += 1 }
            }
            actions.append(.event(.epoch(trial: trial, worker: workers[worker]!.name, metrics: metrics)))
            if ledger != nil, trials[trial]?.holder == worker, trials[trial]!.epochs.count == metrics.epoch - 1 {
                trials[trial]!.epochs.append(metrics)
            }
        case .result(let worker, let trial, let number, let outcome):
            if workers[worker] != nil { workers[worker]!.lastSeen = now }
            receive(trial, number: number, outcome: outcome, from: worker, now: now)
        case .checkpoint(let worker, let trial, let epochs):
            guard known(worker, now: now, "checkpoint") else { return }
            checkpoint(trial, epochs: epochs, from: worker)
        case .tick:
            tick(now: now)
        }
        settle(now: now)
    }

    /// Whether `worker` said hello; refreshes its liveness, or reports the message as out of place.
    private mutating func known(_ worker: WorkerID, now: Duration, _ what: String) -> Bool {
        guard workers[worker] != nil else {
            actions.append(.event(.rejected(peer: worker.description, reason: "\(what) before hello")))
            return false
        }
        workers[worker]!.lastSeen = now
        return true
    }

    private mutating func tick(now: Duration) {
        // Beats and reaping keep the heartbeat's cadence: a worker is found dead at most one beat late.
        guard now - lastBeat >= options.heartbeat else { return }
        lastBeat = now
        let everyone = sortedWorkers()
        for worker in everyone { actions.append(.heartbeat(worker)) }
        for worker in everyone where now - workers[worker]!.lastSeen > options.livenessWindow {
            let state = workers.removeValue(forKey: worker)!
            idle.remove(worker)
            if let since = state.waitingSince { statistics.waiting += now - since }
            if let trial = state.trial { release(trial, from: worker) }
            actions.append(.event(.workerLost(worker: state.name, trial: state.trial)))
        }
    }

    // MARK: - Farewell

    private mutating func farewell(_ input: SchedulerInput, now: Duration, until: Duration) {
        switch input {
        case .tick:
            if now >= until { phase = .done }
        case .result(let worker, let trial, _, _):
            // It is recorded already (or not part of the sweep): forget it, and leave.
            actions.append(.acknowledge(worker, trial: trial))
            actions.append(.bye(worker))
        case .hello(let worker, _, _, _), .ready(let worker), .heartbeat(let worker), .progress(let worker, _, _),
             .checkpoint(let worker, _, _):
            actions.append(.bye(worker))
        }
    }

    // MARK: - Handing out trials

    private mutating func assign(_ worker: WorkerID, now: Duration) {
        guard now >= holdUntil, let state = workers[worker], state.idle, state.trial == nil else { return }
        var next: String?
        // Promoted trials first (they hold up decisions about later ones), then retries, then new positions.
        while next == nil, !promotions.isEmpty {
            let id = promotions.removeFirst()
            if let trial = trials[id], !trial.isSettled, trial.held == nil, trial.holder == nil, !trial.paused { next = id }
        }
        while next == nil, let retry = retries.first {
            retries.removeFirst()
            if let trial = trials[retry], !trial.isSettled, trial.held == nil, trial.holder == nil, !trial.paused,
               !pauseIfUndecided(retry) {
                next = retry
            }
        }
        while next == nil {
            switch openNext() {
            case .trial(let id):
                if !pauseIfUndecided(id) { next = id }
            case .waiting:
                if workers[worker]!.waitingSince == nil { workers[worker]!.waitingSince = now }
                return
            case .exhausted:
                return
            }
        }
        guard let id = next else { return }
        if let since = workers[worker]!.waitingSince {
            statistics.waiting += now - since
            workers[worker]!.waitingSince = nil
        }
        trials[id]!.attempts += 1
        trials[id]!.holder = worker
        workers[worker]!.trial = id
        workers[worker]!.idle = false
        idle.remove(worker)
        workers[worker]!.epoch = nil
        let trial = trials[id]!
        let resume = trial.checkpoint.flatMap { $0 > 0 ? $0 : nil }
        let pauseAt = pauses ? trial.rungs.indices.filter { $0 >= trial.decided && trial.rungs[$0] > (resume ?? 0) }.map { trial.rungs[$0] } : []
        let model = spec.program == nil
        actions.append(.assign(worker, Assignment(trial: id, number: trial.number, point: trial.trial.point, resumeFrom: resume,
                                                  pauseAt: pauseAt, checkpointEvery: model ? spec.checkpointEvery : 0,
                                                  sendFinal: model && spec.keepModels > 0, attempt: trial.attempts)))
        actions.append(.event(.trialStarted(trial: id, number: trial.number, worker: state.name, attempt: trial.attempts)))
        if let resume { actions.append(.event(.resumed(trial: id, fromEpoch: resume, worker: state.name))) }
        if let rung = trial.stopAt { actions.append(.stop(worker, trial: id, afterEpoch: rung)) }
    }

    /// Pauses `id` instead of handing it out when its checkpoint is at a rung not decided yet (a trial
    /// requeued after its worker died there, or found paused after a restart); true if it paused.
    private mutating func pauseIfUndecided(_ id: String) -> Bool {
        guard pauses, let state = trials[id], state.stopAt == nil, let at = state.checkpoint,
              let rank = state.rungs.firstIndex(of: at), rank >= state.decided else { return false }
        trials[id]!.paused = true
        actions.append(.event(.paused(trial: id, rung: at)))
        return true
    }

    private enum Next { case trial(String), waiting, exhausted }

    private var limit: Int { cutoff ?? spec.count }

    /// Opens the next position: its trial, or a reason there is none.
    private mutating func openNext() -> Next {
        while cursor < limit {
            let position = cursor
            if positions[position] != nil || duplicates.contains(position) {
                cursor += 1
                continue
            }
            if let id = recordedByNumber[position] {
                openRecorded(id, at: position)
                cursor += 1
                continue
            }
            guard let point = proposal(at: position) else { return .waiting }
            let trial = Trial(point: point)
            cursor += 1
            if trials[trial.id] != nil || recordedByID[trial.id].map({ $0.number != nil && $0.number != position }) == true {
                duplicates.insert(position)  // the same configuration again: one trial, run once
                continue
            }
            if recordedByID[trial.id] != nil {
                openRecorded(trial.id, at: position)
                continue
            }
            open(trial, at: position)
            do {
                try point.model?.validate()
            } catch {
                // A corner the sweep file's checks cannot see: recorded, never handed out.
                finish(trial.id, with: TrialRecord(failed: trial, reason: "cannot be trained: \(error)", attempts: 0,
                                                   worker: "", host: "", number: position, layout: layout), epochs: [])
                continue
            }
            return .trial(trial.id)
        }
        return .exhausted
    }

    /// The configuration at `position`: the space's, or bayes's proposal once the trials it learns
    /// from are settled (nil until then).
    private func proposal(at position: Int) -> TrialPoint? {
        guard let tpe else { return spec.point(at: position) }
        let horizon = position - spec.parallelism
        // Too few trials before the horizon for the model: a random draw, whatever their results.
        guard horizon > tpe.startupTrials else { return spec.point(at: position) }
        // With early termination, the latest `parallelism` trials before the horizon are seen as their
        // rung decisions left them, so a trial promoted past its last rung holds proposals back only
        // until that decision, not until its last epoch; older ones as recorded.
        let recent = ledger == nil ? horizon : max(horizon - spec.parallelism, 0)
        guard frontier >= recent else { return nil }
        var observations = history.prefix { $0.number < recent }.map(\.observation)
        for number in recent..<horizon {
            switch rungObservation(at: number) {
            case .waiting: return nil
            case .skipped: continue
            case .observed(let observation): observations.append(observation)
            }
        }
        var random = SplitMix64(seed: spec.randomSeed, stream: 0xBAE5, index: UInt64(position))
        guard let coordinates = tpe.propose(after: observations, random: &random) else { return spec.point(at: position) }
        if let program = spec.program { return .program(TPE.values(at: coordinates, parameters: program.parameters)) }
        return .model(TPE.config(at: coordinates, parameters: spec.parameters))
    }

    /// The random stream bayes draws its candidates from ("BAE5").

    /// What bayes learns from a recent trial: nothing yet (`waiting`), nothing at all (`skipped`: a
    /// repeated draw, past the end, or failed), or an observation that depends only on its epochs and
    /// rung decisions, never on whether its last epochs have arrived.
    enum RungObservation {
        case waiting, skipped
        case observed(TPE.Observation)
    }

    /// The trial at `number` as its rung decisions leave it: stopped at a rung, its value there; past
    /// its last rung, its value there, ranked between the deepest stops and the completed trials;
    /// ended before a rung (diverged, failed, or no rung before its end), as recorded.
    private func rungObservation(at number: Int) -> RungObservation {
        if duplicates.contains(number) { return .skipped }
        guard let id = positions[number], let state = trials[id] else { return .waiting }
        if state.beyondEnd { return .skipped }
        let coordinates = { TPE.coordinates(of: state.trial.point, parameters: self.spec.parameters,
                                            program: self.spec.program?.parameters ?? []) }
        if let rung = state.stopAt {
            guard let held = rungValue(at: rung, of: state.epochs) else { return .waiting }
            return .observed(TPE.Observation(coordinates: coordinates(), depth: Double(rung), loss: held))
        }
        if let last = state.rungs.last {
            let passed = state.recordedBefore ? (state.record?.epochsRun ?? 0) > last : state.decided == state.rungs.count
            if passed, let held = rungValue(at: last, of: state.epochs) {
                return .observed(TPE.Observation(coordinates: coordinates(), depth: Double(last) + 0.5, loss: held))
            }
        }
        guard let record = state.record else { return .waiting }
        guard record.status != .failed else { return .skipped }
        return .observed(observation(of: record, epochs: state.epochs))
    }

    /// What bayes learns from a recorded trial (whose epochs are `epochs` under early termination):
    /// a stopped trial is seen as it stood at its rung, as the rung decisions saw it.
    private func observation(of record: TrialRecord, epochs: [EpochMetrics]) -> TPE.Observation {
        let sign: Double = spec.metric.minimize ? 1 : -1
        var loss = record.metric(spec.metric.name).map { $0.isFinite ? sign * $0 : .infinity } ?? .infinity
        if let rung = record.stoppedAt, let held = rungValue(at: rung, of: epochs) { loss = held }
        let coordinates = TPE.coordinates(of: record.point, parameters: spec.parameters, program: spec.program?.parameters ?? [])
        return TPE.Observation(coordinates: coordinates, depth: record.stoppedAt.map(Double.init) ?? .infinity, loss: loss)
    }

    /// What a trial holds at `rung` by the early-termination rule (`EarlyTermination.rungValue`),
    /// signed so that smaller is better; nil where the epoch is missing or not finite.
    private func rungValue(at rung: Int, of epochs: [EpochMetrics]) -> Double? {
        guard let rule = ledger?.rule, let reached = value(at: rung, of: epochs) else { return nil }
        return rule.rungValue(metric: reached.value, bestSoFar: reached.best)
    }

    private mutating func open(_ trial: Trial, at position: Int) {
        // A program's epochs are not known in advance: every rung of the rule applies.
        let bracket = spec.earlyTermination?.bracket(at: position, randomSeed: spec.randomSeed) ?? 0
        let rungs = spec.earlyTermination?.rungs(forEpochs: trial.point.epochs ?? EarlyTermination.maximumEpoch, bracket: bracket) ?? []
        ledger?.track(rungs, bracket: bracket)
        var state = TrialState(trial: trial, number: position, bracket: bracket, rungs: rungs)
        if let epochs = storedCheckpoints.removeValue(forKey: trial.id) {
            // A checkpoint from before a restart: the epochs it holds were trained, and early
            // termination can judge the trial on them.
            state.checkpoint = epochs.count
            state.finalStored = trial.point.epochs.map { epochs.count >= $0 } ?? false
            state.trained = epochs.count
            if ledger != nil { state.epochs = epochs }
        }
        trials[trial.id] = state
        positions[position] = trial.id
    }

    private mutating func openRecorded(_ id: String, at position: Int) {
        let record = recordedByID[id]!
        open(Trial(point: record.point), at: position)
        var state = trials[id]!
        state.record = record
        state.recordedBefore = true
        state.stopAt = record.stoppedAt
        if ledger != nil { state.epochs = recordedEpochs.removeValue(forKey: id) ?? [] }
        state.decided = state.rungs.count
        trials[id] = state
    }

    /// Opens the recorded positions at the cursor, in order, so that the frontier and the rung
    /// decisions can pass them before any worker asks for work.
    private mutating func openRecordedPositions() {
        guard cursor != unrecordedCursor else { return }  // checked already: the cursor's position is not recorded
        while cursor < limit {
            if positions[cursor] != nil || duplicates.contains(cursor) {
                cursor += 1  // opened already (a claim, or a held result)
                continue
            }
            if let id = recordedByNumber[cursor] {
                openRecorded(id, at: cursor)
            } else if tpe == nil, let record = recordedByID[spec.point(at: cursor).id], record.number == nil, trials[record.id] == nil {
                openRecorded(record.id, at: cursor)
            } else {
                unrecordedCursor = cursor
                return
            }
            cursor += 1
        }
    }

    // MARK: - Claims

    /// A reconnecting worker still training `claim`: let it finish instead of giving the trial away.
    private mutating func adopt(_ claim: SchedulerInput.RunningTrial, by worker: WorkerID) {
        guard let id = place(claim.trial, number: claim.number, point: claim.config.map(TrialPoint.model)),
              let state = trials[id], !state.isSettled, state.held == nil,
              state.holder == nil || state.holder == worker || workers[state.holder!] == nil else {
            actions.append(.stop(worker, trial: claim.trial, afterEpoch: nil))  // done, or someone else has it
            return
        }
        if let holder = state.holder, holder != worker { workers[holder]?.trial = nil }
        retries.removeAll { $0 == id }
        promotions.removeAll { $0 == id }
        trials[id]!.paused = false
        trials[id]!.holder = worker
        trials[id]!.attempts = max(state.attempts, 1)
        workers[worker]!.trial = id
        workers[worker]!.idle = false
        idle.remove(worker)
        if let rung = state.stopAt { actions.append(.stop(worker, trial: id, afterEpoch: rung)) }
    }

    /// The id of an opened trial, opening it at `number` if a worker vouches for it (a trial handed out
    /// by an earlier coordinator): its point must be the sweep's at that position. A worker vouches
    /// with the configuration it trains; a program trial's worker only with the id and position, so
    /// its point is the sweep's at that position, computed again.
    private mutating func place(_ id: String, number: Int?, point: TrialPoint?) -> String? {
        if trials[id] != nil { return id }
        guard let number, number >= 0, number < limit, positions[number] == nil, !duplicates.contains(number) else { return nil }
        if let point { guard point.id == id, spec.admits(point) else { return nil } }
        let expected = proposal(at: number)
        if let expected, expected.id != id { return nil }
        // (A bayes proposal not computable yet is taken on trust: it was made from recorded results.)
        guard let opened = point ?? expected else { return nil }
        if let recorded = recordedByID[id] {
            openRecorded(recorded.id, at: number)
        } else {
            open(Trial(point: opened), at: number)
        }
        return id
    }

    // MARK: - Checkpoints

    /// A checkpoint from the worker training `id`: stored (replacing an older one); at a rung where the
    /// trial may pause, the worker waits for word, given once the rung is settled or found undecided.
    private mutating func checkpoint(_ id: String, epochs: [EpochMetrics], from worker: WorkerID) {
        guard let state = trials[id], !state.isSettled, state.held == nil, state.holder == worker,
              workers[worker]?.trial == id, epochs.count <= state.trial.point.epochs ?? -1 else {
            let name = workers[worker]?.name ?? worker.description
            actions.append(.event(.rejected(peer: name, reason: "checkpoint of trial \(id), which this worker is not training")))
            return
        }
        let count = epochs.count
        if count >= (state.checkpoint ?? 0) {
            trials[id]!.checkpoint = count
            trials[id]!.finalStored = count >= state.trial.point.epochs ?? Int.max
            actions.append(.storeCheckpoint(worker, trial: id, epoch: count))
            actions.append(.event(.checkpointStored(trial: id, epoch: count, worker: workers[worker]!.name)))
        }
        // The checkpoint holds every finished epoch: early termination may not have seen them all
        // (a coordinator restarted since the trial began).
        if ledger != nil, state.epochs.count < count { trials[id]!.epochs = epochs }
        if pauses, state.rungs.contains(count) { atRung[id] = count }
    }

    /// The word for a worker waiting at rung `rung` of `id`, once this input's decisions are taken:
    /// go on if the trial passed it, nothing if it was stopped there (the `stop` went out with the
    /// decision), or pause if the decision must wait for earlier trials.
    private mutating func resolveRung(_ id: String, _ rung: Int) {
        guard let state = trials[id], let holder = state.holder, !state.isSettled, state.held == nil,
              let rank = state.rungs.firstIndex(of: rung) else { return }
        if state.stopAt != nil { return }
        if rank < state.decided {
            actions.append(.proceed(holder, trial: id, epoch: rung))
            return
        }
        actions.append(.stop(holder, trial: id, afterEpoch: nil))
        workers[holder]?.trial = nil
        workers[holder]?.epoch = nil
        trials[id]!.holder = nil
        trials[id]!.paused = true
        actions.append(.event(.paused(trial: id, rung: rung)))
    }

    // MARK: - Results

    private mutating func receive(_ id: String, number: Int?, outcome: TrainingResult, from worker: WorkerID, now: Duration) {
        let name = workers[worker]?.name ?? worker.description
        if workers[worker]?.trial == id {
            workers[worker]!.trial = nil
            workers[worker]!.epoch = nil
        }
        guard let known = place(id, number: number, point: outcome.config.map(TrialPoint.model)), let state = trials[known],
              outcome.config == state.trial.point.model else {
            actions.append(.event(.rejected(peer: name, reason: "result for trial \(id), which is not in this sweep")))
            actions.append(.acknowledge(worker, trial: id))  // nothing to retry: it will never be accepted
            return
        }
        if state.holder == worker { trials[id]!.holder = nil }
        if state.isSettled {
            if state.record != nil { actions.append(.event(.duplicateResult(trial: id, worker: name))) }
            actions.append(.acknowledge(worker, trial: id))
            return
        }
        if state.held != nil {
            // The same trial again (re-sent after a reconnect, or from a second worker it was requeued to):
            // one result is enough; it is acknowledged once the first is recorded or kept.
            if !state.deliveries.contains(worker) {
                actions.append(.event(.duplicateResult(trial: id, worker: name)))
                if state.deliveries.isEmpty { actions.append(.acknowledge(worker, trial: id)) } else { trials[id]!.deliveries.append(worker) }
            }
            return
        }
        if let holder = state.holder, holder != worker, workers[holder] != nil {
            // It ran twice (requeued, then the first worker came back): the numbers are the same; stop the other.
            actions.append(.stop(holder, trial: id, afterEpoch: nil))
            workers[holder]!.trial = nil
            trials[id]!.holder = nil
        }
        trials[id]!.held = outcome
        trials[id]!.deliveries = [worker]
        if ledger != nil { trials[id]!.epochs = outcome.epochs }
        held.insert(id)
        arrivals.append(id)
    }

    /// The metric at `epoch` (1-based) of `epochs`, signed so that smaller is better, and the best
    /// so far; nil where the epoch is missing or not finite (the trial diverged there).
    private func value(at epoch: Int, of epochs: [EpochMetrics]) -> (value: Double, best: Double)? {
        let sign: Double = spec.metric.minimize ? 1 : -1
        if spec.program != nil {
            // A program's metric, by the name it prints.
            let name = spec.metric.name
            guard epoch <= epochs.count, let last = epochs[epoch - 1].value(named: name), last.isFinite else { return nil }
            var best = Double.infinity
            for metrics in epochs.prefix(epoch) {
                if let value = metrics.value(named: name), value.isFinite { best = min(best, sign * value) }
            }
            return (sign * last, best)
        }
        guard epoch <= epochs.count, epochs[epoch - 1].isFinite else { return nil }
        func signed(_ metrics: EpochMetrics, bestLoss: Double) -> Double {
            switch spec.metric.name {
            case "test_accuracy": return sign * metrics.testAccuracy
            case "best_test_loss": return sign * bestLoss
            default: return sign * metrics.testLoss
            }
        }
        var bestLoss = Double.infinity
        var best = Double.infinity
        var value = Double.infinity
        for metrics in epochs.prefix(epoch) where metrics.isFinite {
            bestLoss = min(bestLoss, metrics.testLoss)
            value = signed(metrics, bestLoss: bestLoss)
            best = min(best, value)
        }
        return (value, best)
    }

    // MARK: - Settling

    /// After each input: take the early-termination decisions that have become possible, record the
    /// results whose decisions are complete, move the frontier, settle the end, hand out work, and
    /// finish when everything is settled.
    private mutating func settle(now: Duration) {
        guard phase == .running else { return }
        var changed = true
        while changed {
            changed = false
            if ledger != nil {
                var decisions: [RungLedger.Decision] = []
                ledger!.advance(limit: cursor, standing: standing, apply: { decisions.append($0) })
                for decision in decisions {
                    apply(decision)
                    changed = true
                }
            }
            for id in held.sorted() where decisionsComplete(trials[id]!) {
                recordHeld(id, now: now)
                changed = true
            }
            if advanceFrontier() { changed = true }
        }
        for (id, rung) in atRung.sorted(by: { $0.key < $1.key }) { resolveRung(id, rung) }
        atRung.removeAll()
        // A result that must still wait is kept durably, so that its worker can move on at once.
        for id in arrivals {
            guard let state = trials[id], let outcome = state.held, !state.deliveries.isEmpty else { continue }
            actions.append(.hold(HeldResult(trial: id, number: state.number, outcome: outcome)))
            for worker in state.deliveries { actions.append(.acknowledge(worker, trial: id)) }
            trials[id]!.deliveries = []
        }
        arrivals.removeAll()
        if frontier >= limit {
            end(now: now)
            return
        }
        openRecordedPositions()
        for worker in idle.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) { assign(worker, now: now) }
    }

    /// How the trial at `position` stands at `rung`, for the ledger.
    private func standing(_ position: Int, _ rung: RungLedger.Key) -> RungLedger.Standing {
        if duplicates.contains(position) { return .absent }
        guard let id = positions[position], let state = trials[id] else { return .unknown }
        if state.beyondEnd || state.bracket != rung.bracket { return .absent }
        let epoch = rung.epoch
        guard let rank = state.rungs.firstIndex(of: epoch) else { return .absent }
        if let stop = state.stopAt, stop < epoch { return .absent }
        if state.recordedBefore {
            guard let run = state.record?.epochsRun, run >= epoch, let reached = value(at: epoch, of: state.epochs)
            else { return .absent }
            return .reached(value: reached.value, best: reached.best, recorded: state.stopAt == epoch)
        }
        guard rank == state.decided else { return .unknown }  // an earlier rung of its is undecided
        if state.epochs.count >= epoch {
            guard let reached = value(at: epoch, of: state.epochs) else { return .absent }  // diverged there
            return .reached(value: reached.value, best: reached.best, recorded: nil)
        }
        // It ended (recorded, or its whole result is here) before reaching the rung.
        if state.record != nil || state.held != nil { return .absent }
        return .unknown
    }

    private mutating func apply(_ decision: RungLedger.Decision) {
        guard let id = positions[decision.position], var state = trials[id] else { return }
        state.decided += 1
        if decision.stop {
            state.stopAt = decision.rung
            statistics.stopped += 1
            actions.append(.event(.stopDecided(trial: id, rung: decision.rung)))
            if state.held == nil, let holder = state.holder {
                actions.append(.stop(holder, trial: id, afterEpoch: decision.rung))
            }
        } else if state.paused && state.checkpoint == decision.rung {
            state.paused = false
            let at = promotions.firstIndex { trials[$0].map { $0.number > state.number } ?? false } ?? promotions.endIndex
            promotions.insert(id, at: at)
            actions.append(.event(.promoted(trial: id, rung: decision.rung)))
        }
        trials[id] = state
        // Nobody trains it (paused, or queued after its worker died) and its epochs to the rung are
        // known: its row is complete now.
        if decision.stop, state.held == nil, state.holder == nil, !state.isSettled, state.epochs.count >= decision.rung {
            trials[id]!.paused = false
            promotions.removeAll { $0 == id }
            retries.removeAll { $0 == id }
            let cut = TrainingResult(config: state.trial.config, epochs: Array(state.epochs.prefix(decision.rung)), status: .stopped)
            finish(id, with: record(state.trial, cut, attempts: max(1, state.attempts), worker: "", host: "", number: state.number),
                   epochs: cut.epochs)
        }
    }

    /// Whether every decision the held result's row depends on is taken: one at each rung before its
    /// last epoch, and, for a result a worker cut at a rung when told to stop there (perhaps by an earlier
    /// coordinator), the one at that rung too. A program's last epoch can be a rung (nobody knew it
    /// would end there): the decision there is waited for too, and a stop there stands, so its row
    /// does not depend on whether the program's end or the decision came first.
    private func decisionsComplete(_ state: TrialState) -> Bool {
        if state.stopAt != nil { return true }
        guard let held = state.held else { return false }
        let epochs = held.epochs.count
        let lastToo = held.status == .stopped || state.trial.point.model == nil
        return state.decided >= state.rungs.filter { $0 < epochs || (lastToo && $0 == epochs) }.count
    }

    private mutating func recordHeld(_ id: String, now: Duration) {
        var state = trials[id]!
        var outcome = state.held!
        if let rung = state.stopAt {
            statistics.speculativeEpochs += max(0, state.epochs.count - rung)
            if outcome.epochs.count > rung || outcome.status != .stopped {
                outcome = TrainingResult(config: outcome.config, epochs: Array(outcome.epochs.prefix(rung)), status: .stopped)
            }
        } else if outcome.status == .stopped {
            // Cut at a rung that this sweep's decisions let it pass (a stop from a sweep file since
            // changed): its remaining epochs were never run, so it runs again.
            state.held = nil
            state.deliveries = []
            trials[id] = state
            held.remove(id)
            retries.append(id)
            return
        }
        let deliverer = state.deliveries.last.flatMap { workers[$0] }
        let record = record(state.trial, outcome, attempts: max(1, state.attempts),
                            worker: deliverer?.name ?? state.deliveries.last?.description ?? "",
                            host: deliverer?.host ?? "", number: state.number)
        state.held = nil
        let deliveries = state.deliveries
        state.deliveries = []
        trials[id] = state
        held.remove(id)
        finish(id, with: record, epochs: outcome.epochs)
        for worker in deliveries { actions.append(.acknowledge(worker, trial: id)) }
    }

    /// Records a trial's row and its epochs, and settles its checkpoint: the final weights of one of
    /// the best `keep_models` completed trials become its model; any other checkpoint goes.
    private mutating func finish(_ id: String, with row: TrialRecord, epochs: [EpochMetrics]) {
        var record = row
        let state = trials[id]!
        record.epochsTrained = max(state.trained, record.epochsRun)
        // Final weights wait for the frontier (which settles whether the trial is part of the sweep
        // and ranks it); any other checkpoint is done with.
        if state.checkpoint != nil && !(record.status == .completed && state.finalStored && spec.keepModels > 0) {
            actions.append(.removeCheckpoint(id))
            trials[id]!.checkpoint = nil
        }
        trials[id]!.record = record
        trials[id]!.holder = nil
        if record.status == .failed { retries.removeAll { $0 == id } }
        recordedByID[id] = record
        recordedCount += 1
        if record.status == .stopped { stoppedCount += 1 }
        actions.append(.record(record, epochs: epochs))
        actions.append(.event(.trialRecorded(record)))
    }

    /// The frontier passed recorded trial `id`, which is part of the sweep for good: if it ranks among
    /// the best `keep_models` its final weights become its model (pushing out the last one's), else
    /// its files go.
    private mutating func settleFiles(_ id: String, _ record: TrialRecord) {
        let state = trials[id]!
        let hasModel = modelsOnDisk.contains(id)
        var ranked = false, converted = false
        if record.status == .completed, let evicted = rank(record) {
            ranked = true
            if !hasModel {
                if state.finalStored && state.checkpoint != nil {
                    actions.append(.keepModel(id))
                    modelsOnDisk.insert(id)
                    converted = true
                } else if !state.recordedBefore {
                    actions.append(.event(.noModel(trial: id, reason: "no final weights arrived")))
                }
            }
            if let evicted, modelsOnDisk.remove(evicted) != nil { actions.append(.removeModel(evicted)) }
        }
        if !ranked && hasModel {
            actions.append(.removeModel(id))
            modelsOnDisk.remove(id)
        }
        if state.checkpoint != nil && !converted { actions.append(.removeCheckpoint(id)) }
        trials[id]!.checkpoint = nil
    }

    /// Puts a completed record among the best `keep_models` if it ranks there (by the metric, then by
    /// position); returns nil if it does not, else the id pushed out (`.some(nil)`: none).
    @discardableResult
    private mutating func rank(_ record: TrialRecord) -> String?? {
        guard spec.keepModels > 0 else { return nil }
        let sign: Double = spec.metric.minimize ? 1 : -1
        let value = record.metric(spec.metric.name).map { $0.isFinite ? sign * $0 : .infinity } ?? .infinity
        let entry = (key: value, number: record.number ?? Int.max, id: record.id)
        let at = best.firstIndex { ($0.key, $0.number, $0.id) > (entry.key, entry.number, entry.id) } ?? best.endIndex
        guard at < spec.keepModels else { return nil }
        best.insert(entry, at: at)
        return .some(best.count > spec.keepModels ? best.removeLast().id : nil)
    }

    /// Moves the frontier over settled positions: what bayes learns from, and where the sweep ends.
    private mutating func advanceFrontier() -> Bool {
        var moved = false
        while frontier < min(cursor, limit) {
            if duplicates.contains(frontier) {
                frontier += 1
                moved = true
                continue
            }
            guard let id = positions[frontier], let state = trials[id], state.isSettled else { break }
            if let record = state.record {
                settleFiles(id, record)
                epochsSpent += record.epochsRun
                if tpe != nil && record.status != .failed { history.append((frontier, observation(of: record, epochs: state.epochs))) }
                if record.status == .completed, spec.metric.reachesTarget(record.metric(spec.metric.name) ?? .nan) {
                    endSweep(at: frontier + 1, reason: .targetReached)
                } else if let budget = spec.epochBudget, epochsSpent >= budget {
                    endSweep(at: frontier + 1, reason: .budgetSpent)
                }
            }
            if ledger == nil && tpe == nil {
                // Nothing will ask about it again: keep memory to what is in flight (the record stays in
                // recordedByID, which also tells a repeated draw it was run).
                positions[frontier] = nil
                trials[id] = nil
            }
            frontier += 1
            moved = true
        }
        return moved
    }

    /// The trials before `number` settle the sweep's end there: everything from `number` on is not
    /// part of it. Running ones are stopped, held results let go, recorded ones moved aside.
    private mutating func endSweep(at number: Int, reason: SweepEvent.EndReason) {
        guard cutoff == nil || number < cutoff! else { return }
        cutoff = number
        outcome = reason == .targetReached ? .targetReached : .budgetSpent
        actions.append(.event(.sweepEnded(reason: reason, number: number - 1)))
        var beyond: Set<String> = []
        for (id, state) in trials where state.number >= number && !state.beyondEnd {
            if let holder = state.holder {
                actions.append(.stop(holder, trial: id, afterEpoch: nil))
                workers[holder]?.trial = nil
            }
            if state.held != nil {
                for worker in state.deliveries { actions.append(.acknowledge(worker, trial: id)) }
                held.remove(id)
            }
            if let record = state.record {
                beyond.insert(id)
                recordedCount -= 1
                if record.status == .stopped { stoppedCount -= 1 }
                if modelsOnDisk.remove(id) != nil { actions.append(.removeModel(id)) }
            }
            if state.checkpoint != nil {
                actions.append(.removeCheckpoint(id))
                trials[id]!.checkpoint = nil
            }
            trials[id]!.beyondEnd = true
            trials[id]!.held = nil
            trials[id]!.holder = nil
        }
        retries.removeAll { trials[$0]?.beyondEnd ?? true }
        promotions.removeAll { trials[$0]?.beyondEnd ?? true }
        if !beyond.isEmpty { actions.append(.moveBeyondEnd(beyond)) }
    }

    private mutating func end(now: Duration) {
        for worker in sortedWorkers() {
            if let since = workers[worker]!.waitingSince { statistics.waiting += now - since }
            actions.append(.bye(worker))
        }
        workers.removeAll()
        idle.removeAll()
        let window = options.farewell ?? options.livenessWindow
        phase = window > .zero ? .farewell(until: now + window) : .done
    }

    // MARK: - Faults

    /// `worker` no longer trains `id` (it died, or said hello without it): the trial goes back to the
    /// queue, or is recorded as failed once it has taken down `maxAttempts` workers.
    private mutating func release(_ id: String, from worker: WorkerID) {
        guard let state = trials[id], state.holder == worker else { return }
        trials[id]!.holder = nil
        if state.isSettled || state.held != nil { return }
        if state.attempts >= options.maxAttempts {
            let name = workers[worker]?.name ?? worker.description
            finish(id, with: TrialRecord(failed: state.trial, reason: "took down \(state.attempts) workers in a row (last: \(name))",
                                         attempts: state.attempts, worker: name, host: workers[worker]?.host ?? "",
                                         number: state.number, layout: layout), epochs: [])
        } else {
            retries.append(id)
        }
    }

    private func sortedWorkers() -> [WorkerID] { workers.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) } }

    // MARK: - Status


    /// The workers, by name.
    var workerStatus: [WorkerStatus] {
        workers.values.sorted { $0.name < $1.name }.map { state in
            let trial = state.trial.flatMap { trials[$0] }
            let rung = trial.flatMap { t in t.decided > 0 ? t.rungs[min(t.decided, t.rungs.count) - 1] : nil }
            let last = state.lastProgress.flatMap { $0.epoch == state.epoch && state.trial != nil ? $0 : nil }
            return WorkerStatus(name: state.name, host: state.host, trial: state.trial, epoch: state.epoch,
                                epochs: trial?.trial.point.epochs, rung: rung, point: trial?.trial.point,
                                value: last?.value(named: progressFigure))
        }
    }

    /// The figure of an epoch that shows how a running trial does: the sweep's metric, or for the
    /// built-in trainer's `best_test_loss`, the test loss.
    var progressFigure: String {
        let name = spec.metric.name
        return spec.program == nil && name.hasPrefix("best_") ? String(name.dropFirst(5)) : name
    }

    /// Trial positions of the sweep (its end, once settled).
    var totalCount: Int { limit }

    /// The configuration of an open trial that `worker` is training (what a checkpoint it sends must
    /// hold); nil for a program trial, which sends none.
    func config(ofTrial id: String, trainedBy worker: WorkerID) -> TrainingConfig? {
        guard let state = trials[id], state.holder == worker else { return nil }
        return state.trial.config
    }

    /// Whether `worker` is training (or running) open trial `id`.
    func trains(_ id: String, worker: WorkerID) -> Bool {
        guard let state = trials[id] else { return false }
        return state.holder == worker && !state.isSettled
    }

    /// A trial's row from its result, in the sweep's layout.
    private func record(_ trial: Trial, _ result: TrainingResult, attempts: Int, worker: String, host: String,
                        number: Int) -> TrialRecord {
        TrialRecord(trial: trial, result: result, attempts: attempts, worker: worker, host: host, number: number,
                    layout: layout, minimize: spec.metric.minimize)
    }
}

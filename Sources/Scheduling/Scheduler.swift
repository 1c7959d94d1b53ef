import Sweeping
import Training
import SweepCore

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
///
/// The scheduler is a facade over parts, each with its own state: `WorkerRegistry` (who is alive,
/// what each trains, waiting time), `TrialBook` (positions, trials, queues, claims, held results,
/// pauses, records), a `Searcher` (which point each position trains: `SpaceSearcher` for grid and
/// random, `BayesSearcher`), `RungJudge` (early termination), `ModelKeeper` (which models are kept)
/// and `SweepEnd` (the frontier, the epoch budget, the target). The facade routes each input to
/// them and turns what they decide into actions, in order; `Runner` says what differs between the
/// built-in trainer and a program.
public struct Scheduler {
    /// Where the sweep is.
    public enum Phase: Equatable, Sendable {
        /// Handing out trials.
        case running
        /// Every trial is settled; workers that speak up until then are told `bye`.
        case farewell(until: Duration)
        /// Nothing more to do.
        case done
    }

    /// What waiting for earlier results cost, and what was trained beyond stops, for the summary.
    public struct Statistics: Equatable, Sendable {
        /// Worker time spent with nothing to do because a bayes proposal waited for earlier trials.
        public var waiting: Duration = .zero
        /// Epochs trained past the rung a trial was stopped at (it kept training while the decision waited).
        public var speculativeEpochs = 0
        /// Trials stopped early.
        public var stopped = 0
    }

    /// A trial an earlier sweep recorded (`warm_start:`), with its epochs.
    public struct Prior: Sendable {
        /// Its row, read in that folder's layout.
        public var record: TrialRecord
        /// Its epochs.
        public var epochs: [EpochMetrics]

        /// A prior.
        public init(record: TrialRecord, epochs: [EpochMetrics]) {
            self.record = record
            self.epochs = epochs
        }
    }

    /// The sweep.
    public let spec: SweepSpec
    /// Timing and fault policy.
    public let options: SchedulerOptions
    /// Where the sweep is.
    public private(set) var phase: Phase = .running
    /// How it ended (meaningful once not running; never `.stopped`, which only the shell knows).
    public var outcome: SweepOutcome { end.outcome }
    /// Waiting and speculation so far.
    public var statistics: Statistics {
        Statistics(waiting: registry.waiting, speculativeEpochs: speculativeEpochs, stopped: judge.stops)
    }
    /// Trials of this sweep recorded (before this run and during it).
    public var recordedCount: Int { book.recordedCount }
    /// Of those, the ones early termination stopped.
    public var stoppedCount: Int { book.stoppedCount }

    let runner: Runner
    /// The sweep's `trials.csv` columns.
    let layout: RecordLayout
    var registry: WorkerRegistry
    var book: TrialBook
    var searcher: any Searcher
    var judge: RungJudge
    var keeper: ModelKeeper
    var end: SweepEnd
    /// Whether a trial at an undecided rung pauses (hyperband, asha) instead of training on.
    let pauses: Bool
    /// After a restart, trials are held back until then, so that workers still training can claim theirs.
    let holdUntil: Duration
    var speculativeEpochs = 0
    /// The last trial drawn for a position by a searcher that does not learn (see `draw(at:)`).
    var lastDraw: (position: Int, trial: Trial)?
    /// Recorded trials whose final weights are stored for later positions to continue from
    /// (population-based training), until the searcher says they are done with.
    var continuable: Set<String> = []
    /// What this input (or the start) decided, in order.
    var actions: [SchedulerAction] = []

    /// A scheduler for `spec`, resuming from what is recorded: `records` (trials.csv), their `epochs`
    /// (epochs.csv; needed by early termination), the results `held` until their rows can be written,
    /// the stored `checkpoints` (each trial's finished epochs) and the kept `models`. `now` is the
    /// time on the caller's clock. `priors` are what `warm_start:` folders recorded that lies in this
    /// sweep's space (in the order learnt), with their epochs: learnt by bayes and early termination
    /// as if they had run before trial 0, never rerun and never recorded here.
    public init(spec: SweepSpec, records: [TrialRecord], epochs: [String: [EpochMetrics]], held: [HeldResult] = [],
                checkpoints: [String: [EpochMetrics]] = [:], models: Set<String> = [], priors: [Prior] = [],
                options: SchedulerOptions, now: Duration) {
        self.spec = spec
        self.options = options
        runner = Runner(spec)
        layout = spec.layout
        pauses = runner.pausesAtRungs(under: spec.earlyTermination)
        searcher = makeSearcher(for: spec)
        judge = RungJudge(rule: spec.earlyTermination, randomSeed: spec.randomSeed, runner: runner, recordedEpochs: epochs)
        for (index, prior) in priors.enumerated() {
            let atStop = judge.learnPrior(prior)
            if searcher.learns { searcher.learn(from: prior.record, at: index - priors.count, atStop: atStop) }
        }
        let ours = records.filter { spec.admits($0.point) }
        book = TrialBook(records: ours, checkpoints: checkpoints)
        registry = WorkerRegistry(now: now)
        // A restart: workers of the previous coordinator may still be training; hold trials back.
        holdUntil = ours.isEmpty ? now : now + (options.grace ?? options.livenessWindow)
        keeper = ModelKeeper(keep: spec.keepModels, runner: runner, models: models)
        end = SweepEnd(count: spec.count, metric: spec.metric, objectives: spec.objectives, budget: spec.epochBudget)
        // Models of trials this sweep has not recorded go; the rest are settled as the frontier passes
        // their trials (with the checkpoints of recorded trials a crash left behind).
        let book = self.book
        actions += keeper.dropModels(unless: book.isRecorded)
        openRecordedPositions()
        let runner = self.runner  // the vouched point is made inside `place`, which holds `self`
        for result in held {
            guard let id = place(result.trial, number: result.number, point: runner.point(vouchedBy: result.outcome.config)),
                  let entry = self.book[id], !entry.isSettled else { continue }
            self.book.restoreHeld(id, result.outcome)
            judge.result(entry.number, result.outcome.epochs)
        }
        settle(now: now)
    }

    /// What the scheduler decided when it started (moving aside rows recorded past the sweep's end in
    /// an earlier run, say): take them once, before the first input.
    public mutating func startingActions() -> [SchedulerAction] {
        defer { actions.removeAll() }
        return actions
    }

    /// Handles one input at time `now` and returns what to do, in order.
    public mutating func handle(_ input: SchedulerInput, now: Duration) -> [SchedulerAction] {
        registry.input(now: now, window: options.livenessWindow)
        switch phase {
        case .running: running(input, now: now)
        case .farewell(let until): farewell(input, now: now, until: until)
        case .done: break
        }
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    /// Ctrl-C: say `bye` to every worker; the unrecorded trials remain for a rerun.
    public mutating func shutDown() -> [SchedulerAction] {
        for worker in registry.shutDown() { actions.append(.bye(worker)) }
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
            if let previous = registry.trial(of: worker), previous != running?.trial { release(previous, from: worker) }
            registry.hello(worker, name: name, host: host, now: now)
            actions.append(.welcome(worker))
            actions.append(.event(.workerJoined(worker: name, host: host)))
            if let running { adopt(running, by: worker) }
        case .ready(let worker):
            guard known(worker, now: now, "ready") else { return }
            registry.ready(worker)
            assign(worker, now: now)
        case .heartbeat(let worker):
            _ = known(worker, now: now, "heartbeat")
        case .progress(let worker, let trial, let metrics):
            guard known(worker, now: now, "progress") else { return }
            if registry.progress(worker, trial: trial, metrics: metrics) { book.trainedEpoch(trial) }
            actions.append(.event(.epoch(trial: trial, worker: registry.name(of: worker), metrics: metrics)))
            if judge.isActive, let entry = book[trial], entry.holder == worker { judge.progress(entry.number, metrics) }
        case .result(let worker, let trial, let number, let outcome):
            _ = registry.heard(worker, now: now)
            receive(trial, number: number, outcome: outcome, from: worker)
        case .checkpoint(let worker, let trial, let epochs):
            // A worker counted as lost may still deliver its trial's final weights (see `checkpoint`).
            let orphaned = book[trial].map { isOrphanedFinal($0, epochs: epochs.count) } ?? false
            guard known(worker, now: now, "checkpoint") || orphaned else { return }
            checkpoint(trial, epochs: epochs, from: worker)
        case .tick:
            tick(now: now)
        }
        settle(now: now)
    }

    /// Whether `worker` said hello; refreshes its liveness, or reports the message as out of place.
    private mutating func known(_ worker: WorkerID, now: Duration, _ what: String) -> Bool {
        guard registry.heard(worker, now: now) else {
            actions.append(.event(.rejected(peer: worker.description, reason: "\(what) before hello")))
            return false
        }
        return true
    }

    /// Beats and reaping keep the heartbeat's cadence: a worker is found dead at most one beat late.
    private mutating func tick(now: Duration) {
        guard let (beat, lost) = registry.tick(now: now, heartbeat: options.heartbeat, window: options.livenessWindow) else { return }
        for worker in beat { actions.append(.heartbeat(worker)) }
        for (worker, state) in lost {
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

    /// Every position is settled: `bye` to every worker, then the farewell window.
    mutating func finishSweep(now: Duration) {
        for worker in registry.farewell(now: now) { actions.append(.bye(worker)) }
        let window = options.farewell ?? options.livenessWindow
        phase = window > .zero ? .farewell(until: now + window) : .done
    }
}

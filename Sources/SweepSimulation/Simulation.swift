import Foundation
import Scheduling
import Sweeping
import Training
import SweepCore

/// A sweep run in virtual time: the real scheduler (searcher, rung judge, trial book: the same
/// actions as under `sweep run`) against simulated workers whose epochs come from recorded curves
/// (`CurveSource`), each taking its recorded seconds times the worker's time factor. Workers can die
/// without a word (the scheduler finds out by their silence, as it would) and new ones join in their
/// place. Events at one time are handled in the order they were made, so a simulation is a function
/// of its sweep, source and options; decisions do not depend on time, so they are the real run's.
///
/// Cost: O(log events) a step plus the scheduler's own; memory linear in trials and workers.
public struct Simulation: SchedulerEffects {
    /// How the simulated fleet behaves.
    public struct Options: Sendable {
        /// Workers at the start (and living at any time, when the dead are replaced).
        public var workers = 2
        /// Each worker's time factor (an epoch takes its recorded seconds times this), by worker slot,
        /// repeated when there are more workers; empty: every worker 1.
        public var timeFactors: [Double] = []
        /// How often a worker dies, per worker per hour of virtual time (0: never).
        public var failuresPerHour = 0.0
        /// Seconds after which a dead worker's slot is filled by a new worker (nil: never).
        public var rejoinAfter: Double?
        /// The seed of deaths (and of nothing else).
        public var seed: UInt64 = 0
        /// The scheduler's timings (those of `sweep run` by default) and attempts.
        public var scheduler = SchedulerOptions()

        /// Defaults: two workers, never dying, at recorded speed.
        public init() {}
    }

    /// Where the simulation stands.
    public struct Figures: Sendable, Equatable {
        /// Virtual seconds from the start to the end of the sweep.
        public var seconds = 0.0
        /// Epochs the workers trained (more than recorded: epochs lost with dead workers, and those
        /// trained on past a rung before the decision to stop there came).
        public var epochsTrained = 0
        /// Worker-seconds training, and worker-seconds alive.
        public var busySeconds = 0.0, aliveSeconds = 0.0
        /// Trials started (each once), attempts (each start), workers that died, workers that joined.
        public var trials = 0, attempts = 0, deaths = 0, joined = 0
        /// Trials that replayed another configuration's curve, trials whose own curve was recorded
        /// shorter than they ran (the rest another's), and trials no curve went as far as (cut where
        /// theirs ended); each counted once, at its first attempt.
        public var standIns = 0, extended = 0, cutShort = 0
        /// Inputs handed to the scheduler, and decisions (assignments, stops, records) it made.
        public var inputs = 0, decisions = 0
        /// The sweep could not go on: every worker died and none rejoined.
        public var stalled = false

        /// The share of worker time spent not training (waiting for work, for a proposal, at a rung).
        public var idleShare: Double { aliveSeconds > 0 ? max(0, 1 - busySeconds / aliveSeconds) : 0 }
    }

    /// A point of the any-time curve: when a completed trial first beat every earlier one.
    public struct Best: Sendable, Equatable {
        /// Virtual seconds since the start.
        public var seconds: Double
        /// Epochs trained by then.
        public var epochs: Int
        /// Trials recorded by then.
        public var trials: Int
        /// The best value so far, and the trial that reached it.
        public var value: Double
        public var trial: String
    }

    private struct Worker {
        var name: String
        var slot: Int
        var factor: Double
        var alive = true
        var gone = false
        var joined: Duration
        var lastSpoke: Duration
        var trial: Assignment?
        var replay: CurveTable.Replay?
        var trained = 0
        var stopAfter: Int?
        var waitingAt: Int?
        var pending: (trial: String, number: Int, result: TrainingResult)?
        /// Bumped whenever what it trains changes, so an epoch event of the old trial is ignored.
        var token = 0
        var epochStarted: Duration?
    }

    private enum Event {
        case epoch(worker: Int, token: Int)
        case tick
        case death(worker: Int)
        case rejoin(slot: Int)
    }

    /// The scheduler and the store's side (records kept in memory).
    public private(set) var harness: Harness
    /// What the simulation measured.
    public private(set) var figures = Figures()
    /// The any-time curve: each new best completed trial, in the order recorded (trials recorded past
    /// the sweep's end, and moved aside, are not part of it).
    public var curve: [Best] {
        var curve: [Best] = []
        var kept = 0
        for row in recorded where !beyondEnd.contains(row.trial) {
            kept += 1
            guard let value = row.value else { continue }
            if curve.last.map({ metric.isBetter(value, than: $0.value) }) ?? true {
                curve.append(Best(seconds: row.seconds, epochs: row.epochs, trials: kept, value: value, trial: row.trial))
            }
        }
        return curve
    }
    /// Stand-ins used: each trial that replayed another configuration's curve, and whose.
    public private(set) var standIns: [(trial: String, curve: TrialPoint)] = []
    /// Called with each record as the scheduler makes it (to write it as a real run would).
    public var onRecord: ((TrialRecord, [EpochMetrics]) -> Void)?
    /// Called with trials recorded past the sweep's end, to move their rows aside as a real run would.
    public var onMoveBeyondEnd: ((Set<String>) -> Void)?

    private let source: CurveSource
    private let options: Options
    private let metric: Metric
    private var workers: [Worker] = []
    private var events = EventQueue<Event>()
    private var epochsPending = 0
    private var random: SplitMix64
    /// Every record as it was made: when, after how many epochs, and its value if it completed with one.
    private var recorded: [(trial: String, seconds: Double, epochs: Int, value: Double?)] = []
    private var beyondEnd: Set<String> = []

    /// A simulation of `spec` replaying `source`.
    public init(_ spec: SweepSpec, source: CurveSource, options: Options) {
        var schedulerOptions = options.scheduler
        schedulerOptions.farewell = .zero
        harness = Harness(spec, options: schedulerOptions)
        harness.keepsActions = false
        self.source = source
        self.options = options
        metric = spec.metric
        random = SplitMix64(seed: options.seed, stream: 0x5111)
    }

    /// Runs the sweep to its end (or until `limit` virtual seconds); returns the records.
    @discardableResult
    public mutating func run(limit: Duration = .seconds(1_000_000_000)) -> [TrialRecord] {
        for slot in 0..<options.workers { join(slot: slot) }
        events.push(.tick, at: harness.now + options.scheduler.heartbeat)
        // Nothing can move once no epoch is under way anywhere for long enough that every dead worker
        // was found out and replaced: then the sweep stalled (every worker dead, none rejoining).
        let patience = options.scheduler.livenessWindow * 10 + .seconds(options.rejoinAfter ?? 0)
        var lastEpoch = harness.now
        while harness.scheduler.phase == .running, let (time, event) = events.pop(), time <= limit {
            harness.now = time
            if epochsPending == 0 && time - lastEpoch > patience {
                figures.stalled = true
                break
            }
            switch event {
            case .epoch(let index, let token):
                epochsPending -= 1
                lastEpoch = time
                epochEnds(index, token: token)
            case .tick: tick()
            case .death(let index): die(index)
            case .rejoin(let slot): join(slot: slot)
            }
        }
        figures.seconds = harness.now.inSeconds
        for index in workers.indices where workers[index].alive && !workers[index].gone {
            figures.aliveSeconds += (harness.now - workers[index].joined).inSeconds
        }
        figures.inputs = harness.inputs
        return harness.records
    }

    // MARK: - Time passing

    private mutating func tick() {
        let beat = options.scheduler.heartbeat
        // Living workers beat when they have been quiet for a beat; the dead are found by silence.
        for index in workers.indices where workers[index].alive && !workers[index].gone
            && harness.now - workers[index].lastSpoke >= beat {
            send(.heartbeat(WorkerID(workers[index].name)), from: index)
        }
        react(to: harness.send(.tick))
        events.push(.tick, at: harness.now + beat)
    }

    private mutating func join(slot: Int) {
        let factors = options.timeFactors
        let factor = factors.isEmpty ? 1 : factors[slot % factors.count]
        figures.joined += 1
        let index = workers.count
        workers.append(Worker(name: "sim\(figures.joined)", slot: slot, factor: factor, joined: harness.now, lastSpoke: harness.now))
        if options.failuresPerHour > 0 {
            // An exponential lifetime: deaths at the given rate, independent of what the worker does.
            let u = max(Double(random.next() >> 11) / Double(1 << 53), .leastNonzeroMagnitude)
            // At least a millisecond, so that time moves on however high the rate.
            let life = max(-log(u) * 3600 / options.failuresPerHour, 0.001)
            events.push(.death(worker: index), at: harness.now + .seconds(life))
        }
        let name = workers[index].name
        send(.hello(WorkerID(name), name: name, host: "simulated", running: nil), from: index)
    }

    private mutating func die(_ index: Int) {
        guard workers[index].alive && !workers[index].gone else { return }
        workers[index].alive = false
        workers[index].token += 1
        figures.deaths += 1
        figures.aliveSeconds += (harness.now - workers[index].joined).inSeconds
        if let started = workers[index].epochStarted { figures.busySeconds += (harness.now - started).inSeconds }
        if let after = options.rejoinAfter { events.push(.rejoin(slot: workers[index].slot), at: harness.now + .seconds(after)) }
    }

    // MARK: - Training

    private mutating func startEpoch(_ index: Int) {
        guard let replay = workers[index].replay, workers[index].trained < replay.epochs.count else { return }
        // A table's seconds are checked nowhere else: one that is not a finite, non-negative number counts as 0.
        let recorded = replay.epochs[workers[index].trained].seconds
        let seconds = (recorded.isFinite ? max(recorded, 0) : 0) * workers[index].factor
        workers[index].epochStarted = harness.now
        events.push(.epoch(worker: index, token: workers[index].token), at: harness.now + .seconds(seconds))
        epochsPending += 1
    }

    private mutating func epochEnds(_ index: Int, token: Int) {
        guard workers[index].alive, workers[index].token == token, let assignment = workers[index].trial,
              let replay = workers[index].replay else { return }
        if let started = workers[index].epochStarted { figures.busySeconds += (harness.now - started).inSeconds }
        workers[index].epochStarted = nil
        var metrics = replay.epochs[workers[index].trained]
        metrics.seconds *= workers[index].factor
        workers[index].trained += 1
        figures.epochsTrained += 1
        let worker = WorkerID(workers[index].name)
        send(.progress(worker, trial: assignment.trial, metrics: metrics), from: index)
        guard workers[index].token == token else { return }  // stopped on that epoch, or told to leave
        let count = workers[index].trained
        if let cut = workers[index].stopAfter, count >= cut {
            return deliver(index, TrainingResult(config: assignment.config, epochs: trainedEpochs(index, count: cut), status: .stopped))
        }
        if count >= replay.epochs.count {
            let result = TrainingResult(config: assignment.config, epochs: trainedEpochs(index, count: count),
                                        status: replay.status, reason: replay.reason)
            if assignment.sendFinal && result.status == .completed {
                send(.checkpoint(worker, trial: assignment.trial, epochs: result.epochs), from: index)
                guard workers[index].token == token else { return }
            }
            return deliver(index, result)
        }
        if assignment.pauseAt.contains(count) && metrics.isFinite {
            workers[index].waitingAt = count
            send(.checkpoint(worker, trial: assignment.trial, epochs: trainedEpochs(index, count: count)), from: index)
            return
        }
        startEpoch(index)
    }

    /// The first `count` epochs of the worker's replay, with its speed's seconds.
    private func trainedEpochs(_ index: Int, count: Int) -> [EpochMetrics] {
        let factor = workers[index].factor
        return workers[index].replay!.epochs.prefix(count).map { var e = $0; e.seconds *= factor; return e }
    }

    private mutating func deliver(_ index: Int, _ result: TrainingResult) {
        let assignment = workers[index].trial!
        clear(index)
        workers[index].pending = (assignment.trial, assignment.number, result)
        send(.result(WorkerID(workers[index].name), trial: assignment.trial, number: assignment.number, outcome: result), from: index)
    }

    private mutating func clear(_ index: Int) {
        workers[index].trial = nil
        workers[index].replay = nil
        workers[index].trained = 0
        workers[index].stopAfter = nil
        workers[index].waitingAt = nil
        workers[index].epochStarted = nil
        workers[index].token += 1
    }

    private mutating func send(_ input: SchedulerInput, from index: Int) {
        workers[index].lastSpoke = harness.now
        react(to: harness.send(input))
    }

    private mutating func react(to actions: [SchedulerAction]) { perform(actions) }

    // MARK: - The workers' side of the actions

    public mutating func welcome(_ worker: WorkerID) {
        guard let index = index(of: worker) else { return }
        if let pending = workers[index].pending {
            send(.result(worker, trial: pending.trial, number: pending.number, outcome: pending.result), from: index)
        } else if let trial = workers[index].trial, let at = workers[index].waitingAt {
            send(.checkpoint(worker, trial: trial.trial, epochs: trainedEpochs(index, count: at)), from: index)
        } else if workers[index].trial == nil {
            send(.ready(worker), from: index)
        }
    }

    public mutating func assign(_ assignment: Assignment, to worker: WorkerID) {
        guard let index = index(of: worker) else { return }
        figures.decisions += 1
        clear(index)
        figures.attempts += 1
        workers[index].trial = assignment
        let epochs = assignment.point.epochs
        guard let replay = source.replay(assignment.point, epochs: epochs), !replay.epochs.isEmpty else {
            let failed = TrainingResult(config: assignment.config, epochs: [], status: .failed,
                                        reason: "the table holds no curve to replay")
            return deliver(index, failed)
        }
        if assignment.attempt == 1 {
            figures.trials += 1
            if replay.extended { figures.extended += 1 } else if let standIn = replay.standIn {
                figures.standIns += 1
                standIns.append((assignment.trial, standIn))
            }
            if replay.cutShort { figures.cutShort += 1 }
        }
        workers[index].replay = replay
        // A resumed trial's stored epochs are its replay's first ones: it goes on after them.
        workers[index].trained = min(assignment.resumeFrom ?? 0, replay.epochs.count)
        startEpoch(index)
    }

    public mutating func proceed(_ worker: WorkerID, trial: String, epoch: Int) {
        guard let index = index(of: worker), workers[index].trial?.trial == trial, workers[index].waitingAt == epoch else { return }
        workers[index].waitingAt = nil
        startEpoch(index)
    }

    public mutating func stop(_ worker: WorkerID, trial: String, afterEpoch: Int?) {
        guard let index = index(of: worker) else { return }
        figures.decisions += 1
        if workers[index].trial?.trial == trial {
            if let afterEpoch {
                workers[index].stopAfter = afterEpoch
                if workers[index].trained >= afterEpoch, let assignment = workers[index].trial {
                    if let started = workers[index].epochStarted { figures.busySeconds += (harness.now - started).inSeconds }
                    deliver(index, TrainingResult(config: assignment.config, epochs: trainedEpochs(index, count: afterEpoch),
                                                  status: .stopped))
                }
            } else {
                if let started = workers[index].epochStarted { figures.busySeconds += (harness.now - started).inSeconds }
                clear(index)
                send(.ready(worker), from: index)
            }
        } else if workers[index].pending?.trial == trial && afterEpoch == nil {
            workers[index].pending = nil
            send(.ready(worker), from: index)
        }
    }

    public mutating func acknowledge(_ worker: WorkerID, trial: String) {
        guard let index = index(of: worker), workers[index].pending?.trial == trial else { return }
        workers[index].pending = nil
        send(.ready(worker), from: index)
    }

    public mutating func bye(_ worker: WorkerID) {
        guard let index = index(of: worker) else { return }
        workers[index].gone = true
        workers[index].token += 1
        figures.aliveSeconds += (harness.now - workers[index].joined).inSeconds
        if let started = workers[index].epochStarted { figures.busySeconds += (harness.now - started).inSeconds }
    }

    public mutating func record(_ record: TrialRecord, epochs: [EpochMetrics]) {
        figures.decisions += 1
        onRecord?(record, epochs)
        let value = record.status == .completed ? record.metric(metric.name).flatMap { $0.isFinite ? $0 : nil } : nil
        recorded.append((record.id, harness.now.inSeconds, figures.epochsTrained, value))
    }

    public mutating func moveBeyondEnd(_ trials: Set<String>) {
        beyondEnd.formUnion(trials)
        onMoveBeyondEnd?(trials)
    }

    // The store's side is the harness's (it kept the records, checkpoints and models in memory).
    public func heartbeat(_ worker: WorkerID) {}
    public func storeCheckpoint(from worker: WorkerID, trial: String, epoch: Int) {}
    public func removeCheckpoint(_ trial: String) {}
    public func keepModel(_ trial: String) {}
    public func removeModel(_ trial: String) {}
    public func hold(_ result: HeldResult) {}
    public func report(_ event: SweepEvent) {}

    private func index(of worker: WorkerID) -> Int? {
        // Names are `sim<n>`, n counting joins from 1: the worker's place in `workers`.
        guard let n = Int(worker.description.dropFirst(3)), n >= 1, n <= workers.count else { return nil }
        let index = n - 1
        return workers[index].alive && !workers[index].gone ? index : nil
    }
}

/// Where simulated epochs come from.
public enum CurveSource: Sendable {
    /// Recorded curves, as a sweep's space looks into them.
    case table(CurveTable.Lookup)
    /// `FakeTrainer`'s formula (tests and benchmarks without a table).
    case formula

    /// What `point` trains, `epochs` long.
    func replay(_ point: TrialPoint, epochs: Int?) -> CurveTable.Replay? {
        switch self {
        case .table(let lookup): return lookup.replay(point, epochs: epochs)
        case .formula:
            let run = FakeTrainer.run(point)
            return CurveTable.Replay(epochs: run.epochs, status: run.status, reason: run.reason, standIn: nil, extended: false)
        }
    }
}

import Scheduling
import Sweeping
import Training
import SweepCore

/// A fleet of simulated workers around one scheduler: each trains one epoch per step it is given,
/// the steps shared out by a seeded random generator (so the interleaving of workers varies with
/// the seed), with optional faults: workers killed without a word and replaced, and the scheduler
/// itself replaced mid-sweep by a new one built from what was recorded (a coordinator restart).
/// With `checkpointing`, workers behave as real ones given checkpoint work: a checkpoint after some
/// epochs (at random, standing in for `checkpoint_every`), one at each rung of `pauseAt` followed by
/// a wait for word, one of the final weights, and resumption from the stored one when handed out so.
///
/// The harness carries out the store's side of each action; the fleet is the workers' side.
public struct Fleet: SchedulerEffects {
    /// One simulated worker process.
    public struct Worker: Sendable {
        /// Its name (and identity).
        public var name: String
        var trial: Harness.Assignment?
        var trained: [EpochMetrics] = []
        var full: TrainingResult?
        var stopAfter: Int?
        var waitingAt: Int?
        var pending: (trial: String, number: Int, result: TrainingResult)?
        var alive = true
        var gone = false
    }

    /// The scheduler and the store's side.
    public var harness: Harness
    /// The workers, living (and those told `bye`).
    public private(set) var workers: [Worker] = []
    var random: SplitMix64
    let spec: SweepSpec
    let checkpointing: Bool
    /// Workers killed, and scheduler restarts.
    public private(set) var kills = 0, restarts = 0
    var started = 0
    /// Epochs trained by all workers, and trials resumed from a checkpoint.
    public private(set) var epochsTrained = 0, resumes = 0

    /// Harness timings, but no trial is ever given up on: which trial meets three killed workers in
    /// a row depends on the faults, and giving up is a fault-dependent outcome by design.
    public static var options: SchedulerOptions {
        var options = Harness.options
        options.maxAttempts = 1_000
        return options
    }

    /// `count` workers around a new scheduler for `spec`, their interleaving drawn from `seed`.
    /// `priors`: what `warm_start:` folders hold, learnt before trial 0 (and again at every restart).
    public init(_ spec: SweepSpec, workers count: Int, seed: UInt64, checkpointing: Bool = false, priors: [Scheduler.Prior] = []) {
        self.spec = spec
        self.checkpointing = checkpointing
        harness = Harness(spec, priors: priors, options: Fleet.options)
        random = SplitMix64(seed: seed, stream: 0xF1EE7)
        for _ in 0..<count { addWorker() }
    }

    /// A new worker joins.
    public mutating func addWorker() {
        started += 1
        let name = "w\(started)"
        workers.append(Worker(name: name))
        react(to: harness.send(.hello(WorkerID(name), name: name, host: "h", running: nil)))
    }

    /// Runs until the scheduler is done (or `limit` steps), killing a random busy worker every
    /// `killEvery` steps (and starting a new one) and restarting the scheduler at the given steps.
    public mutating func run(killEvery: Int? = nil, maximumKills: Int = 12, restartAt: Set<Int> = [],
                      limit: Int = 200_000) -> [TrialRecord] {
        var step = 0
        while harness.scheduler.phase == .running && step < limit {
            step += 1
            if restartAt.contains(step) { restart() }
            if let killEvery, step % killEvery == 0, kills < maximumKills {
                let busy = workers.indices.filter { workers[$0].alive && !workers[$0].gone && workers[$0].trial != nil }
                if !busy.isEmpty {
                    let victim = busy[random.nextIndex(below: busy.count)]
                    workers[victim].alive = false  // SIGKILL: no word, ever again
                    kills += 1
                    addWorker()
                    workers.removeAll { !$0.alive }
                }
            }
            let busy = workers.indices.filter { workers[$0].alive && workers[$0].trial != nil && workers[$0].waitingAt == nil }
            if !busy.isEmpty { trainOneEpoch(busy[random.nextIndex(below: busy.count)]) }
            harness.now += .milliseconds(10)
            react(to: harness.send(.tick))
            // Living workers beat, busy or idle, so only the dead are reaped.
            for index in workers.indices where workers[index].alive && !workers[index].gone {
                react(to: harness.send(.heartbeat(WorkerID(workers[index].name))))
            }
        }
        return harness.records
    }

    private mutating func trainOneEpoch(_ index: Int) {
        guard var assignment = workers[index].trial else { return }
        if workers[index].full == nil { workers[index].full = FakeTrainer.run(assignment.point) }
        let full = workers[index].full!
        let next = workers[index].trained.count
        var done = next >= full.epochs.count
        let worker = WorkerID(workers[index].name)
        if !done {
            let metrics = full.epochs[next]
            workers[index].trained.append(metrics)
            epochsTrained += 1
            react(to: harness.send(.progress(worker, trial: assignment.trial, metrics: metrics)))
            done = workers[index].trained.count >= full.epochs.count || workers[index].trial == nil
            guard workers[index].trial?.trial == assignment.trial else { return }
            let count = workers[index].trained.count
            let cut = workers[index].stopAfter.map { count >= $0 } ?? false
            if checkpointing && !done && !cut && metrics.isFinite {
                if assignment.pauseAt.contains(count) {
                    workers[index].waitingAt = count
                    react(to: harness.send(.checkpoint(worker, trial: assignment.trial, epochs: workers[index].trained)))
                    return
                }
                if random.nextIndex(below: 3) == 0 {
                    react(to: harness.send(.checkpoint(worker, trial: assignment.trial, epochs: workers[index].trained)))
                }
            }
        }
        let stopAfter = workers[index].stopAfter
        guard workers[index].trial != nil else { return }
        assignment = workers[index].trial!
        if let stopAfter, workers[index].trained.count >= stopAfter {
            let cut = TrainingResult(config: assignment.config, epochs: Array(workers[index].trained.prefix(stopAfter)), status: .stopped)
            deliver(index, assignment, cut)
        } else if done {
            let result = TrainingResult(config: full.config, epochs: workers[index].trained, status: full.status)
            if checkpointing && assignment.sendFinal && result.status == .completed {
                react(to: harness.send(.checkpoint(worker, trial: assignment.trial, epochs: result.epochs)))
                guard workers[index].trial?.trial == assignment.trial else { return }
            }
            deliver(index, assignment, result)
        }
    }

    private mutating func deliver(_ index: Int, _ assignment: Harness.Assignment, _ result: TrainingResult) {
        workers[index].trial = nil
        workers[index].trained = []
        workers[index].full = nil
        workers[index].stopAfter = nil
        workers[index].waitingAt = nil
        workers[index].pending = (assignment.trial, assignment.number, result)
        react(to: harness.send(.result(WorkerID(workers[index].name), trial: assignment.trial, number: assignment.number,
                                       outcome: result)))
    }

    /// A new scheduler from what is on disk; every living worker reconnects and says what it trains.
    private mutating func restart() {
        restarts += 1
        let kept = harness.records
        var epochs: [String: [EpochMetrics]] = [:]
        for record in kept { epochs[record.id] = harness.epochs[record.id] }
        harness = Harness(spec, records: kept, epochs: epochs, held: harness.held, checkpoints: harness.checkpoints,
                          models: harness.models, priors: harness.priors, options: Fleet.options, now: harness.now)
        for index in workers.indices where workers[index].alive && !workers[index].gone {
            let running = workers[index].trial.map {
                SchedulerInput.RunningTrial(trial: $0.trial, number: $0.number, config: $0.config)
            }
            react(to: harness.send(.hello(WorkerID(workers[index].name), name: workers[index].name, host: "h", running: running)))
        }
    }

    /// What the workers do with the scheduler's actions (the harness did the store's side).
    private mutating func react(to actions: [SchedulerAction]) { perform(actions) }

    // MARK: - The workers' side of the actions

    public mutating func welcome(_ worker: WorkerID) {
        guard let index = index(of: worker) else { return }
        if let pending = workers[index].pending {
            react(to: harness.send(.result(worker, trial: pending.trial, number: pending.number, outcome: pending.result)))
        } else if let trial = workers[index].trial, workers[index].waitingAt != nil {
            react(to: harness.send(.checkpoint(worker, trial: trial.trial, epochs: workers[index].trained)))
        } else if workers[index].trial == nil {
            react(to: harness.send(.ready(worker)))
        }
    }

    public mutating func assign(_ assignment: Assignment, to worker: WorkerID) {
        guard let index = index(of: worker) else { return }
        workers[index].trial = assignment
        workers[index].trained = []
        workers[index].full = nil
        workers[index].stopAfter = nil
        workers[index].waitingAt = nil
        // A stretch of population-based training trains on from its parent's final checkpoint.
        if let parent = assignment.point.lineage?.parent {
            let chain = harness.checkpoints[parent] ?? []
            precondition(!chain.isEmpty, "a stretch whose parent \(parent) has no stored checkpoint")
            workers[index].full = FakeTrainer.run(assignment.point, continuing: chain)
        }
        if let from = assignment.resumeFrom {
            let stored = harness.checkpoints[assignment.parent ?? assignment.trial] ?? []
            precondition(stored.count == from, "resume from \(from) epochs, but \(stored.count) are stored")
            let full = workers[index].full ?? FakeTrainer.run(assignment.point)
            precondition(stored == Array(full.epochs.prefix(from)), "a stored checkpoint differs from the run")
            workers[index].trained = stored
            resumes += 1
        }
    }

    public mutating func proceed(_ worker: WorkerID, trial: String, epoch: Int) {
        guard let index = index(of: worker), workers[index].trial?.trial == trial, workers[index].waitingAt == epoch else { return }
        workers[index].waitingAt = nil
    }

    public mutating func stop(_ worker: WorkerID, trial: String, afterEpoch: Int?) {
        guard let index = index(of: worker) else { return }
        if workers[index].trial?.trial == trial {
            if let afterEpoch {
                workers[index].stopAfter = afterEpoch
                if workers[index].trained.count >= afterEpoch, let assignment = workers[index].trial {
                    let cut = TrainingResult(config: assignment.config, epochs: Array(workers[index].trained.prefix(afterEpoch)),
                                             status: .stopped)
                    deliver(index, assignment, cut)
                }
            } else {
                workers[index].trial = nil
                workers[index].waitingAt = nil
                react(to: harness.send(.ready(worker)))
            }
        } else if workers[index].pending?.trial == trial && afterEpoch == nil {
            workers[index].pending = nil
            react(to: harness.send(.ready(worker)))
        }
    }

    public mutating func acknowledge(_ worker: WorkerID, trial: String) {
        guard let index = index(of: worker), workers[index].pending?.trial == trial else { return }
        workers[index].pending = nil
        react(to: harness.send(.ready(worker)))
    }

    public mutating func bye(_ worker: WorkerID) {
        guard let index = index(of: worker) else { return }
        workers[index].gone = true
    }

    // Every worker beats on its own cadence in `run`; the store's side is the harness's; events are
    // the harness's to keep.
    public func heartbeat(_ worker: WorkerID) {}
    public func storeCheckpoint(from worker: WorkerID, trial: String, epoch: Int) {}
    public func removeCheckpoint(_ trial: String) {}
    public func keepModel(_ trial: String) {}
    public func removeModel(_ trial: String) {}
    public func record(_ record: TrialRecord, epochs: [EpochMetrics]) {}
    public func hold(_ result: HeldResult) {}
    public func moveBeyondEnd(_ trials: Set<String>) {}
    public func report(_ event: SweepEvent) {}

    private func index(of worker: WorkerID) -> Int? {
        workers.firstIndex { WorkerID($0.name) == worker && $0.alive && !$0.gone }
    }
}


import Foundation
import Programs
import Scheduling
import Sweeping
import Training
import SweepCore

/// A scheduler driven by hand, as swift-nio's `EmbeddedChannel` drives a channel: inputs go in with
/// a virtual time, actions come out and are kept for inspection, records are collected as a store
/// would write them.
struct Harness {
    var scheduler: Scheduler
    var now: Duration = .zero
    /// Every action so far, in order.
    var actions: [SchedulerAction] = []
    /// What was recorded, in order.
    var records: [TrialRecord] = []
    var epochs: [String: [EpochMetrics]] = [:]
    /// Results kept until their rows can be written, as `held.jsonl` would keep them.
    var held: [HeldResult] = []
    /// Stored checkpoints (each trial's finished epochs) and kept models, as `checkpoints/` and `models/` would hold them.
    var checkpoints: [String: [EpochMetrics]] = [:]
    var models: Set<String> = []
    /// The checkpoint each worker sent last, until the scheduler says to store it.
    private var sent: [WorkerID: [EpochMetrics]] = [:]

    init(_ spec: SweepSpec, records: [TrialRecord] = [], epochs: [String: [EpochMetrics]] = [:], held: [HeldResult] = [],
         checkpoints: [String: [EpochMetrics]] = [:], models: Set<String> = [],
         options: SchedulerOptions = Harness.options, now: Duration = .zero) {
        scheduler = Scheduler(spec: spec, records: records, epochs: epochs, held: held, checkpoints: checkpoints, models: models,
                              options: options, now: now)
        self.now = now
        self.records = records
        self.epochs = epochs
        self.held = held
        self.checkpoints = checkpoints
        self.models = models
        take(scheduler.startingActions())
    }

    /// Fast timings, so virtual seconds stay small: beat 100 ms, dead after 3 missed, farewell 1 s.
    static var options: SchedulerOptions {
        var options = SchedulerOptions()
        options.heartbeat = .milliseconds(100)
        options.liveness = 3
        options.farewell = .seconds(1)
        return options
    }

    /// Sends one input now; returns what it caused.
    @discardableResult
    mutating func send(_ input: SchedulerInput) -> [SchedulerAction] {
        if case .checkpoint(let worker, _, let epochs) = input { sent[worker] = epochs }
        let result = scheduler.handle(input, now: now)
        take(result)
        return result
    }

    /// Lets `duration` pass, ticking every 50 ms, while the workers named in `beating` send heartbeats
    /// (the others stay silent); returns what happened.
    @discardableResult
    mutating func advance(_ duration: Duration, beating: [String] = []) -> [SchedulerAction] {
        var result: [SchedulerAction] = []
        let end = now + duration
        while now < end {
            now = min(now + .milliseconds(50), end)
            for name in beating { result += send(.heartbeat(WorkerID(name))) }
            result += send(.tick)
        }
        return result
    }

    private mutating func take(_ new: [SchedulerAction]) {
        actions += new
        for action in new {
            switch action {
            case .record(let record, let recordedEpochs):
                records.append(record)
                epochs[record.id] = recordedEpochs
                held.removeAll { $0.trial == record.id }
            case .hold(let result):
                held.append(result)
            case .moveBeyondEnd(let ids):
                records.removeAll { ids.contains($0.id) }
                for id in ids { epochs[id] = nil }
            case .storeCheckpoint(let worker, let trial, let epoch):
                precondition(sent[worker]?.count == epoch, "told to store a checkpoint that was not sent")
                checkpoints[trial] = sent.removeValue(forKey: worker)
            case .removeCheckpoint(let trial):
                checkpoints[trial] = nil
            case .keepModel(let trial):
                precondition(checkpoints[trial] != nil, "a model kept from no checkpoint")
                checkpoints[trial] = nil
                models.insert(trial)
            case .removeModel(let trial):
                models.remove(trial)
            default: break
            }
        }
    }

    /// A worker says hello and is ready; returns the trial it was given, if any.
    @discardableResult
    mutating func join(_ name: String, running: SchedulerInput.RunningTrial? = nil) -> Assignment? {
        send(.hello(WorkerID(name), name: name, host: "h", running: running))
        if running != nil { return nil }
        return assignment(in: send(.ready(WorkerID(name))), to: name)
    }

    typealias Assignment = Scheduling.Assignment

    func assignment(in actions: [SchedulerAction], to name: String) -> Assignment? {
        for case .assign(let worker, let assignment) in actions where worker == WorkerID(name) { return assignment }
        return nil
    }

    /// `name` trains `assignment` to the end (progress for each epoch, then the result) and says it is
    /// ready once acknowledged; returns the next assignment, if one came.
    @discardableResult
    mutating func finish(_ name: String, _ assignment: Assignment) -> Assignment? {
        let result = FakeTrainer.run(assignment.point)
        for metrics in result.epochs { send(.progress(WorkerID(name), trial: assignment.trial, metrics: metrics)) }
        let reply = send(.result(WorkerID(name), trial: assignment.trial, number: assignment.number, outcome: result))
        guard reply.contains(.acknowledge(WorkerID(name), trial: assignment.trial)) else { return nil }
        return self.assignment(in: send(.ready(WorkerID(name))), to: name)
    }

    /// Events of one kind.
    func events(_ match: (SweepEvent) -> Bool) -> [SweepEvent] {
        actions.compactMap { if case .event(let event) = $0, match(event) { return event } else { return nil } }
    }
}

/// Training stood in for by a formula: the test loss falls with each epoch towards a floor set by the
/// configuration (best near learning rate 0.03, momentum 0.6, dropout 0.2), with a little wobble that
/// depends on the seed and the epoch, so trials cross over as real ones do. Deterministic.
enum FakeTrainer {
    /// A trial's run: the built-in trainer's stand-in, or a program's: the same curve, printed as
    /// `loss` (and `acc`) by a program whose parameters `lr`, `momentum`, `dropout` and `epochs`
    /// play the hyperparameters' parts.
    static func run(_ point: TrialPoint) -> TrainingResult {
        switch point {
        case .model(let config): return run(config)
        case .program(let values):
            func number(_ name: String) -> Double? {
                switch values.first(where: { $0.key == name })?.value {
                case .real(let x)?: return x
                case .int(let n)?: return Double(n)
                default: return nil
                }
            }
            var config = TrainingConfig()
            config.learningRate = number("lr") ?? 0.01
            config.momentum = number("momentum") ?? 0
            config.dropout = number("dropout") ?? 0
            config.epochs = Int(number("epochs") ?? 9)
            let model = run(config)
            let epochs = model.epochs.map { e in
                EpochMetrics(epoch: e.epoch, seconds: e.seconds, named: [("loss", e.testLoss), ("acc", e.testAccuracy)])
            }
            // A program does not diverge: it prints what it prints (NaN here), and ends.
            return TrainingResult(config: nil, epochs: epochs, status: .completed)
        }
    }

    static func run(_ config: TrainingConfig) -> TrainingResult {
        let floor = 0.25 + 0.08 * pow(log10(config.learningRate) + 1.5, 2) + 0.3 * pow(config.momentum - 0.6, 2)
            + 0.2 * pow(config.dropout - 0.2, 2) + 100 * config.weightDecay
        var epochs: [EpochMetrics] = []
        for epoch in 1...config.epochs {
            var random = SplitMix64(seed: UInt64(epoch), stream: fnv(config.canonicalKey))
            let wobble = (random.nextUnitDouble() - 0.5) * 0.02
            let speed = 0.5 + config.learningRate * 5
            let loss = floor + 1.5 * exp(-speed * Double(epoch) / 3) + wobble
            if config.learningRate > 0.8 && epoch >= 2 {
                epochs.append(EpochMetrics(epoch: epoch, trainLoss: .nan, testLoss: .nan, testAccuracy: 0.1, seconds: 0.01))
                return TrainingResult(config: config, epochs: epochs, status: .diverged)
            }
            epochs.append(EpochMetrics(epoch: epoch, trainLoss: loss - 0.05, testLoss: loss, testAccuracy: 1 - loss / 2,
                                       seconds: 0.01))
        }
        return TrainingResult(config: config, epochs: epochs, status: .completed)
    }

    private static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}

/// A fleet of simulated workers around one scheduler: each trains one epoch per step it is given,
/// the steps shared out by a seeded random generator (so the interleaving of workers varies with
/// the seed), with optional faults: workers killed without a word and replaced, and the scheduler
/// itself replaced mid-sweep by a new one built from what was recorded (a coordinator restart).
/// With `checkpointing`, workers behave as real ones given checkpoint work: a checkpoint after some
/// epochs (at random, standing in for `checkpoint_every`), one at each rung of `pauseAt` followed by
/// a wait for word, one of the final weights, and resumption from the stored one when handed out so.
struct Fleet {
    struct Worker {
        var name: String
        var trial: Harness.Assignment?
        var trained: [EpochMetrics] = []
        var full: TrainingResult?
        var stopAfter: Int?
        var waitingAt: Int?
        var pending: (trial: String, number: Int, result: TrainingResult)?
        var alive = true
        var gone = false
    }

    var harness: Harness
    var workers: [Worker] = []
    var random: SplitMix64
    let spec: SweepSpec
    let checkpointing: Bool
    var kills = 0, restarts = 0
    var started = 0
    /// Epochs trained by all workers, and trials resumed from a checkpoint.
    var epochsTrained = 0, resumes = 0

    /// Harness timings, but no trial is ever given up on: which trial meets three killed workers in
    /// a row depends on the faults, and giving up is a fault-dependent outcome by design.
    static var options: SchedulerOptions {
        var options = Harness.options
        options.maxAttempts = 1_000
        return options
    }

    init(_ spec: SweepSpec, workers count: Int, seed: UInt64, checkpointing: Bool = false) {
        self.spec = spec
        self.checkpointing = checkpointing
        harness = Harness(spec, options: Fleet.options)
        random = SplitMix64(seed: seed, stream: 0xF1EE7)
        for _ in 0..<count { addWorker() }
    }

    mutating func addWorker() {
        started += 1
        let name = "w\(started)"
        workers.append(Worker(name: name))
        react(to: harness.send(.hello(WorkerID(name), name: name, host: "h", running: nil)))
    }

    /// Runs until the scheduler is done (or `limit` steps), killing a random busy worker every
    /// `killEvery` steps (and starting a new one) and restarting the scheduler at the given steps.
    mutating func run(killEvery: Int? = nil, maximumKills: Int = 12, restartAt: Set<Int> = [],
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
                          models: harness.models, options: Fleet.options, now: harness.now)
        for index in workers.indices where workers[index].alive && !workers[index].gone {
            let running = workers[index].trial.map {
                SchedulerInput.RunningTrial(trial: $0.trial, number: $0.number, config: $0.config)
            }
            react(to: harness.send(.hello(WorkerID(workers[index].name), name: workers[index].name, host: "h", running: running)))
        }
    }

    /// What the workers do with the scheduler's actions.
    private mutating func react(to actions: [SchedulerAction]) {
        for action in actions {
            switch action {
            case .welcome(let worker):
                guard let index = index(of: worker) else { continue }
                if let pending = workers[index].pending {
                    react(to: harness.send(.result(worker, trial: pending.trial, number: pending.number, outcome: pending.result)))
                } else if let trial = workers[index].trial, workers[index].waitingAt != nil {
                    react(to: harness.send(.checkpoint(worker, trial: trial.trial, epochs: workers[index].trained)))
                } else if workers[index].trial == nil {
                    react(to: harness.send(.ready(worker)))
                }
            case .assign(let worker, let assignment):
                guard let index = index(of: worker) else { continue }
                workers[index].trial = assignment
                workers[index].trained = []
                workers[index].full = nil
                workers[index].stopAfter = nil
                workers[index].waitingAt = nil
                if let from = assignment.resumeFrom {
                    let stored = harness.checkpoints[assignment.trial] ?? []
                    precondition(stored.count == from, "resume from \(from) epochs, but \(stored.count) are stored")
                    precondition(stored == Array(FakeTrainer.run(assignment.point).epochs.prefix(from)), "a stored checkpoint differs from the run")
                    workers[index].trained = stored
                    resumes += 1
                }
            case .proceed(let worker, let trial, let epoch):
                guard let index = index(of: worker), workers[index].trial?.trial == trial, workers[index].waitingAt == epoch else { continue }
                workers[index].waitingAt = nil
            case .stop(let worker, let trial, let afterEpoch):
                guard let index = index(of: worker) else { continue }
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
            case .acknowledge(let worker, let trial):
                guard let index = index(of: worker), workers[index].pending?.trial == trial else { continue }
                workers[index].pending = nil
                react(to: harness.send(.ready(worker)))
            case .bye(let worker):
                guard let index = index(of: worker) else { continue }
                workers[index].gone = true
            default:
                break
            }
        }
    }

    private func index(of worker: WorkerID) -> Int? {
        workers.firstIndex { WorkerID($0.name) == worker && $0.alive && !$0.gone }
    }
}

/// What must be the same however a sweep ran: each trial's id, position, status, stop and figures.
func outcomes(_ records: [TrialRecord]) -> [String] {
    records.map { record in
        var copy = record
        copy.seconds = 0
        copy.attempts = 0
        copy.epochsTrained = nil  // the work faults cost differs by design
        copy.worker = ""
        copy.host = ""
        return copy.fields.joined(separator: ",")
    }.sorted()
}

extension SweepSpec {
    /// A spec from YAML lines, or a test failure.
    static func test(_ text: String) -> SweepSpec {
        do {
            return try SweepSpec(yaml: text, file: "test.yaml")
        } catch {
            fatalError("bad test sweep: \(error)")
        }
    }
}

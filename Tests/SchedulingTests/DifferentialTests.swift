import Foundation
import Programs
@testable import Scheduling
import Sweeping
import Testing
import Training

// TEMPORARY: the scheduler made of parts against the scheduler as it was, input by input.

/// Two schedulers fed the same inputs; every output and every query compared.
struct DualHarness {
    var scheduler: Scheduler
    var legacy: LegacyScheduler
    var now: Duration = .zero
    var actions: [SchedulerAction] = []
    var records: [TrialRecord] = []
    var epochs: [String: [EpochMetrics]] = [:]
    var held: [HeldResult] = []
    var checkpoints: [String: [EpochMetrics]] = [:]
    var models: Set<String> = []
    var sent: [WorkerID: [EpochMetrics]] = [:]
    var mismatches: [String] = []
    var inputs = 0

    init(_ spec: SweepSpec, records: [TrialRecord] = [], epochs: [String: [EpochMetrics]] = [:], held: [HeldResult] = [],
         checkpoints: [String: [EpochMetrics]] = [:], models: Set<String> = [], options: SchedulerOptions, now: Duration = .zero) {
        scheduler = Scheduler(spec: spec, records: records, epochs: epochs, held: held, checkpoints: checkpoints, models: models,
                              options: options, now: now)
        legacy = LegacyScheduler(spec: spec, records: records, epochs: epochs, held: held, checkpoints: checkpoints, models: models,
                                 options: options, now: now)
        self.now = now
        self.records = records
        self.epochs = epochs
        self.held = held
        self.checkpoints = checkpoints
        self.models = models
        let a = scheduler.startingActions(), b = legacy.startingActions()
        compare(a, b, "starting")
        take(a)
    }

    /// Equal, or equal but for NaNs (which `==` never finds equal).
    static func same(_ a: SchedulerAction, _ b: SchedulerAction) -> Bool { a == b || "\(a)" == "\(b)" }

    mutating func compare(_ a: [SchedulerAction], _ b: [SchedulerAction], _ what: String) {
        guard mismatches.count < 5 else { return }
        let ended = b.contains { if case .event(.sweepEnded) = $0 { return true } else { return false } }
        if ended {
            // The old scheduler stopped trials past the end in dictionary order: compare as multisets.
            var rest = b
            var ok = a.count == b.count
            for action in a {
                if let index = rest.firstIndex(where: { DualHarness.same($0, action) }) { rest.remove(at: index) } else { ok = false }
            }
            if !ok { mismatches.append("input \(inputs) \(what) (end):\n new \(a)\n old \(b)") }
        } else if a.count != b.count || zip(a, b).contains(where: { !DualHarness.same($0, $1) }) {
            var first = 0
            while first < min(a.count, b.count) && DualHarness.same(a[first], b[first]) { first += 1 }
            mismatches.append("input \(inputs) \(what): first difference at \(first)\n new \(a.dropFirst(first).prefix(3))\n old \(b.dropFirst(first).prefix(3))")
        }
        let sa = (scheduler.phase, scheduler.outcome, scheduler.statistics, scheduler.recordedCount, scheduler.stoppedCount,
                  scheduler.totalCount)
        let sb = (legacy.phase, legacy.outcome, legacy.statistics, legacy.recordedCount, legacy.stoppedCount,
                  legacy.totalCount)
        if sa != sb || scheduler.progressFigure != legacy.progressFigure { mismatches.append("input \(inputs) \(what): state \(sa) vs \(sb)") }
        if scheduler.workerStatus != legacy.workerStatus && "\(scheduler.workerStatus)" != "\(legacy.workerStatus)" {
            mismatches.append("input \(inputs) \(what): workers \(scheduler.workerStatus) vs \(legacy.workerStatus)")
        }
    }

    mutating func probe(_ trial: String, _ worker: WorkerID) {
        if scheduler.config(ofTrial: trial, trainedBy: worker) != legacy.config(ofTrial: trial, trainedBy: worker)
            || scheduler.trains(trial, worker: worker) != legacy.trains(trial, worker: worker) {
            mismatches.append("input \(inputs): queries about \(trial) by \(worker) differ")
        }
    }

    @discardableResult
    mutating func send(_ input: SchedulerInput) -> [SchedulerAction] {
        inputs += 1
        if case .checkpoint(let worker, _, let epochs) = input { sent[worker] = epochs }
        let a = scheduler.handle(input, now: now)
        let b = legacy.handle(input, now: now)
        compare(a, b, "\(input)".prefix(80).description)
        switch input {
        case .progress(let w, let t, _), .result(let w, let t, _, _), .checkpoint(let w, let t, _): probe(t, w)
        default: break
        }
        take(a)
        return a
    }

    mutating func shutDown() {
        let a = scheduler.shutDown(), b = legacy.shutDown()
        compare(a, b, "shutDown")
    }

    private mutating func take(_ new: [SchedulerAction]) {
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
            case .storeCheckpoint(let worker, let trial, _):
                checkpoints[trial] = sent.removeValue(forKey: worker)
            case .removeCheckpoint(let trial):
                checkpoints[trial] = nil
            case .keepModel(let trial):
                checkpoints[trial] = nil
                models.insert(trial)
            case .removeModel(let trial):
                models.remove(trial)
            default: break
            }
        }
    }
}

/// `Fleet`, driving a `DualHarness`, with chaos: re-sent results, reconnects with claims, stray
/// checkpoints and messages, long silences, results for trials not in the sweep.
struct DualFleet {
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
        var delivered: [(trial: String, number: Int, result: TrainingResult)] = []
    }

    var harness: DualHarness
    var workers: [Worker] = []
    var random: SplitMix64
    let spec: SweepSpec
    let checkpointing: Bool
    let chaos: Bool
    let options: SchedulerOptions
    var kills = 0, restarts = 0, started = 0

    init(_ spec: SweepSpec, workers count: Int, seed: UInt64, checkpointing: Bool = false, chaos: Bool = false,
         options: SchedulerOptions = Fleet.options) {
        self.spec = spec
        self.checkpointing = checkpointing
        self.chaos = chaos
        self.options = options
        harness = DualHarness(spec, options: options)
        random = SplitMix64(seed: seed, stream: 0xD1FF)
        for _ in 0..<count { addWorker() }
    }

    mutating func addWorker() {
        started += 1
        let name = "w\(started)"
        workers.append(Worker(name: name))
        react(to: harness.send(.hello(WorkerID(name), name: name, host: "h\(started % 3)", running: nil)))
    }

    mutating func run(killEvery: Int? = nil, maximumKills: Int = 12, restartAt: Set<Int> = [], shutDownAt: Int? = nil,
                      limit: Int = 20_000) -> [String] {
        var step = 0
        while harness.scheduler.phase == .running && step < limit && harness.mismatches.isEmpty {
            step += 1
            if step == shutDownAt {
                harness.shutDown()
                break
            }
            if restartAt.contains(step) { restart() }
            if let killEvery, step % killEvery == 0, kills < maximumKills {
                let busy = workers.indices.filter { workers[$0].alive && !workers[$0].gone && workers[$0].trial != nil }
                if !busy.isEmpty {
                    let victim = busy[random.nextIndex(below: busy.count)]
                    workers[victim].alive = false
                    kills += 1
                    addWorker()
                    workers.removeAll { !$0.alive }
                }
            }
            if chaos { mischief() }
            let busy = workers.indices.filter { workers[$0].alive && workers[$0].trial != nil && workers[$0].waitingAt == nil }
            if !busy.isEmpty { trainOneEpoch(busy[random.nextIndex(below: busy.count)]) }
            harness.now += .milliseconds(10)
            react(to: harness.send(.tick))
            for index in workers.indices where workers[index].alive && !workers[index].gone {
                react(to: harness.send(.heartbeat(WorkerID(workers[index].name))))
            }
        }
        // The farewell, to its end.
        var farewellSteps = 0
        while harness.scheduler.phase != .done && harness.legacy.phase != .done && farewellSteps < 300 && harness.mismatches.isEmpty {
            farewellSteps += 1
            harness.now += .milliseconds(10)
            if chaos && farewellSteps % 7 == 0, let w = workers.first {
                react(to: harness.send(.ready(WorkerID(w.name))))
                if let d = w.delivered.last {
                    react(to: harness.send(.result(WorkerID(w.name), trial: d.trial, number: d.number, outcome: d.result)))
                }
            }
            react(to: harness.send(.tick))
        }
        return harness.mismatches
    }

    /// Something a real fleet does now and then.
    private mutating func mischief() {
        guard random.nextIndex(below: 6) == 0, !workers.isEmpty, workers.count < 16 else { return }
        let index = random.nextIndex(below: workers.count)
        let worker = WorkerID(workers[index].name)
        guard workers[index].alive, !workers[index].gone else { return }
        switch random.nextIndex(below: 9) {
        case 0:
            // An old result again (a reconnect re-sends, or a second worker ran it too).
            if let old = workers[index].delivered.randomElement(using: &random) {
                react(to: harness.send(.result(worker, trial: old.trial, number: old.number, outcome: old.result)))
            }
        case 1:
            // A reconnect: hello again, naming the trial it trains.
            let running = workers[index].trial.map { SchedulerInput.RunningTrial(trial: $0.trial, number: $0.number, config: $0.config) }
            react(to: harness.send(.hello(worker, name: workers[index].name, host: "h", running: running)))
        case 2:
            // A checkpoint of someone else's trial.
            if let other = workers.first(where: { $0.trial != nil && $0.name != workers[index].name && !$0.trained.isEmpty }) {
                harness.send(.checkpoint(worker, trial: other.trial!.trial, epochs: other.trained))
            }
        case 3:
            // Messages from a stranger.
            harness.send(.progress(WorkerID("stranger"), trial: "0000000000000000",
                                   metrics: EpochMetrics(epoch: 1, trainLoss: 1, testLoss: 1, testAccuracy: 0.5, seconds: 1)))
            harness.send(.ready(WorkerID("stranger")))
            harness.send(.checkpoint(WorkerID("stranger"), trial: "0000000000000000", epochs: []))
        case 4:
            // A result for a trial of no sweep.
            let point = spec.point(at: 0)
            let result = FakeTrainer.run(point)
            harness.send(.result(worker, trial: "ffffffffffffffff", number: 3, outcome: result))
        case 5:
            // A second worker claims the trial another trains (a stale process after a partition).
            if let other = workers.first(where: { $0.trial != nil && $0.name != workers[index].name }), workers[index].trial == nil {
                let claim = other.trial!
                let name = "twin\(started)"
                started += 1
                workers.append(Worker(name: name))
                react(to: harness.send(.hello(WorkerID(name), name: name, host: "h",
                                              running: .init(trial: claim.trial, number: claim.number, config: claim.config))))
            }
        case 6:
            // A claim with the wrong position.
            if let claim = workers[index].trial {
                harness.send(.hello(WorkerID("liar"), name: "liar", host: "h",
                                    running: .init(trial: claim.trial, number: claim.number + 1, config: claim.config)))
            }
        case 7:
            // A short silence of everybody: the scheduler reaps nobody yet, or a long one: everybody.
            let long = random.nextIndex(below: 4) == 0
            harness.now += long ? .seconds(2) : .milliseconds(150)
            react(to: harness.send(.tick))
        default:
            // A claim on a position ahead of the cursor by a worker of an earlier coordinator.
            let number = min(spec.count - 1, random.nextIndex(below: max(1, spec.count)))
            let point = spec.point(at: number)
            let name = "old\(started)"
            started += 1
            workers.append(Worker(name: name))
            react(to: harness.send(.hello(WorkerID(name), name: name, host: "h",
                                          running: .init(trial: point.id, number: number, config: point.model))))
            if let index = workers.firstIndex(where: { $0.name == name }), harness.scheduler.trains(point.id, worker: WorkerID(name)) {
                workers[index].trial = Harness.Assignment(trial: point.id, number: number, point: point)
            }
        }
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
        workers[index].delivered.append((assignment.trial, assignment.number, result))
        react(to: harness.send(.result(WorkerID(workers[index].name), trial: assignment.trial, number: assignment.number,
                                       outcome: result)))
    }

    private mutating func restart() {
        restarts += 1
        let kept = harness.records
        var epochs: [String: [EpochMetrics]] = [:]
        for record in kept { epochs[record.id] = harness.epochs[record.id] }
        let mismatches = harness.mismatches, inputs = harness.inputs
        harness = DualHarness(spec, records: kept, epochs: epochs, held: harness.held, checkpoints: harness.checkpoints,
                              models: harness.models, options: options, now: harness.now)
        harness.mismatches = mismatches
        harness.inputs = inputs
        for index in workers.indices where workers[index].alive && !workers[index].gone {
            let running = workers[index].trial.map {
                SchedulerInput.RunningTrial(trial: $0.trial, number: $0.number, config: $0.config)
            }
            react(to: harness.send(.hello(WorkerID(workers[index].name), name: workers[index].name, host: "h", running: running)))
        }
    }

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
                    workers[index].trained = Array((harness.checkpoints[assignment.trial] ?? []).prefix(from))
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

extension Array {
    func randomElement(using random: inout SplitMix64) -> Element? {
        isEmpty ? nil : self[random.nextIndex(below: count)]
    }
}

@Suite("Scheduler: parts against the old scheduler")
struct DifferentialTests {
    static let specs: [(String, SweepSpec)] = {
        var specs = DeterminismTests.cases.map { ($0.name, $0.spec) }
        specs.append(("program bayes + hyperband", ProgramSchedulingTests.bayesHyperband))
        specs.append(("grid keep_models", CheckpointSchedulingTests.grid))
        specs.append(("hyperband keep_models", CheckpointSchedulingTests.hyperband))
        specs.append(("grid with repeats and a target", SweepSpec.test("""
            metric: {name: test_loss, goal: minimize, target: 0.31}
            parameters:
              learning_rate: {values: [0.01, 0.03, 0.01, 0.1, 0.9]}
              momentum: {values: [0.0, 0.6, 0.9]}
              epochs: {value: 4}
            keep_models: 2
            """)))
        specs.append(("random asha 2 brackets keep_models budget", SweepSpec.test("""
            method: random
            run_cap: 40
            random_seed: 9
            epoch_budget: 150
            keep_models: 2
            metric: {name: test_accuracy, goal: maximize}
            early_terminate: {type: asha, min_iter: 1, eta: 2, brackets: 2}
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 1.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              epochs: {value: 9}
            """)))
        specs.append(("bayes best_test_loss median target", SweepSpec.test("""
            method: bayes
            run_cap: 40
            parallelism: 2
            metric: {name: best_test_loss, goal: minimize, target: 0.27}
            early_terminate: {type: median, min_iter: 2, min_trials: 2}
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              epochs: {value: 6}
            """)))
        specs.append(("program grid hyperband", SweepSpec.test("""
            command: [train]
            metric: {name: loss}
            method: grid
            early_terminate: {type: hyperband, min_iter: 1, eta: 2}
            parameters:
              lr: {values: [0.03, 0.001, 0.3, 0.01]}
              momentum: {values: [0.0, 0.9]}
              epochs: {value: 5}
            """)))
        specs.append(("program random asha target", SweepSpec.test("""
            command: [train]
            metric: {name: acc, goal: maximize, target: 0.87}
            method: random
            run_cap: 30
            early_terminate: {type: asha, min_iter: 1, eta: 3, strict: false}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              epochs: {value: 6}
            """)))
        return specs
    }()

    @Test(arguments: 0..<15)
    func thePartsDecideAsTheOldSchedulerDid(_ index: Int) {
        let (name, spec) = Self.specs[index]
        var runs = 0, unfinished = 0
        for seed in UInt64(1)...4 {
            for checkpointing in [false, true] {
                for chaos in [false, true] {
                    let workers = [1, 2, 3, 8][Int(seed - 1)]
                    var fleet = DualFleet(spec, workers: workers, seed: seed &* 31 &+ (checkpointing ? 7 : 0) &+ (chaos ? 3 : 0),
                                          checkpointing: checkpointing, chaos: chaos)
                    let restarts: Set<Int> = seed % 2 == 0 ? [30, 110, 260] : (seed == 3 ? [5, 6, 400] : [])
                    let problems = fleet.run(killEvery: seed >= 3 ? Int(5 + seed * 2) : nil, restartAt: restarts,
                                             shutDownAt: seed == 3 && chaos ? 150 : nil)
                    runs += 1
                    if fleet.harness.scheduler.phase != .done {
                        unfinished += 1
                        print("not done: \(name), seed \(seed), checkpointing \(checkpointing), chaos \(chaos): \(fleet.harness.scheduler.phase), \(fleet.harness.scheduler.recordedCount)/\(fleet.harness.scheduler.totalCount)")
                    }
                    #expect(problems.isEmpty, "\(name), seed \(seed), checkpointing \(checkpointing), chaos \(chaos): \(problems.joined(separator: "\n"))")
                }
            }
        }
        print("differential \(name): \(runs) runs, \(unfinished) not done")
    }
}

@Suite("TPE: density as it was")
struct DensityDifferentialTests {
    /// The log density as computed before (an array of terms, every exp summed).
    static func oldLogDensity(_ e: ParzenEstimator, _ x: Double) -> Double {
        var top = -Double.infinity
        var terms = [Double](repeating: 0, count: e.weights.count)
        let scales = e.weights.indices.map { index -> Double in
            let (mu, sigma) = (e.means[index], e.sigmas[index])
            let mass = Probability.normalCDF((1 - mu) / sigma) - Probability.normalCDF((0 - mu) / sigma)
            return log(e.weights[index]) - log(sigma * (2 * Double.pi).squareRoot() * max(mass, 1e-300))
        }
        for index in e.weights.indices {
            let z = (x - e.means[index]) / e.sigmas[index]
            terms[index] = scales[index] - 0.5 * z * z
            top = max(top, terms[index])
        }
        var sum = 0.0
        for term in terms { sum += exp(term - top) }
        return top + log(sum)
    }

    @Test func theLogDensityIsBitForBitAsBefore() {
        var random = SplitMix64(seed: 77, stream: 1)
        var compared = 0
        for n in [0, 1, 2, 5, 30, 200, 2000] {
            for _ in 0..<20 {
                let clustered = random.nextIndex(below: 2) == 0
                let centre = random.nextUnitDouble()
                let observations = (0..<n).map { _ in clustered ? min(1, max(0, centre + (random.nextUnitDouble() - 0.5) * 0.01)) : random.nextUnitDouble() }
                let e = ParzenEstimator(observations: observations, priorWeight: 1)
                for _ in 0..<50 {
                    let x = random.nextUnitDouble()
                    let (a, b) = (e.logDensity(x), Self.oldLogDensity(e, x))
                    #expect(a.bitPattern == b.bitPattern, "n \(n), x \(x): \(a) vs \(b)")
                    compared += 1
                }
            }
        }
        print("log densities compared: \(compared)")
    }
}

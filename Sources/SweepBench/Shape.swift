import Foundation
import Scheduling
import SweepCore
import SweepSimulation
import Training

/// `sweep-bench --shape`: the scheduler fed what the coordinator feeds it in `Scripts/bench
/// coordinator` (many workers that join, then all ask for work at once and answer each trial at
/// once), with no sockets and no files, so that a cost growing with the workers shows apart from the
/// transport. Virtual time moves 100 µs an input (about the real coordinator's pace); a tick every
/// 100 ms of it; a worker with nothing to do beats every second. Prints the wall time an input in each
/// phase: joining, trials flowing, the tail (every trial handed out, the last ones coming back).
func shape(_ options: Options) {
    let workers = options.workers, trials = options.trials, length = Duration.seconds(options.trialSeconds)
    let epochs = options.median ? 9 : 1
    let grid = spec("name: shape\nmethod: grid\nparameters:\n  epochs: {value: \(epochs)}\n  seed: {distribution: int_uniform, min: 1, max: \(trials)}\n"
                    + (options.median ? "early_terminate: {type: median}\n" : ""))
    print("shape: \(trials) trials of \(epochs) epoch\(epochs > 1 ? "s" : "") in \(options.trialSeconds) s\(options.median ? " (median rule)" : ""), "
          + "\(workers) workers joining, then asking for work all at once")
    var harness = Harness(grid, options: SchedulerOptions())
    harness.keepsActions = false
    let ids = (0..<workers).map { WorkerID("w-\($0)") }
    let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
    enum Message { case hello(Int), ready(Int), heartbeat(Int), result(Int, Assignment) }
    var queue: [Message] = ids.indices.map { .hello($0) }
    var head = 0
    /// Results due later (trials that take one to two `length`s), in the order they are due.
    var pending: [(due: Duration, message: Message)] = []
    var pendingHead = 0
    var lastSent = Array(repeating: Duration.zero, count: workers)
    var idle = Set<Int>()
    var started = false, tail = false
    var lastTick = Duration.zero, lastBeat = Duration.zero
    let clock = ContinuousClock()
    var phase = (name: "join", start: clock.now, inputs: 0)
    var tickTime = Duration.zero, ticks = 0
    func report() {
        let wall = clock.now - phase.start
        print(String(format: "  %-6@ %9d inputs in %6.2f s: %7.2f us an input", phase.name as NSString, phase.inputs,
                     seconds(wall), 1e6 * seconds(wall) / Double(max(phase.inputs, 1))))
        phase = ("", clock.now, 0)
    }
    while harness.scheduler.phase == .running {
        while pendingHead < pending.count && pending[pendingHead].due <= harness.now {
            queue.append(pending[pendingHead].message)
            pendingHead += 1
        }
        if head == queue.count {
            if !started {
                report()
                phase.name = "flow"
                started = true
                queue += ids.indices.map { .ready($0) }
            } else {
                // Nothing waiting: time passes to what comes next.
                var next = min(lastBeat + .seconds(1), lastTick + .milliseconds(100))
                if pendingHead < pending.count { next = min(next, pending[pendingHead].due) }
                harness.now = max(harness.now, next)
            }
        }
        if head < queue.count {
            let message = queue[head]
            head += 1
            if head > 100_000 {
                queue.removeFirst(head)
                head = 0
            }
            let input: SchedulerInput, sender: Int
            switch message {
            case .hello(let w): (input, sender) = (.hello(ids[w], name: "w-\(w)", host: "bench", running: nil), w)
            case .ready(let w):
                (input, sender) = (.ready(ids[w]), w)
                idle.insert(w)
            case .heartbeat(let w): (input, sender) = (.heartbeat(ids[w]), w)
            case .result(let w, let a):
                // Each trial its own level (so that the median rule stops some), falling with the epochs.
                let level = Double((a.number &* 7919) % 1000) / 1000
                let outcome = TrainingResult(config: a.point.trainingConfig, epochs: (1...epochs).map {
                    EpochMetrics(epoch: $0, trainLoss: 0, testLoss: level + 1 / Double($0), testAccuracy: 0, seconds: 0)
                }, status: .completed)
                (input, sender) = (.result(ids[w], trial: a.trial, number: a.number, outcome: outcome), w)
            }
            lastSent[sender] = harness.now
            harness.now += .microseconds(10)
            phase.inputs += 1
            for action in harness.send(input) {
                switch action {
                case .assign(let worker, let assignment):
                    let w = index[worker]!
                    idle.remove(w)
                    if length == .zero {
                        queue.append(.result(w, assignment))
                    } else {
                        // From one to two lengths, varying by position, so that results come back out of order.
                        let due = harness.now + length * (1 + Double((assignment.number &* 7919) % 1000) / 1000)
                        var at = pending.count
                        while at > pendingHead && pending[at - 1].due > due { at -= 1 }
                        pending.insert((due, .result(w, assignment)), at: at)
                    }
                case .acknowledge(let worker, _):
                    queue.append(.ready(index[worker]!))
                default:
                    break
                }
            }
            if started && !tail && !idle.isEmpty {
                report()
                phase.name = "tail"
                tail = true
            }
        }
        if harness.now - lastBeat >= .seconds(1) {
            lastBeat = harness.now
            for w in 0..<workers where harness.now - lastSent[w] >= .seconds(1) { queue.append(.heartbeat(w)) }
        }
        if harness.now - lastTick >= .milliseconds(100) {
            lastTick = harness.now
            let before = clock.now
            harness.send(.tick)
            tickTime += clock.now - before
            ticks += 1
        }
    }
    report()
    print(String(format: "  ticks: %d, %.3f ms each (a heartbeat to every worker each second); %.0f virtual seconds", ticks,
                 1000 * seconds(tickTime) / Double(max(ticks, 1)), seconds(harness.now)))
    guard harness.records.count == trials else {
        FileHandle.standardError.write(Data("sweep-bench: \(harness.records.count) of \(trials) trials recorded\n".utf8))
        exit(ExitStatus.software)
    }
}

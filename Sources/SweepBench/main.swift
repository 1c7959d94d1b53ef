import Foundation
import Scheduling
import Sweeping
import SweepCore
import SweepSimulation
import Training
import SweepFiles

// `Scripts/bench scheduler`: the scheduler alone, through the simulated fleet (no sockets, no files),
// so its cost is measured apart from the transport and the store that `Scripts/bench coordinator` adds.
//   sweep-bench [--trials N] [--workers N] [--rounds N]
//   sweep-bench --shape [--trials N] [--workers N] [--trial-seconds S] [--median]   the coordinator bench's inputs,
//                                      without sockets or files (trials of S seconds of virtual time: 0, at once, by
//                                      default; with --median, 9 epochs each under the median stopping rule)

struct Options {
    var trials = 20_000
    var workers = 64
    var rounds = 3
    var bayesRecorded = 2_000
    var shape = false
    var trialSeconds = 0
    var median = false

    init(_ arguments: [String]) throws(UsageError) {
        var rest = arguments[...]
        let known = ["--trials", "--workers", "--rounds", "--bayes-recorded", "--shape", "--trial-seconds", "--median"]
        while let flag = rest.popFirst() {
            if flag == "--shape" || flag == "--median" {
                if flag == "--shape" { shape = true } else { median = true }
                continue
            }
            guard known.contains(flag) else { throw UsageError("unknown option \(flag) (\(known.joined(separator: ", ")))") }
            guard let text = rest.popFirst(), let value = Int(text), value > 0 else {
                throw UsageError("\(flag) needs a positive whole number")
            }
            switch flag {
            case "--trials": trials = value
            case "--workers": workers = value
            case "--rounds": rounds = value
            case "--bayes-recorded": bayesRecorded = value
            case "--trial-seconds": trialSeconds = value
            default: break  // not reached: checked above
            }
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func spec(_ text: String) -> SweepSpec {
    do {
        return try SweepSpec(yaml: text, file: "bench.yaml")
    } catch {
        FileHandle.standardError.write(Data("sweep-bench: internal sweep file refused: \(error)\n".utf8))
        exit(ExitStatus.software)
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// A grid of `trials` three-epoch trials through `workers` simulated workers: every input the
/// scheduler handles (hellos, readies, heartbeats, epochs, results, ticks) is a decision.
func decisions(_ options: Options) {
    let grid = spec("name: bench\nmethod: grid\nparameters:\n  epochs: {value: 3}\n  seed: {distribution: int_uniform, min: 1, max: \(options.trials)}\n")
    print("scheduler: \(options.trials) trials x 3 epochs (grid), \(options.workers) simulated workers, every input a decision")
    var rates: [Double] = []
    for round in 1...options.rounds {
        var fleet = Fleet(grid, workers: options.workers, seed: UInt64(round))
        fleet.harness.keepsActions = false
        let clock = ContinuousClock()
        let start = clock.now
        let records = fleet.run(limit: Int.max)
        let wall = seconds(clock.now - start)
        guard records.count == options.trials, records.allSatisfy({ $0.status == .completed }) else {
            FileHandle.standardError.write(Data("sweep-bench: \(records.count) of \(options.trials) trials completed\n".utf8))
            exit(ExitStatus.software)
        }
        let inputs = fleet.harness.inputs
        rates.append(Double(inputs) / wall)
        print("  round \(round): \(inputs) inputs in \(String(format: "%.2f", wall)) s: "
              + "\(Int(Double(inputs) / wall)) decisions/s, \(Int(Double(records.count) / wall)) trials/s", terminator: "\n")
    }
    print("  best \(Int(rates.max()!)) decisions/s, median \(Int(median(rates))) decisions/s")
}

/// The time of one bayes proposal with `recorded` trials recorded: a scheduler resumed from them
/// (the fleet ran them first), then one worker asks for work and is handed the proposal.
func bayesProposal(_ options: Options) {
    let recorded = options.bayesRecorded
    let space = "parallelism: 8\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}\n"
        + "  momentum: {distribution: uniform, min: 0, max: 0.9}\n  epochs: {value: 1}\n"
    print("bayes: a proposal after \(recorded) recorded trials (TPE over 2 parameters, parallelism 8)")
    let clock = ContinuousClock()
    var fleet = Fleet(spec("name: bayes\nmethod: bayes\nrun_cap: \(recorded)\n" + space), workers: 8, seed: 1)
    fleet.harness.keepsActions = false
    var start = clock.now
    let records = fleet.run(limit: Int.max)
    print("  \(records.count) trials through the fleet in \(String(format: "%.1f", seconds(clock.now - start))) s")
    let next = spec("name: bayes\nmethod: bayes\nrun_cap: \(recorded + 1)\n" + space)
    // No grace after the restart: nobody is left to claim a trial, and the worker is to be handed
    // the proposal at once.
    var resumed = Harness.options
    resumed.grace = .zero
    var times: [Double] = []
    for _ in 1...max(options.rounds, 5) {
        var harness = Harness(next, records: records, epochs: fleet.harness.epochs, options: resumed)
        start = clock.now
        let assignment = harness.join("w1")
        times.append(seconds(clock.now - start))
        guard assignment?.number == recorded else {
            FileHandle.standardError.write(Data("sweep-bench: the worker was not handed position \(recorded)\n".utf8))
            exit(ExitStatus.software)
        }
    }
    print("  proposal at \(recorded) trials: median \(String(format: "%.2f", 1000 * median(times))) ms, "
          + "best \(String(format: "%.2f", 1000 * times.min()!)) ms (\(times.count) runs)")
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    if options.shape {
        shape(options)
        exit(0)
    }
    decisions(options)
    bayesProposal(options)
} catch {
    FileHandle.standardError.write(Data("sweep-bench: \(error)\n".utf8))
    exit(ExitStatus.usage)
}

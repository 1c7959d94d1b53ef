import ArgumentParser
import Foundation
import ResultsStore
import Scheduling
import SweepCore
import SweepFiles
import SweepSimulation
import Sweeping

/// `sweep simulate`: a sweep run in virtual time against recorded learning curves, to choose a search
/// method, an early-termination rule and a number of workers before paying for the real run.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate sweeps in virtual time on recorded learning curves: compare methods and numbers of workers.",
        discussion: """
            Runs the real scheduler (the same searcher, early-termination rule and trial book as sweep run) \
            against simulated workers. Each trial replays the curve recorded for its configuration in the \
            table (a results folder: its trials.csv and epochs.csv), or the nearest recorded configuration's \
            (measured as the sweep draws its space: a log-uniform learning rate in decades); such stand-ins \
            are counted. Each epoch takes its recorded seconds times the worker's speed factor. Decisions do \
            not depend on time, so a sweep that was run for real makes the same decisions here. Prints the \
            any-time curve (the best completed trial so far against simulated time and epochs), the idle \
            share of worker time, the epochs trained and the configurations tried; several sweep files or \
            --workers counts are compared side by side. See docs/simulate.md.
            """)

    @Argument(help: ArgumentHelp("Sweep files to simulate.", valueName: "sweep.yaml"))
    var sweeps: [String]

    @Option(help: ArgumentHelp("A results folder whose curves the trials replay (default: "
                               + "docs/results/simulation-table, the course's grid, when run from the repository).",
                               valueName: "results"))
    var table: String?

    @Option(help: ArgumentHelp("Simulated workers; several, separated by commas, are compared (e.g. 2,8,32,128).",
                               valueName: "n"))
    var workers = "2"

    @Option(help: ArgumentHelp("Workers' speeds: a number s ≥ 1 spreads their time factors evenly (in log) from 1/s "
                               + "to s; or a file with one factor per line (2 = twice as slow), repeated over the workers.",
                               valueName: "spread|file"))
    var speeds: String?

    @Option(help: ArgumentHelp("Each worker dies this often, per hour of simulated time (its trial starts again "
                               + "elsewhere, as after a real crash).", valueName: "rate"))
    var failures = 0.0

    @Option(help: ArgumentHelp("Seconds after which a dead worker is replaced by a new one (with --failures).",
                               valueName: "seconds"))
    var rejoin = 60.0

    @Option(help: ArgumentHelp("Simulate each sweep K times, with random_seed 0, 1, … K−1 added to its own "
                               + "(and deaths drawn anew): the spread of what the method finds.", valueName: "k"))
    var `repeat` = 1

    @Option(help: ArgumentHelp("Write the simulated sweep's trials.csv and epochs.csv here, as a real run would "
                               + "(seconds and workers simulated), for sweep rank, report and serve. One sweep, one "
                               + "--workers count, one repeat.", valueName: "dir"))
    var results: String?

    @Flag(help: "Print JSON (every run's figures and any-time curve) instead of tables.")
    var json = false

    func validate() throws {
        if sweeps.isEmpty { throw ValidationError("give at least one sweep file") }
        _ = try workerCounts()
        if self.repeat < 1 || self.repeat > 1_000 { throw ValidationError("--repeat must be 1 to 1000, got \(self.repeat)") }
        // Bounded so that every time stays a number a Duration holds, and time moves on.
        if !(failures == 0 || (1e-6...3_600).contains(failures)) {
            throw ValidationError("--failures must be 0 or a rate from 0.000001 to 3600 an hour, got \(failures)")
        }
        if !(1...10_000_000).contains(rejoin) { throw ValidationError("--rejoin must be 1 to 10000000 seconds, got \(rejoin)") }
        let counts = try workerCounts()
        if results != nil && (sweeps.count > 1 || counts.count > 1 || self.repeat > 1) {
            throw ValidationError("--results writes one simulated sweep: give one sweep file, one --workers count and no --repeat")
        }
    }

    /// The `--workers` counts, in the order given.
    func workerCounts() throws -> [Int] {
        let parts = workers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let counts = parts.compactMap { Int($0) }
        // 100,000: the scheduler keeps its workers in identity order, an insertion a move of those after it.
        guard counts.count == parts.count, counts.allSatisfy({ (1...100_000).contains($0) }) else {
            throw ValidationError("--workers takes counts from 1 to 100000 separated by commas, e.g. 2,8,32; got '\(workers)'")
        }
        return counts
    }

    func run() throws {
        let counts = try workerCounts()
        let table = try SimulationTable.load(self.table)
        var specs: [(path: String, spec: SweepSpec)] = []
        var problems: [String] = []
        for path in sweeps {
            do {
                let spec = try SweepSpec(contentsOf: path)
                if let problem = table.problem(with: spec) { problems.append("\(path): \(problem)") } else { specs.append((path, spec)) }
            } catch {
                problems.append("\(error)")
            }
        }
        guard problems.isEmpty else { throw RunFailure(problems.joined(separator: "\n"), code: ExitStatus.dataError) }
        if !json { say(table.summary) }
        var runs: [SimulationRun] = []
        for (path, spec) in specs {
            for count in counts {
                for k in 0..<self.repeat {
                    let seeded = k == 0 ? spec : try SimulationRun.reseeded(spec, adding: UInt64(k), path: path)
                    var options = Simulation.Options()
                    options.workers = count
                    options.timeFactors = try timeFactors(count)
                    options.failuresPerHour = failures
                    options.rejoinAfter = failures > 0 ? rejoin : nil
                    options.seed = UInt64(k)
                    options.scheduler.heartbeat = table.heartbeat(fastest: options.timeFactors.min() ?? 1)
                    let writer = try results.map { try SimulatedResults(directory: $0, spec: seeded) }
                    let run = SimulationRun(path: path, spec: seeded, workers: count, repeat: k, table: table, options: options,
                                            writer: writer)
                    try writer?.finish(run)
                    if !json { print(run.text, terminator: "") }
                    runs.append(run)
                }
            }
        }
        if json {
            print(SimulationRun.json(runs, table: table))
        } else if runs.count > 1 {
            print(SimulationRun.comparison(runs), terminator: "")
        }
        if let results { say("wrote the simulated sweep to \(results): sweep rank \(results), sweep report \(results)") }
    }

    /// Each worker slot's time factor, from `--speeds`.
    func timeFactors(_ count: Int) throws -> [Double] {
        guard let speeds else { return [] }
        if let spread = Double(speeds) {
            guard spread >= 1, spread <= 1_000 else {
                throw RunFailure("--speeds \(speeds): a spread is a number from 1 to 1000 (3: factors from 1/3 to 3)",
                                 code: ExitStatus.usage)
            }
            guard count > 1 else { return [1] }
            return (0..<count).map { pow(spread, 2 * Double($0) / Double(count - 1) - 1) }
        }
        guard let text = try? String(contentsOfFile: speeds, encoding: .utf8) else {
            throw RunFailure("--speeds \(speeds) is neither a number nor a readable file", code: ExitStatus.noInput)
        }
        var factors: [Double] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let field = line.trimmingCharacters(in: .whitespaces)
            if field.isEmpty || field.hasPrefix("#") { continue }
            guard let factor = Double(field), factor >= 0.001, factor <= 1_000 else {
                throw RunFailure("\(speeds):\(number + 1): a speed factor is a number from 0.001 to 1000, got '\(field.prefix(40))'",
                                 code: ExitStatus.dataError)
            }
            factors.append(factor)
        }
        guard !factors.isEmpty else { throw RunFailure("\(speeds) lists no speed factor", code: ExitStatus.dataError) }
        return factors
    }
}

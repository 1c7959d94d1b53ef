import Foundation
import ResultsStore
import Scheduling
import SweepCore
import SweepSimulation
import Sweeping

/// `sweep simulate --results DIR`: the simulated sweep's rows written as a real run writes them, in
/// groups of 512 (each group fsync'ed once), so `rank`, `report` and `serve` read the folder.
final class SimulatedResults {
    private let store: ResultStore
    private var batch: [(record: TrialRecord, epochs: [EpochMetrics])] = []
    private var failure: StoreError?
    /// Rows in a group.
    static let group = 512

    /// A new results folder for `spec` (one that holds trials already is refused).
    init(directory: String, spec: SweepSpec) throws {
        if FileManager.default.fileExists(atPath: ResultsDirectory(directory).trials) {
            throw RunFailure("--results \(directory) holds trials already; give a new folder for the simulated sweep",
                             code: ExitStatus.cannotCreate)
        }
        store = try ResultStore(directory: directory, layout: spec.layout, sweep: spec, warn: warn)
        try store.writeSpec(spec.text)
    }

    /// Keeps a row; writes the group when it is full.
    func add(_ record: TrialRecord, epochs: [EpochMetrics]) {
        batch.append((record, epochs))
        if batch.count >= Self.group { flush() }
    }

    private func flush() {
        guard failure == nil, !batch.isEmpty else { return }
        do throws(StoreError) {
            _ = try store.append(contentsOf: batch)
        } catch {
            failure = error
        }
        batch.removeAll(keepingCapacity: true)
    }

    /// Moves the rows of trials recorded past the sweep's end aside (`beyond.csv`), as a real run does.
    func moveBeyondEnd(_ trials: Set<String>) {
        flush()
        guard failure == nil else { return }
        do throws(StoreError) {
            _ = try store.moveAside(trials, to: .beyondEnd)
        } catch {
            failure = error
        }
    }

    /// Writes what is left; throws the first write that failed.
    func finish(_ run: SimulationRun) throws {
        flush()
        if let failure { throw failure }
    }
}

extension SimulationRun {
    struct JSONRun: Encodable {
        var sweep: String, file: String
        var workers: Int, `repeat`: Int, randomSeed: UInt64
        var seconds: Double, epochsTrained: Int, idleShare: Double
        var trials: Int, completed: Int, stopped: Int, attempts: Int
        var standIns: Int, extended: Int, cutShort: Int, deaths: Int, joined: Int
        var inputs: Int, decisions: Int
        var metric: String, goal: String
        var best: JSONBest?
        var curve: [JSONBest]
    }

    struct JSONBest: Encodable {
        var seconds: Double, epochs: Int, trials: Int, value: Double, trial: String
    }

    struct JSONTable: Encodable {
        var directory: String, sweep: String, runs: Int, epochs: Int
    }

    /// Everything a plot needs: each run's figures and its whole any-time curve (one point per new best:
    /// at most one per trial).
    static func json(_ runs: [SimulationRun], table: SimulationTable) -> String {
        func best(_ b: Simulation.Best) -> JSONBest {
            JSONBest(seconds: b.seconds, epochs: b.epochs, trials: b.trials, value: b.value, trial: b.trial)
        }
        let out = runs.map { run in
            JSONRun(sweep: run.spec.name, file: run.path, workers: run.workers, repeat: run.repetition, randomSeed: run.spec.randomSeed,
                    seconds: run.figures.seconds, epochsTrained: run.figures.epochsTrained, idleShare: run.figures.idleShare,
                    trials: run.records, completed: run.completed, stopped: run.stopped, attempts: run.figures.attempts,
                    standIns: run.standIns, extended: run.figures.extended, cutShort: run.figures.cutShort, deaths: run.figures.deaths, joined: run.figures.joined,
                    inputs: run.figures.inputs, decisions: run.figures.decisions,
                    metric: run.spec.metric.name, goal: run.spec.metric.goal.rawValue,
                    best: run.best.map(best), curve: run.curve.map(best))
        }
        let epochs = table.curves.curves.reduce(0) { $0 + $1.epochs.count }
        struct Document: Encodable { var table: JSONTable; var runs: [JSONRun] }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let document = Document(table: JSONTable(directory: table.directory, sweep: table.spec.name, runs: table.curves.curves.count,
                                                 epochs: epochs), runs: out)
        return (try? String(decoding: encoder.encode(document), as: UTF8.self)) ?? "{}"
    }
}

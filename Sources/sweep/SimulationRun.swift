import Foundation
import ResultsStore
import Scheduling
import SweepCore
import SweepFiles
import SweepSimulation
import Sweeping
import Training

/// The table `sweep simulate` replays: a results folder's recorded curves.
struct SimulationTable {
    /// Where it was read from.
    let directory: String
    /// The sweep that recorded it.
    let spec: SweepSpec
    /// Its curves.
    let curves: CurveTable

    /// The shipped table, when run from the repository.
    static let shipped = "docs/results/simulation-table"

    /// Reads the folder (`--table`, or the shipped table).
    static func load(_ path: String?) throws -> SimulationTable {
        let directory = path ?? shipped
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunFailure(path == nil
                ? "give --table: a results folder whose trials.csv and epochs.csv hold the curves to replay "
                    + "(the repository ships \(shipped); Scripts/make-table records it again)"
                : "--table \(directory) is not a results folder", code: ExitStatus.noInput)
        }
        guard let spec = SweepSpec.stored(in: directory) else {
            throw RunFailure("--table \(directory) holds no sweep.yaml: give a folder that sweep run wrote", code: ExitStatus.noInput)
        }
        let layout = RecordLayout(stored: spec)
        let folder = ResultsDirectory(directory)
        var warnings = 0
        let records = try ResultStore.readTrials(folder.trials, layout: layout) { _ in warnings += 1 }
        let curves = CurveTable(records: records, epochs: ResultStore.readEpochs(folder.epochs(layout), layout: layout))
        guard !curves.curves.isEmpty else {
            throw RunFailure("--table \(directory) holds no recorded epochs to replay", code: ExitStatus.dataError)
        }
        if warnings > 0 { warn("--table \(directory): \(warnings) rows of trials.csv could not be read and are left out") }
        return SimulationTable(directory: directory, spec: spec, curves: curves)
    }

    /// The most epochs a trial of `spec` runs, when the sweep file says (nil: not known).
    static func longestTrial(_ spec: SweepSpec) -> Int? {
        guard let parameter = spec.parameters.first(where: { $0.name == "epochs" }) else { return TrainingConfig().epochs }
        switch parameter.domain {
        case .values(let choices, _):
            return choices.compactMap { if case .int(let n) = $0.value { n } else { nil } }.max()
        case .distribution(let distribution):
            let high = distribution.support.high
            return high.isFinite && high < 1e9 ? Int(high) : nil
        }
    }

    /// One line about the table.
    var summary: String {
        let epochs = curves.curves.reduce(0) { $0 + $1.epochs.count }
        let longest = curves.curves.map(\.epochs.count).max() ?? 0
        return "table \(directory): \(curves.curves.count) recorded runs of sweep \(spec.name), \(epochs) epochs (longest \(longest))"
    }

    /// How often simulated workers and the scheduler beat: as `sweep run` (1 s), or a tenth of the
    /// table's median epoch if that is longer, so that simulating hours of minute-long epochs costs
    /// beats in proportion to the epochs, not to the seconds (a dead worker is then found within
    /// about a third of an epoch, not three seconds).
    /// `fastest`: the smallest worker time factor.
    func heartbeat(fastest: Double) -> Duration {
        var seconds = curves.curves.flatMap { $0.epochs.map(\.seconds) }.filter { $0.isFinite && $0 > 0 }
        guard !seconds.isEmpty else { return .seconds(1) }
        seconds.sort()
        return .seconds(min(max(1, seconds[seconds.count / 2] * fastest / 10), 3_600))
    }

    /// Why `spec` cannot be simulated on this table, if it cannot.
    func problem(with spec: SweepSpec) -> String? {
        if spec.method == .pbt {
            return "method pbt cannot be simulated: a stretch's curve depends on the weights it continues from, "
                + "which no recorded curve holds"
        }
        if let runner = curves.runner, runner != spec.layout.runner {
            return "the sweep is run by \(spec.layout.runner == .trainer ? "the built-in trainer" : "a program"), the table's "
                + "trials by \(runner == .trainer ? "the built-in trainer" : "a program"): their curves are not comparable"
        }
        if spec.layout.runner == .trainer, let longest = curves.longestComplete, let wanted = Self.longestTrial(spec), wanted > longest {
            return "its trials run up to \(wanted) epochs, but the table's longest complete curve has \(longest): "
                + "record a longer table, or simulate fewer epochs"
        }
        if spec.layout.runner != .trainer {
            let names = Set(curves.curves.flatMap { $0.epochs.first.map { Array($0.extra.keys) } ?? [] })
            for metric in spec.objectives.metrics.map(\.name) where !names.contains(metric) && !Metric.timed.contains(metric) {
                return "the table's curves have no metric \(metric) (they have \(names.sorted().joined(separator: ", ")))"
            }
        }
        return nil
    }
}

/// One simulated sweep: the simulation and what it found.
struct SimulationRun {
    let path: String
    let spec: SweepSpec
    let workers: Int
    let repetition: Int
    let figures: Simulation.Figures
    let curve: [Simulation.Best]
    let records: Int, completed: Int, stopped: Int
    let standIns: Int
    let outcome: SweepOutcome
    let recordedSeconds: Double

    init(path: String, spec: SweepSpec, workers: Int, repeat k: Int, table: SimulationTable, options: Simulation.Options,
         writer: SimulatedResults?) {
        var simulation = Simulation(spec, source: .table(table.curves.lookup(for: spec.space)), options: options)
        if let writer {
            simulation.onRecord = { writer.add($0, epochs: $1) }
            simulation.onMoveBeyondEnd = { writer.moveBeyondEnd($0) }
        }
        let records = simulation.run()
        self.path = path
        self.spec = spec
        self.workers = workers
        repetition = k
        figures = simulation.figures
        curve = simulation.curve  // computed: made once here
        self.records = records.count
        completed = records.filter { $0.status == .completed }.count
        stopped = records.filter { $0.status == .stopped }.count
        standIns = simulation.standIns.count
        outcome = simulation.harness.scheduler.outcome
        recordedSeconds = records.reduce(0) { $0 + $1.seconds }
    }

    /// `spec` with `k` added to its `random_seed`, read again from its text (the space draws with it).
    static func reseeded(_ spec: SweepSpec, adding k: UInt64, path: String) throws -> SweepSpec {
        let seed = spec.randomSeed &+ k
        var lines = spec.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let index = lines.firstIndex(where: { $0.hasPrefix("random_seed:") }) {
            lines[index] = "random_seed: \(seed)"
        } else {
            lines.append("random_seed: \(seed)")
        }
        return try SweepSpec(yaml: lines.joined(separator: "\n"), file: path)
    }

    var label: String { "\(spec.name), \(workers) worker\(workers == 1 ? "" : "s")" + (repetition > 0 ? ", repeat \(repetition)" : "") }

    /// The best value found, if any trial completed with one.
    var best: Simulation.Best? { curve.last }

    /// The block `sweep simulate` prints for this run.
    var text: String {
        let metric = spec.metric.name
        var lines = ["\(label): \(records) trials (\(completed) completed, \(stopped) stopped), \(figures.epochsTrained) epochs "
                     + "trained in \(Self.clock(figures.seconds)) simulated; idle \(Self.percent(figures.idleShare))"]
        if let best {
            lines.append("  best \(metric) \(DisplayNumber.number(best.value)) (trial \(best.trial)) after \(Self.clock(best.seconds)), "
                         + "\(best.epochs) epochs, \(best.trials) trials")
        } else {
            lines.append("  no trial completed with a finite \(metric)")
        }
        if standIns > 0 {
            lines.append("  \(standIns) of \(figures.trials) trials started replayed the nearest recorded configuration's curve")
        }
        if figures.extended > 0 {
            lines.append("  \(figures.extended) trials ran past the end of their own curve (recorded shorter), "
                         + "on the nearest longer one's")
        }
        if figures.cutShort > 0 {
            lines.append("  \(figures.cutShort) trials ran further than any recorded curve: each ended where its curve did")
        }
        if figures.stalled {
            lines.append("  stalled after \(Self.clock(figures.seconds)): every worker died and none rejoined (--rejoin); "
                         + "\(records) trials recorded by then")
        }
        if figures.deaths > 0 {
            let joined = figures.joined - workers
            lines.append("  \(figures.deaths) worker\(figures.deaths == 1 ? "" : "s") died, \(joined) joined in their place")
        }
        if !curve.isEmpty {
            lines.append("  any-time curve:  time       epochs  trials  best \(metric)")
            for point in Self.thinned(curve, to: 12) {
                lines.append("                   " + Self.pad(Self.clock(point.seconds), 9) + "  " + Self.pad(String(point.epochs), 6, right: true)
                             + "  " + Self.pad(String(point.trials), 6, right: true) + "  " + DisplayNumber.number(point.value))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Several runs side by side.
    static func comparison(_ runs: [SimulationRun]) -> String {
        let metric = runs[0].spec.metric.name
        let header = ["sweep", "workers", "trials", "epochs", "time", "idle", "best \(metric)", "at"]
        var rows = runs.map { run in
            [run.spec.name + (run.repetition > 0 ? " #\(run.repetition)" : ""), String(run.workers), String(run.records),
             String(run.figures.epochsTrained), clock(run.figures.seconds), percent(run.figures.idleShare),
             run.best.map { DisplayNumber.number($0.value) } ?? "–", run.best.map { clock($0.seconds) } ?? "–"]
        }
        rows.insert(header, at: 0)
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = "\n" + rows.map { row in
            row.enumerated().map { pad($1, widths[$0], right: $0 > 0) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
        // Repeats: what the method finds, and how long it takes, as mean ± sd over the random seeds.
        var groups: [(key: String, runs: [SimulationRun])] = []
        for run in runs where run.repetition > 0 || runs.contains(where: { $0.repetition > 0 }) {
            let key = "\(run.path)\u{0}\(run.workers)"
            if let index = groups.firstIndex(where: { $0.key == key }) { groups[index].runs.append(run) } else { groups.append((key, [run])) }
        }
        if !groups.isEmpty { text += "\n" }
        for (_, group) in groups where group.count > 1 {
            let best = spread(group.compactMap { $0.best?.value }), time = spread(group.map(\.figures.seconds))
            let epochs = spread(group.map { Double($0.figures.epochsTrained) })
            text += "\(group[0].spec.name), \(group[0].workers) workers, \(group.count) repeats: best \(metric) "
                + "\(best.mean.map { DisplayNumber.number($0) } ?? "–") ± \(best.sd.map { DisplayNumber.number($0) } ?? "–"), "
                + "time \(clock(time.mean ?? 0)) ± \(clock(time.sd ?? 0)), epochs \(Int((epochs.mean ?? 0).rounded()))\n"
        }
        return text
    }

    /// The mean and sample standard deviation of `values`.
    static func spread(_ values: [Double]) -> (mean: Double?, sd: Double?) {
        guard !values.isEmpty else { return (nil, nil) }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, nil) }
        return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot())
    }

    /// At most `count` points of `curve`, evenly spread, always with its first and last.
    static func thinned(_ curve: [Simulation.Best], to count: Int) -> [Simulation.Best] {
        guard curve.count > count else { return curve }
        return (0..<count).map { curve[$0 * (curve.count - 1) / (count - 1)] }
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }

    static func percent(_ share: Double) -> String { String(format: "%.0f %%", share * 100) }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let gap = String(repeating: " ", count: max(0, width - text.count))
        return right ? gap + text : text + gap
    }
}

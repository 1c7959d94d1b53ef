import Sweeping
import Training
import SweepCore

/// Recorded learning curves, looked up by configuration: what a simulated worker "trains". A trial
/// replays the curve of its own configuration when the table holds one; otherwise the curve of the
/// nearest recorded configuration in the sweep's own distance (`SpaceDistance`), a stand-in that is
/// counted and named. Built from any results folder's `trials.csv` and `epochs.csv`/`metrics.csv`.
public struct CurveTable: Sendable {
    /// One recorded run: its configuration, its epochs and how it ended.
    public struct Curve: Sendable {
        /// What was trained.
        public var point: TrialPoint
        /// Its epochs, in order, with their recorded seconds.
        public var epochs: [EpochMetrics]
        /// How it ended (a `stopped` curve is short: it can stand in only as far as it goes).
        public var status: TrainingResult.Status
        /// Why it failed, if it did.
        public var reason: String?

        /// A recorded run.
        public init(point: TrialPoint, epochs: [EpochMetrics], status: TrainingResult.Status, reason: String? = nil) {
            self.point = point
            self.epochs = epochs
            self.status = status
            self.reason = reason
        }
    }

    /// What a simulated trial trains: the epochs it will report, in order, and how the run ends.
    public struct Replay: Sendable {
        /// The epochs, numbered from 1.
        public var epochs: [EpochMetrics]
        /// How the run ends after its last epoch (`completed`, `diverged` or `failed`).
        public var status: TrainingResult.Status
        /// Why it failed, if it did.
        public var reason: String?
        /// The recorded configuration whose curve this is, when it is not the trial's own.
        public var standIn: TrialPoint?
        /// The trial's own curve was recorded shorter than it runs (a trial stopped early where the
        /// table was recorded); the rest comes from `standIn`.
        public var extended: Bool
        /// No recorded curve goes as far as the trial runs: it ends where its curve ends.
        public var cutShort = false
    }

    /// The runs, in the order recorded.
    public let curves: [Curve]
    /// Which runner's trials the table holds.
    public let runner: RunnerKind?
    private let exact: [[String: ParameterValue]: Int]

    /// A table of these runs (for each configuration recorded more than once, the longest is used).
    public init(_ curves: [Curve]) {
        self.curves = curves
        runner = curves.first?.point.runner
        var exact: [[String: ParameterValue]: Int] = [:]
        for (index, curve) in curves.enumerated() {
            let key = CurveTable.key(curve.point)
            if let known = exact[key], curves[known].epochs.count >= curve.epochs.count { continue }
            exact[key] = index
        }
        self.exact = exact
    }

    /// A table of what a results folder recorded: each record with its epochs (records without any are
    /// passed over: a trial that failed before its first epoch has no curve).
    public init(records: [TrialRecord], epochs: [String: [EpochMetrics]]) {
        self.init(records.compactMap { record -> Curve? in
            guard let recorded = epochs[record.id], !recorded.isEmpty else { return nil }
            let status: TrainingResult.Status = switch record.status {
            case .completed: .completed
            case .diverged: .diverged
            case .stopped: .stopped
            default: .failed
            }
            return Curve(point: record.point.with(lineage: nil), epochs: recorded, status: status,
                         reason: record.reason.isEmpty ? nil : record.reason)
        })
    }

    /// A configuration's identity in the table: its values, but not how many epochs it ran.
    /// The built-in trainer's configurations are compared whole (a hyperparameter left out is its
    /// default), so a table recorded with other columns still matches.
    static func key(_ point: TrialPoint) -> [String: ParameterValue] {
        var key: [String: ParameterValue] = [:]
        for pair in point.trainingConfig?.namedValues ?? point.values where pair.key != "epochs" { key[pair.key] = pair.value }
        return key
    }

    /// Whether the table holds `point`'s own configuration.
    public func holds(_ point: TrialPoint) -> Bool { exact[CurveTable.key(point)] != nil }

    /// The table as a sweep of `space` looks into it: each curve's coordinates worked out once.
    public func lookup(for space: TrialSpace) -> Lookup {
        let distance = SpaceDistance(space)
        return Lookup(table: self, distance: distance, places: curves.map { distance.coordinates($0.point) })
    }

    /// The table seen through one space's distance.
    public struct Lookup: Sendable {
        /// The table.
        public let table: CurveTable
        let distance: SpaceDistance
        let places: [[SpaceDistance.Coordinate]]

        /// The run `point` replays (`wanted` epochs, or the curve's own length if nil: a program's runs
        /// end when its curve does): its own curve, or the nearest one as a stand-in.
        public func replay(_ point: TrialPoint, epochs wanted: Int?) -> Replay? {
            table.replay(point, epochs: wanted, nearest: { nearest(point, epochs: wanted, longerThan: $0, excluding: $1) })
        }

        /// The recorded configuration nearest `point` among curves that reach `epochs` (`reaches`) and
        /// are longer than `longerThan`, or among all if none does; ties go to the earlier recorded.
        func nearest(_ point: TrialPoint, epochs: Int?, longerThan: Int, excluding: Int?) -> Int? {
            let here = distance.coordinates(point)
            var best: (index: Int, distance: Double, long: Bool)?
            for (index, curve) in table.curves.enumerated() where index != excluding {
                let long = CurveTable.reaches(curve, epochs) && curve.epochs.count > longerThan
                let d = distance.between(here, places[index])
                if let current = best {
                    if current.long && !long { continue }
                    if current.long == long && d >= current.distance { continue }
                }
                best = (index, d, long)
            }
            return best?.index
        }
    }

    /// Whether `curve` can give a trial `wanted` epochs (nil: a program's whole run): it is that long,
    /// or it ended on its own (diverged, failed); for a program, it ran to its end (was not stopped).
    static func reaches(_ curve: Curve, _ wanted: Int?) -> Bool {
        if curve.status == .diverged || curve.status == .failed { return true }
        guard let wanted else { return curve.status != .stopped }
        return curve.epochs.count >= wanted
    }

    /// The longest curve that ran to its end (nil: none did).
    public var longestComplete: Int? { curves.filter { $0.status == .completed }.map(\.epochs.count).max() }

    func replay(_ point: TrialPoint, epochs wanted: Int?, nearest: (_ longerThan: Int, _ excluding: Int?) -> Int?) -> Replay? {
        if let own = exact[CurveTable.key(point)] {
            let curve = curves[own]
            if CurveTable.reaches(curve, wanted) { return Replay(curve, wanted: wanted, standIn: nil, extended: false) }
            // Recorded shorter than it runs here (stopped early, or a shorter run): its own epochs
            // first, then those of the nearest curve that goes further.
            let mine = curve.epochs.count
            guard let other = nearest(mine, own), CurveTable.reaches(curves[other], wanted), curves[other].epochs.count > mine else {
                var replay = Replay(curve, wanted: wanted, standIn: nil, extended: false)
                replay.cutShort = true
                return replay
            }
            var replay = Replay(curves[other], wanted: wanted, standIn: curves[other].point, extended: true)
            replay.epochs.replaceSubrange(0..<mine, with: curve.epochs)
            for index in replay.epochs.indices { replay.epochs[index].epoch = index + 1 }
            return replay
        }
        guard let other = nearest(0, nil) else { return nil }
        var replay = Replay(curves[other], wanted: wanted, standIn: curves[other].point, extended: false)
        replay.cutShort = !CurveTable.reaches(curves[other], wanted)
        return replay
    }
}

extension CurveTable.Replay {
    /// `curve` cut (or as long as it goes) to `wanted` epochs.
    init(_ curve: CurveTable.Curve, wanted: Int?, standIn: TrialPoint?, extended: Bool) {
        let count = wanted.map { min($0, curve.epochs.count) } ?? curve.epochs.count
        epochs = Array(curve.epochs.prefix(count))
        for index in epochs.indices { epochs[index].epoch = index + 1 }
        // A run that ended on its own (diverged, failed) before `wanted` ends so again; one cut short
        // of where it diverged completed its epochs.
        let endedEarly = count == curve.epochs.count && (curve.status == .diverged || curve.status == .failed)
        status = endedEarly ? curve.status : .completed
        reason = endedEarly ? curve.reason : nil
        self.standIn = standIn
        self.extended = extended
    }
}

/// Distance between configurations as the sweep sees its space: each parameter contributes the gap
/// between the two values' percentiles under its distribution (so a log-uniform learning rate is
/// measured in decades, as the search draws it), a listed number its gap over the list's range, any
/// other listed value 0 or 1; the training seed (a nuisance) and `epochs` are not compared.
public struct SpaceDistance: Sendable {
    private let parameters: [Parameter]
    private let compared: [Int]

    /// The distance of this space.
    public init(_ space: TrialSpace) {
        parameters = space.parameters
        compared = space.parameters.indices.filter { index in
            let name = space.parameters[index].name
            return name != "epochs" && !space.runner.isNuisance(name) && space.parameters[index].varies
        }
    }

    /// A configuration as the distance sees it: each compared parameter's coordinate (nil: absent).
    public func coordinates(_ point: TrialPoint) -> [Coordinate] {
        compared.map { index in
            let parameter = parameters[index]
            guard let value = point[parameter.name]
                    ?? point.trainingConfig?.namedValues.first(where: { $0.key == parameter.name })?.value else { return .absent }
            switch parameter.domain {
            case .distribution(let distribution):
                guard let x = value.number else { return .category(value) }
                let u = distribution.percentile(of: x)
                return u.isFinite ? .position(min(max(u, 0), 1)) : .category(value)
            case .values(let choices, _):
                let numbers = choices.compactMap(\.value.number)
                guard numbers.count == choices.count, let low = numbers.min(), let high = numbers.max(), high > low,
                      let x = value.number else { return .category(value) }
                return .position((x - low) / (high - low))
            }
        }
    }

    /// The Euclidean distance of two configurations' coordinates.
    public func between(_ a: [Coordinate], _ b: [Coordinate]) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) {
            let gap: Double = switch (x, y) {
            case (.position(let u), .position(let v)): u - v
            case (.category(let p), .category(let q)): p == q ? 0 : 1
            case (.absent, .absent): 0
            default: 1
            }
            sum += gap * gap
        }
        return sum.squareRoot()
    }

    /// One parameter's place.
    public enum Coordinate: Sendable, Equatable {
        /// A number's place in 0…1.
        case position(Double)
        /// A value compared only for equality.
        case category(ParameterValue)
        /// Not set.
        case absent
    }
}

extension Parameter {
    /// Whether it takes more than one value (a constant is not compared).
    var varies: Bool {
        if case .values(let choices, _) = domain { return choices.count > 1 }
        return true
    }
}

extension ParameterValue {
    /// The value as a number, if it is one.
    var number: Double? {
        switch self {
        case .real(let x): return x
        case .int(let n): return Double(n)
        default: return nil
        }
    }
}

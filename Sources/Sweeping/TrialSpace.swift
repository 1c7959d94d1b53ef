import Training
import SweepCore

/// The built-in trainer's trials by position, laid out by `PointSpace`.
///
/// A collection of `Trial`s: `space[k]` is trial k, `space.prefix(5)` the first five.
public struct TrialSpace: RandomAccessCollection, Sendable {
    /// The positions' values.
    let points: PointSpace<Parameter>
    /// How trials are chosen.
    public var method: SweepSpec.Method { points.method }
    /// The parameters, in file order.
    public var parameters: [Parameter] { points.parameters }
    /// Seeds random search.
    public var randomSeed: UInt64 { points.randomSeed }
    /// Trial positions: the grid's size or `run_cap`, whichever is smaller (random search: `run_cap`).
    /// Two positions can hold the same configuration (a random draw repeated): it is one trial, run once.
    public var count: Int { points.count }
    /// The grid's full size when it fits in an `Int` (nil for random search, or a grid too big to count).
    public var gridSize: Int? { points.gridSize }

    /// Builds the space; a grid beyond `Int.max` points needs `runCap`.
    init(method: SweepSpec.Method, parameters: [Parameter], randomSeed: UInt64, runCap: Int?) {
        points = PointSpace(method: method, parameters: parameters, randomSeed: randomSeed, runCap: runCap, unbounded: 0)
    }

    /// The configuration at position `index` (0 ≤ index < `count`). It may still fail
    /// `TrainingConfig.validate` in corners the file's checks cannot see; the coordinator records
    /// such a trial as failed with the reason.
    public func config(at index: Int) -> TrainingConfig {
        var config = TrainingConfig()
        let assignments = zip(parameters, points.values(at: index))
        // A grid set its parameters last-first, a draw first-last: kept, so that a name given twice
        // takes the value it always took.
        for (parameter, value) in method == .grid ? Array(assignments.reversed()) : Array(assignments) {
            config[parameter.name] = value
        }
        return config
    }
    /// The trial at position `index`.
    public subscript(index: Int) -> Trial { Trial(config: config(at: index)) }

    /// The first position.
    public var startIndex: Int { 0 }
    /// One past the last position.
    public var endIndex: Int { count }

    /// Whether `config` is one this sweep can produce: every swept hyperparameter takes a value its
    /// parameter admits, and the rest are at their defaults. (For random search, whether it was
    /// actually drawn is not checked: that would mean replaying every draw.)
    public func admits(_ config: TrainingConfig) -> Bool {
        let defaults = TrainingConfig()
        let swept = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in Hyperparameter.allCases {
            if let parameter = swept[name] {
                if !parameter.admits(config[name]) { return false }
            } else if config[name] != defaults[name] {
                return false
            }
        }
        return true
    }
}

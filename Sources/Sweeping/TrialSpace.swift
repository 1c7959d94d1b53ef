import Training
import SweepCore

/// A sweep's trials as a function of their position, never held in memory: a grid point is its
/// index in mixed radix (the last parameter fastest, as W&B's `itertools.product`), a random trial
/// is drawn from a generator seeded by `random_seed` and the index. So a 10¹⁰-point grid costs what
/// a 10-point one does, and trial k is the same on every machine and in every run.
///
/// A collection of `Trial`s: `space[k]` is trial k, `space.prefix(5)` the first five.
public struct TrialSpace: RandomAccessCollection, Sendable {
    /// How trials are chosen.
    public let method: SweepSpec.Method
    /// The parameters, in file order.
    public let parameters: [Parameter]
    /// Seeds random search.
    public let randomSeed: UInt64
    /// Trial positions: the grid's size or `run_cap`, whichever is smaller (random search: `run_cap`).
    /// Two positions can hold the same configuration (a random draw repeated): it is one trial, run once.
    public let count: Int
    /// The grid's full size when it fits in an `Int` (nil for random search, or a grid too big to count).
    public let gridSize: Int?

    /// Builds the space; a grid beyond `Int.max` points needs `runCap`.
    init(method: SweepSpec.Method, parameters: [Parameter], randomSeed: UInt64, runCap: Int?) {
        self.method = method
        self.parameters = parameters
        self.randomSeed = randomSeed
        switch method {
        case .grid:
            let size = TrialSpace.gridSize(parameters.map(\.gridCount))
            gridSize = size
            count = Swift.min(size ?? Int.max, runCap ?? Int.max)
        case .random, .bayes:
            gridSize = nil
            count = runCap ?? 0
        }
    }

    /// The configuration at position `index` (0 ≤ index < `count`). It may still fail
    /// `TrainingConfig.validate` in corners the file's checks cannot see; the coordinator records
    /// such a trial as failed with the reason.
    public func config(at index: Int) -> TrainingConfig {
        var config = TrainingConfig()
        switch method {
        case .grid:
            var rest = index
            for parameter in parameters.reversed() {
                let size = parameter.gridCount ?? 1
                config[parameter.name] = parameter.gridValue(at: rest % size)
                rest /= size
            }
        case .random, .bayes:
            // Bayes proposes its own points once it has results to learn from; these are its first ones.
            var random = SplitMix64(seed: randomSeed, stream: TrialSpace.randomStream, index: UInt64(index))
            for parameter in parameters {
                // One draw per parameter, constants included, so that a parameter's draws do not
                // depend on the forms of the others.
                config[parameter.name] = parameter.value(atPercentile: random.nextOpenUnit())
            }
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

    /// The random stream random search draws from (any fixed number; this one is written "SEED").
    static let randomStream: UInt64 = 0x5EED

    /// The product of the parameters' grid counts (a distribution counts 1), or nil past `Int.max`.
    static func gridSize(_ counts: [Int?]) -> Int? {
        var size = 1
        for count in counts {
            let (product, overflow) = size.multipliedReportingOverflow(by: count ?? 1)
            if overflow { return nil }
            size = product
        }
        return size
    }
}

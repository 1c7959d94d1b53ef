import SweepCore

/// A parameter a sweep's points are laid out over: the built-in trainer's `Parameter` or a program's
/// `ProgramParameter`, which differ only in the values they hold.
public protocol SweptParameter: Sendable {
    /// What it takes: a `HyperparameterValue` or a `ProgramValue`.
    associatedtype Value: Sendable
    /// How many grid points it contributes (nil: a distribution a grid cannot enumerate; it counts 1).
    var gridCount: Int? { get }
    /// The `index`-th grid value.
    func gridValue(at index: Int) -> Value
    /// The value at percentile u ∈ (0, 1) of its distribution (or of its categories).
    func value(atPercentile u: Double) -> Value
    /// Where its values come from: listed ones (`gridValue(at:)` gives each) or a distribution.
    var source: ValueSource { get }
    /// The position of `value` among its listed values (nil if it is not one of them).
    func listedIndex(of value: Value) -> Int?
    /// `value` as a number, for a distribution's percentile (nil if it is not a number).
    func number(of value: Value) -> Double?
}

/// Where a parameter's values come from, whatever they are.
public enum ValueSource: Sendable {
    /// `count` listed values, drawn with these probabilities (nil: equal shares).
    case listed(count: Int, probabilities: [Double]?)
    /// A numeric distribution.
    case distribution(Distribution)
}

/// A sweep's points as a function of their position, never held in memory: a grid point is its
/// index in mixed radix (the last parameter fastest, as W&B's `itertools.product`), a random point
/// is drawn from a generator seeded by `random_seed` and the index (bayes starts from these). So a
/// 10¹⁰-point grid costs what a 10-point one does, and point k is the same on every machine and in
/// every run. The one place both kinds of sweep lay out their trials.
public struct PointSpace<Swept: SweptParameter>: Sendable {
    /// How points are chosen.
    public let method: SweepSpec.Method
    /// The parameters, in file order.
    public let parameters: [Swept]
    /// Seeds random search.
    public let randomSeed: UInt64
    /// Positions: the grid's size or `run_cap`, whichever is smaller (random search: `run_cap`).
    public let count: Int
    /// The grid's full size when it fits in an `Int` (nil for random search, or a grid too big to count).
    public let gridSize: Int?

    /// The space; random search without a `run_cap` has `unbounded` positions.
    init(method: SweepSpec.Method, parameters: [Swept], randomSeed: UInt64, runCap: Int?, unbounded: Int) {
        self.method = method
        self.parameters = parameters
        self.randomSeed = randomSeed
        switch method {
        case .grid:
            let size = PointSpace.gridSize(parameters.map(\.gridCount))
            gridSize = size
            count = Swift.min(size ?? Int.max, runCap ?? Int.max)
        case .random, .bayes:
            gridSize = nil
            count = runCap ?? unbounded
        }
    }

    /// Point `index`'s values, one per parameter in parameter order.
    public func values(at index: Int) -> [Swept.Value] {
        switch method {
        case .grid:
            var values: [Swept.Value] = []
            values.reserveCapacity(parameters.count)
            var rest = index
            for parameter in parameters.reversed() {
                let size = parameter.gridCount ?? 1
                values.append(parameter.gridValue(at: rest % size))
                rest /= size
            }
            return values.reversed()
        case .random, .bayes:
            var random = SplitMix64(seed: randomSeed, stream: randomStream, index: UInt64(index))
            // One draw per parameter, constants included, so that a parameter's draws do not
            // depend on the forms of the others.
            return parameters.map { $0.value(atPercentile: random.nextOpenUnit()) }
        }
    }

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

/// The random stream random search draws from (any fixed number; this one is written "SEED").
let randomStream: UInt64 = 0x5EED

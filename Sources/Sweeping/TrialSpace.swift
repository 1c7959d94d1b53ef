import SweepCore

/// A sweep's trials as a function of their position, never held in memory, whoever runs them: a
/// grid point is its index in mixed radix (the last parameter fastest, as W&B's
/// `itertools.product`), a random point is drawn from a generator seeded by `random_seed` and the
/// index (bayes starts from these). So a 10¹⁰-point grid costs what a 10-point one does, and point k
/// is the same on every machine and in every run.
///
/// A collection of `Trial`s: `space[k]` is trial k, `space.prefix(5)` the first five.
public struct TrialSpace: RandomAccessCollection, Sendable {
    /// Who trains the points.
    public let runner: RunnerKind
    /// How points are chosen.
    public let method: SweepSpec.Method
    /// The parameters, in the sweep's order (a program's flattened, in W&B's sorted order).
    public let parameters: [Parameter]
    /// Seeds random search.
    public let randomSeed: UInt64
    /// Trial positions: the grid's size or `run_cap`, whichever is smaller (random search: `run_cap`,
    /// or without one, as W&B, until it is stopped). Two positions can hold the same point (a random
    /// draw repeated): it is one trial, run once.
    public var count: Int {
        let (sum, overflow) = methodCount.addingReportingOverflow(enqueued.count)
        return Swift.min(overflow ? Int.max : sum, runCap ?? Int.max)
    }
    /// The positions the method fills (the grid's size, or without a cap, every position).
    private let methodCount: Int
    /// `run_cap`.
    private let runCap: Int?
    /// `enqueue:`: points trained first, at positions 0…, under any method; the method's positions follow.
    public package(set) var enqueued: [TrialPoint] = []
    /// The grid's full size when it fits in an `Int` (nil for random search, or a grid too big to count).
    public let gridSize: Int?
    /// The parameters by name (a name given twice: its first), made once for `admits`.
    private let byName: [String: Parameter]

    /// The space; a grid beyond `Int.max` points needs `runCap`.
    package init(runner: RunnerKind, method: SweepSpec.Method, parameters: [Parameter], randomSeed: UInt64, runCap: Int?) {
        self.runner = runner
        self.method = method
        self.parameters = parameters
        self.randomSeed = randomSeed
        self.runCap = runCap
        byName = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        switch method {
        case .grid:
            let size = TrialSpace.gridSize(parameters.map(\.gridCount))
            gridSize = size
            methodCount = size ?? Int.max
        case .random, .bayes, .pbt:
            gridSize = nil
            methodCount = Int.max
        }
    }

    /// Position `index`'s values, one per parameter in parameter order: an enqueued point's, then the
    /// method's (position `enqueued.count` is the method's first, as it would be position 0 without them).
    public func values(at index: Int) -> [ParameterValue] {
        if index < enqueued.count { return parameters.map { enqueued[index][$0.name] ?? .null } }
        let index = index - enqueued.count
        switch method {
        case .grid:
            var values: [ParameterValue] = []
            values.reserveCapacity(parameters.count)
            var rest = index
            for parameter in parameters.reversed() {
                let size = parameter.gridCount ?? 1
                values.append(parameter.gridValue(at: rest % size))
                rest /= size
            }
            return values.reversed()
        case .random, .bayes, .pbt:
            var random = SplitMix64(seed: randomSeed, stream: randomStream, index: UInt64(index))
            // One draw per parameter, constants included, so that a parameter's draws do not
            // depend on the forms of the others.
            return parameters.map { $0.value(atPercentile: random.nextOpenUnit()) }
        }
    }

    /// Position `index`'s values by name, in parameter order.
    public func namedValues(at index: Int) -> [ParameterValue.Pair] {
        zip(parameters, values(at: index)).map { ParameterValue.Pair($0.name, $1) }
    }

    /// The point at position `index` (0 ≤ index < `count`). A trainer's may still fail
    /// `TrainingConfig.validate` in corners the file's checks cannot see; the coordinator records
    /// such a trial as failed with the reason.
    public func point(at index: Int) -> TrialPoint {
        index < enqueued.count ? enqueued[index] : runner.point(namedValues(at: index), method: method)
    }

    /// The point `values` (one per parameter, in parameter order) make.
    public func point(_ values: [ParameterValue]) -> TrialPoint {
        runner.point(zip(parameters, values).map { ParameterValue.Pair($0.name, $1) }, method: method)
    }

    /// Whether `point` is one this sweep can produce (`RunnerKind.admits`).
    public func admits(_ point: TrialPoint) -> Bool { runner.admits(point, parameters: parameters, byName: byName) }

    /// The trial at position `index`.
    public subscript(index: Int) -> Trial { Trial(point: point(at: index)) }

    /// The first position.
    public var startIndex: Int { 0 }
    /// One past the last position.
    public var endIndex: Int { count }

    /// The product of the parameters' grid counts (a distribution counts 1), or nil past `Int.max`.
    package static func gridSize(_ counts: [Int?]) -> Int? {
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

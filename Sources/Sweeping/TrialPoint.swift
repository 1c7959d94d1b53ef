import SweepCore

/// A trial: a point of named values. Which runner trains it (the built-in trainer or the sweep's
/// program) is its `runner`, and the runner's rules give its canonical text, so that ids recorded
/// by earlier releases stay what they were (`RunnerKind.canonicalKey`).
public struct TrialPoint: Hashable, Sendable {
    /// Who trains it.
    public let runner: RunnerKind
    /// Its values by name: the built-in trainer's every hyperparameter, in `Hyperparameter` order; a
    /// program's flattened parameters (`optimizer.lr`), in the sweep's (W&B's sorted) order.
    public let values: [ParameterValue.Pair]

    /// The point of `values`, as `runner` made it (`RunnerKind.point`, `TrialPoint(config:)`).
    init(runner: RunnerKind, values: [ParameterValue.Pair]) {
        self.runner = runner
        self.values = values
    }

    /// The value called `name`, if the point has one.
    public subscript(name: String) -> ParameterValue? { values.first { $0.key == name }?.value }

    /// The epochs it runs to, when known in advance (a program runs until it exits).
    public var epochs: Int? { runner.epochs(of: self) }

    /// Its stable id: 16 hex digits of the FNV-1a 64-bit hash of its canonical text.
    public var id: String { TrialPoint.hash(canonicalKey) }

    /// Equal points give equal text on every machine (see `RunnerKind.canonicalKey`).
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed, to group repeats of one configuration.
    public func canonicalKey(includingSeed: Bool) -> String { runner.canonicalKey(of: self, includingSeed: includingSeed) }

    /// Hashes the values only: equal points have equal values, and hashing the names too would only
    /// cost time (the scheduler hashes a point for every trial it hands out).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(runner)
        for pair in values { hasher.combine(pair.value) }
    }

    /// 16 hex digits of the FNV-1a 64-bit hash of `text`.
    public static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

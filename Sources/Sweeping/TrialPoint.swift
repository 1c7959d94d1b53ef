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
    /// In population-based training, which member's stretch it is and what it continues; nil otherwise.
    public let lineage: Lineage?

    /// The point of `values`, as `runner` made it (`RunnerKind.point`, `TrialPoint(config:)`).
    init(runner: RunnerKind, values: [ParameterValue.Pair], lineage: Lineage? = nil) {
        self.runner = runner
        self.values = values
        self.lineage = lineage
    }

    /// This point as the stretch `lineage` of population-based training.
    public func with(lineage: Lineage?) -> TrialPoint { TrialPoint(runner: runner, values: values, lineage: lineage) }

    /// The value called `name`, if the point has one.
    public subscript(name: String) -> ParameterValue? { values.first { $0.key == name }?.value }

    /// The epochs it runs to, when known in advance (a program runs until it exits).
    public var epochs: Int? { runner.epochs(of: self) }

    /// Its stable id: 16 hex digits of the FNV-1a 64-bit hash of its canonical text.
    public var id: String { TrialPoint.hash(canonicalKey) }

    /// Equal points give equal text on every machine (see `RunnerKind.canonicalKey`).
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed, to group repeats of one configuration.
    /// A stretch of population-based training adds its lineage, so that two stretches with the same
    /// values (a member kept as it was, say) are two trials.
    public func canonicalKey(includingSeed: Bool) -> String {
        runner.canonicalKey(of: self, includingSeed: includingSeed) + (lineage.map { ";" + $0.canonicalText } ?? "")
    }

    /// Hashes the values only: equal points have equal values, and hashing the names too would only
    /// cost time (the scheduler hashes a point for every trial it hands out).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(runner)
        hasher.combine(lineage)
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

/// Where a stretch of population-based training stands: the member it belongs to, its generation
/// (0 for the first stretch), and the trial whose final checkpoint it continues from (the member's own
/// previous stretch, or the one it copied; nil in generation 0, which starts from scratch).
public struct Lineage: Hashable, Sendable {
    /// The member, 0-based.
    public var member: Int
    /// The stretch's generation, 0-based.
    public var generation: Int
    /// The trial it continues from.
    public var parent: String?

    /// A lineage.
    public init(member: Int, generation: Int, parent: String?) {
        self.member = member
        self.generation = generation
        self.parent = parent
    }

    /// Its part of the trial's canonical text.
    var canonicalText: String { "pbt=\(member)/\(generation)/\(parent ?? "-")" }
}

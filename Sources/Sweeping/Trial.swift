import Training

/// One point of a sweep: a configuration and its stable id.
public struct Trial: Hashable, Sendable {
    /// Stable across machines and runs: a hash of the canonical configuration.
    public let id: String
    /// What to train.
    public let config: TrainingConfig

    /// The trial for `config`.
    public init(config: TrainingConfig) {
        self.config = config
        self.id = config.trialID
    }
}

extension TrainingConfig {
    /// Every hyperparameter as `key=value`, in a fixed order, numbers in Swift's shortest round-trip
    /// form: equal configs give equal strings on every machine. Data limits appear only when set.
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed (to group repeats of one configuration).
    public func canonicalKey(includingSeed: Bool) -> String {
        var parts = [
            "augment=\(augment.rawValue)", "batch_size=\(batchSize)", "dropout=\(dropout)", "epochs=\(epochs)",
            "hidden=\(hidden.map(String.init).joined(separator: ","))", "l1=\(l1)", "learning_rate=\(learningRate)",
            "max_norm=\(maxNorm)", "momentum=\(momentum)", "nesterov=\(nesterov)",
        ]
        if includingSeed { parts.append("seed=\(seed)") }
        if let testLimit { parts.append("test_limit=\(testLimit)") }
        if let trainLimit { parts.append("train_limit=\(trainLimit)") }
        parts.append("weight_decay=\(weightDecay)")
        return parts.joined(separator: ";")
    }

    /// 16 hex digits of the FNV-1a 64-bit hash of `canonicalKey`.
    public var trialID: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in canonicalKey.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

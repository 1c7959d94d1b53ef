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
    /// Every hyperparameter as `key=value`, sorted by key, in `HyperparameterValue`'s canonical text:
    /// equal configs give equal strings on every machine. Data limits appear only when set.
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed (to group repeats of one configuration).
    public func canonicalKey(includingSeed: Bool) -> String {
        TrainingConfig.keyOrder.compactMap { parameter -> String? in
            if parameter == .seed && !includingSeed { return nil }
            let value = self[parameter]
            if !parameter.inCanonicalKeyAtDefault && value == TrainingConfig()[parameter] { return nil }
            return "\(parameter.rawValue)=\(value)"
        }.joined(separator: ";")
    }

    private static let keyOrder = Hyperparameter.allCases.sorted { $0.rawValue < $1.rawValue }

    /// 16 hex digits of the FNV-1a 64-bit hash of `canonicalKey`.
    public var trialID: String { Trial.hash(canonicalKey) }
}

extension Trial {
    /// 16 hex digits of the FNV-1a 64-bit hash of `text`: a trial id.
    static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

import Training
import SweepCore

/// What a trial trains: the built-in MLP's configuration, or a program's parameter values.
public enum TrialPoint: Hashable, Sendable {
    /// The built-in trainer's configuration.
    case model(TrainingConfig)
    /// A program's values, flattened (`optimizer.lr`), in the sweep's parameter order.
    case program([ProgramValue.Pair])

    /// The built-in trainer's configuration, if this is one.
    public var model: TrainingConfig? {
        if case .model(let config) = self { return config }
        return nil
    }

    /// A program's values, if this is one.
    public var programValues: [ProgramValue.Pair]? {
        if case .program(let values) = self { return values }
        return nil
    }

    /// The epochs it runs to, when known in advance (a program runs until it exits).
    public var epochs: Int? { model?.epochs }

    /// Its stable id: 16 hex digits of the FNV-1a 64-bit hash of its canonical text.
    public var id: String { TrialPoint.hash(canonicalKey) }

    /// Equal points give equal text on every machine: the model's `key=value` list, or a program's
    /// `name=json` list sorted by name.
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed (a program's parameter called `seed`), to group
    /// repeats of one configuration.
    public func canonicalKey(includingSeed: Bool) -> String {
        switch self {
        case .model(let config): return config.canonicalKey(includingSeed: includingSeed)
        case .program(let values):
            return values.filter { includingSeed || $0.key != "seed" }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value.jsonText)" }.joined(separator: ";")
        }
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

extension TrainingConfig {
    /// Every hyperparameter as `key=value`, sorted by key, in `HyperparameterValue`'s canonical text:
    /// equal configs give equal strings on every machine. Data limits appear only when set.
    public var canonicalKey: String { canonicalKey(includingSeed: true) }

    /// `canonicalKey`, optionally without the seed (to group repeats of one configuration).
    public func canonicalKey(includingSeed: Bool) -> String {
        TrainingConfig.keyOrder.compactMap { parameter -> String? in
            if parameter == .seed && !includingSeed { return nil }
            let value = self[parameter]
            if !parameter.inCanonicalKeyAtDefault && value == TrainingConfig.defaults[parameter] { return nil }
            return "\(parameter.rawValue)=\(value)"
        }.joined(separator: ";")
    }

    private static let keyOrder = Hyperparameter.allCases.sorted { $0.rawValue < $1.rawValue }

    /// The default config, made once (ids are computed for every trial handed out).
    static let defaults = TrainingConfig()

    /// 16 hex digits of the FNV-1a 64-bit hash of `canonicalKey`.
    public var trialID: String { TrialPoint.hash(canonicalKey) }
}

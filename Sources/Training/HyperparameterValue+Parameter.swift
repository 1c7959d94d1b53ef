import SweepCore

// The built-in trainer's side of a trial's named values: a sweep hands every runner the same
// `ParameterValue`s, and the trainer reads its typed hyperparameters from them.

extension HyperparameterValue {
    /// This value as a sweep parameter's value: reals and whole numbers as themselves, flags as
    /// booleans, names (augmentation, optimizer, a teacher's path) as strings, widths as a list of
    /// whole numbers, an unset value as null.
    public var parameterValue: ParameterValue {
        switch self {
        case .real(let x): return .real(x)
        case .whole(let n): return .int(n)
        case .flag(let b): return .bool(b)
        case .augmentation(let a): return .string(a.rawValue)
        case .optimizer(let o): return .string(o.rawValue)
        case .text(let t): return .string(t)
        case .widths(let w): return .list(w.map(ParameterValue.int))
        case .unset: return .null
        }
    }
}

extension Hyperparameter {
    /// `value` read as this hyperparameter's kind, or nil if it is not one (a whole number is one
    /// where a real goes, as `TrainingConfig`'s subscript takes it).
    public func value(_ value: ParameterValue) -> HyperparameterValue? {
        switch (kind, value) {
        case (_, .null) where isOptional: return .unset
        case (.real, .real(let x)): return .real(x)
        case (.real, .int(let n)), (.whole, .int(let n)): return .whole(n)
        case (.flag, .bool(let b)): return .flag(b)
        case (.augmentation, .string(let s)): return Augmentation(rawValue: s).map(HyperparameterValue.augmentation)
        case (.optimizer, .string(let s)): return OptimizerKind(rawValue: s).map(HyperparameterValue.optimizer)
        case (.path, .string(let s)): return .text(s)
        case (.widths, .list(let items)):
            var widths: [Int] = []
            for item in items {
                guard case .int(let width) = item else { return nil }
                widths.append(width)
            }
            return .widths(widths)
        default: return nil
        }
    }
}

extension TrainingConfig {
    /// Every hyperparameter's value by name, in `Hyperparameter`'s order: the config as a trial's point.
    public var namedValues: [ParameterValue.Pair] {
        Hyperparameter.allCases.map { ParameterValue.Pair($0.rawValue, self[$0].parameterValue) }
    }
}

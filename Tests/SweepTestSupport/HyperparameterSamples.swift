import Training

/// For each hyperparameter, a valid configuration in which it is away from its default, made from its
/// row (kind and range) alone, so that a hyperparameter added to the table is covered by the
/// table-driven tests without editing them.
public enum HyperparameterSamples {
    /// A value of `parameter`'s kind, within its range, that is not its default.
    public static func value(_ parameter: Hyperparameter) -> HyperparameterValue {
        let current = TrainingConfig()[parameter]
        switch parameter.kind {
        case .real:
            let bounds = parameter.bounds!
            return [0.3, 0.7, 2.5, 0.05, 40].map(HyperparameterValue.real)
                .first { $0 != current && bounds.contains($0.number!) }!
        case .whole:
            let bounds = parameter.bounds!
            return [3, 7, 500, 1].map(HyperparameterValue.whole)
                .first { $0 != current && bounds.contains($0.number!) }!
        case .flag:
            return .flag(current != .flag(true))
        case .augmentation:
            return .augmentation(Augmentation.allCases.first { .augmentation($0) != current }!)
        case .optimizer:
            return .optimizer(OptimizerKind.allCases.first { .optimizer($0) != current }!)
        case .path:
            return .text("teacher-\(parameter.rawValue).safetensors")
        case .widths:
            return .widths([24, 12])
        }
    }

    /// Configurations that make a single value valid where the defaults do not (Nesterov needs
    /// momentum, `centered` needs RMSprop, a distillation weight needs a teacher): the first that
    /// admits the value is used. A new rule between hyperparameters may need one more here.
    public static let contexts: [TrainingConfig] = {
        var momentum = TrainingConfig(), rmsprop = TrainingConfig(), teacher = TrainingConfig()
        momentum.momentum = 0.9
        rmsprop.optimizer = .rmsprop
        teacher.teacher = "teacher.safetensors"
        return [TrainingConfig(), momentum, rmsprop, teacher]
    }()

    /// A valid configuration with `parameter` at `value(parameter)`, or nil if no context admits it.
    public static func config(_ parameter: Hyperparameter) -> TrainingConfig? {
        for var config in contexts {
            config[parameter] = value(parameter)
            if config[parameter] == value(parameter), (try? config.validate()) != nil { return config }
        }
        return nil
    }
}

// TrainingConfig's stored properties are declared in Hyperparameter.swift, beside the table whose
// rows describe them; what is derived from the rows is here.

extension TrainingConfig {
    /// One hyperparameter's value, read or written where its row in `Hyperparameter` says it is kept.
    /// Writing a value of the wrong kind is ignored (`Hyperparameter.check` refuses it first).
    public subscript(_ parameter: Hyperparameter) -> HyperparameterValue {
        get { parameter.value(in: self) }
        set {
            switch (parameter.row.storage, newValue) {
            case (.real(let path), .real(let x)): self[keyPath: path] = x
            // Whole numbers are fine where reals go (W&B's int_uniform on a learning rate).
            case (.real(let path), .whole(let n)): self[keyPath: path] = Double(n)
            case (.whole(let path), .whole(let n)): self[keyPath: path] = n
            case (.seed(let path), .whole(let n)): self[keyPath: path] = UInt64(truncatingIfNeeded: n)
            case (.limit(let path), .whole(let n)): self[keyPath: path] = n
            case (.limit(let path), .unset): self[keyPath: path] = nil
            case (.flag(let path), .flag(let b)): self[keyPath: path] = b
            case (.augmentation(let path), .augmentation(let a)): self[keyPath: path] = a
            case (.optimizer(let path), .optimizer(let o)): self[keyPath: path] = o
            case (.path(let path), .text(let t)): self[keyPath: path] = t
            case (.path(let path), .unset): self[keyPath: path] = nil
            case (.widths(let path), .widths(let w)): self[keyPath: path] = w
            default: break
            }
        }
    }

    /// Checks every value against `Hyperparameter`'s ranges, then the rules between them (the
    /// options each `torch.optim` class has); the error names the first wrong one.
    public func validate() throws(ConfigError) {
        if let problem = firstProblem() { throw problem }
    }

    /// The first thing `validate` refuses, or nil.
    private func firstProblem() -> ConfigError? {
        for parameter in Hyperparameter.allCases {
            if let requirement = parameter.problem(with: self[parameter]) {
                return ConfigError(parameter, value: self[parameter].description, requirement)
            }
        }
        let sgd = optimizer == .sgd, adam = optimizer == .adam || optimizer == .adamw, rmsprop = optimizer == .rmsprop
        if nesterov && !sgd {
            return ConfigError(.nesterov, value: "true", "is an option of sgd only, not \(optimizer.rawValue)")
        }
        if nesterov && momentum <= 0 {
            return ConfigError(.nesterov, value: "momentum \(momentum)", "needs a momentum greater than 0")
        }
        if adam && momentum != 0 {
            return ConfigError(.momentum, value: "\(momentum)", "must be 0 with \(optimizer.rawValue), whose betas are fixed at (0.9, 0.999)")
        }
        if centered && !rmsprop {
            return ConfigError(.centered, value: "true", "is an option of rmsprop only, not \(optimizer.rawValue)")
        }
        if distillAlpha > 0 && teacher == nil {
            return ConfigError(.distillAlpha, value: "\(distillAlpha)", "needs a teacher")
        }
        return nil
    }
}

extension TrainingConfig: Codable {
    /// A JSON key: the hyperparameter's sweep key, spelled out in the table (key strategies cost a
    /// string transformation per key per message, which the coordinator's hot loop cannot afford).
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ parameter: Hyperparameter) { stringValue = parameter.rawValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Writes every hyperparameter under its sweep key, in the table's order, as its stored type (the
    /// seed as `UInt64`); an unset one is left out. Values are read as the subscript reads them, not
    /// through the rows' key paths, which are slower: every message of a trial carries its config.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for parameter in Hyperparameter.allCases {
            let key = Key(parameter)
            switch self[parameter] {
            case .unset: break
            case .real(let x): try container.encode(x, forKey: key)
            case .whole(let n):
                if case .seed = parameter.row.storage {
                    try container.encode(UInt64(truncatingIfNeeded: n), forKey: key)
                } else {
                    try container.encode(n, forKey: key)
                }
            case .flag(let b): try container.encode(b, forKey: key)
            case .augmentation(let a): try container.encode(a, forKey: key)
            case .optimizer(let o): try container.encode(o, forKey: key)
            case .text(let t): try container.encode(t, forKey: key)
            case .widths(let w): try container.encode(w, forKey: key)
            }
        }
    }

    /// Reads a config. The first release's hyperparameters must be present; those added since may be
    /// absent (messages, checkpoints and held results of an earlier release) and take their defaults;
    /// an optional one absent is unset.
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: Key.self)
        for parameter in Hyperparameter.allCases {
            let key = Key(parameter)
            func read<Value: Decodable>(_ path: WritableKeyPath<TrainingConfig, Value>) throws {
                if !parameter.isAdded {
                    self[keyPath: path] = try container.decode(Value.self, forKey: key)
                } else if let value = try container.decodeIfPresent(Value.self, forKey: key) {
                    self[keyPath: path] = value
                }
            }
            func readOptional<Value: Decodable>(_ path: WritableKeyPath<TrainingConfig, Value?>) throws {
                self[keyPath: path] = try container.decodeIfPresent(Value.self, forKey: key)
            }
            switch parameter.row.storage {
            case .real(let path): try read(path)
            case .whole(let path): try read(path)
            case .seed(let path): try read(path)
            case .limit(let path): try readOptional(path)
            case .flag(let path): try read(path)
            case .augmentation(let path): try read(path)
            case .optimizer(let path): try read(path)
            case .path(let path): try readOptional(path)
            case .widths(let path): try read(path)
            }
        }
    }
}

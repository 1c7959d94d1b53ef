/// A configuration value that cannot be trained with.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which setting is wrong.
    public let parameter: Hyperparameter
    /// The offending value, as written.
    public let value: String
    /// What the value must be, e.g. "must be greater than 0".
    public let requirement: String

    /// Creates an error for `parameter`, which had `value` but `requirement`.
    public init(_ parameter: Hyperparameter, value: String, _ requirement: String) {
        self.parameter = parameter
        self.value = value
        self.requirement = requirement
    }

    /// The message with the sweep-file key, e.g. "learning_rate must be greater than 0, got -1".
    public var description: String { "\(parameter.rawValue) \(requirement), got \(value)" }

    /// The message with the command-line flag, e.g. "--learning-rate must be greater than 0, got -1".
    public var flagDescription: String { "\(parameter.flag) \(requirement), got \(value)" }
}

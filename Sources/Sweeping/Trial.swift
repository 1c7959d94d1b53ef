import Training

/// One point of a sweep: what it trains and its stable id.
public struct Trial: Hashable, Sendable {
    /// Stable across machines and runs: a hash of the canonical point.
    public let id: String
    /// What to train.
    public let point: TrialPoint

    /// The trial for `point`.
    public init(point: TrialPoint) {
        self.point = point
        self.id = point.id
    }

    /// The trial for the built-in trainer's `config`.
    public init(config: TrainingConfig) { self.init(point: TrialPoint(config: config)) }
}

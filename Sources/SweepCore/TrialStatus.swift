/// How a trial ended, as recorded in `trials.csv`.
public enum TrialStatus: String, Codable, CaseIterable, Sendable {
    /// Every epoch ran with finite losses.
    case completed
    /// Stopped early by the sweep's `early_terminate` rule at a rung (`stopped_at`); its epochs up
    /// to that rung are recorded.
    case stopped
    /// A loss became NaN or infinite.
    case diverged
    /// It could not be trained (it took down its workers, or the worker reported an error).
    case failed
}

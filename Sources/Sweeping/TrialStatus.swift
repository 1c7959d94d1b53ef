/// How a trial ended, as recorded in `trials.csv`.
public enum TrialStatus: String, Codable, CaseIterable, Sendable {
    /// Every epoch ran with finite losses.
    case completed
    /// A loss became NaN or infinite.
    case diverged
    /// It could not be trained (it took down its workers, or the worker reported an error).
    case failed
}

/// How a sweep (or one run of it) ended: the one answer the scheduler, the coordinator, the
/// progress display and `runs.csv` share. The raw values are `runs.csv`'s `outcome` column.
public enum SweepOutcome: String, Sendable, Equatable, CaseIterable {
    /// Every position was run: every trial is recorded.
    case finished
    /// Interrupted (Ctrl-C, `shouldStop`); unrecorded trials remain for a rerun.
    case stopped
    /// A completed trial reached `metric.target`; the positions after it were not run.
    case targetReached = "target_reached"
    /// The trials, in order, spent `epoch_budget`; the positions after it were not run.
    case budgetSpent = "budget_spent"
}

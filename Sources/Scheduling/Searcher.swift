import Sweeping

/// A search method: which point each position of the sweep trains. Grid and random (`SpaceSearcher`)
/// and bayes (`BayesSearcher`) are searchers; a new method is one more, made in `makeSearcher(for:)`, and
/// nothing else changes.
///
/// What a searcher is asked, and when:
/// - `point(at:frontier:evidence:)`: when the cursor reaches a position (and, while it answers nil,
///   again each time a worker asks for work or an input settles something), and when a worker of an
///   earlier coordinator claims a trial at a position not opened yet (its answer must match the
///   claim). It must be a function of the position, the sweep file and what it has learnt, never of
///   timing or of how many workers there are: that is what makes a sweep's rows the same however it
///   ran. `frontier` is the first position not yet settled (every one before it is recorded, or a
///   repeat); `evidence` tells how any position stands before the frontier passes it (a trial
///   stopped at a rung, or past its last rung, with its value there), for a searcher that may go
///   ahead on rung decisions. Answer nil to make the position wait (its worker waits, counted).
/// - `learn(from:at:atStop:)`: once for each recorded position, in sweep order, as the frontier
///   passes it (asked only of a searcher that `learns`); and before any position, for each trial a
///   `warm_start:` folder holds in this sweep's space, at negative positions (the earliest lowest).
protocol Searcher {
    /// Whether its points depend on earlier results. One that does not has every position's point at
    /// once (and settled trials can be forgotten); one that does may make positions wait.
    var learns: Bool { get }

    /// The point at `position`, or nil until what it needs to know is known.
    func point(at position: Int, frontier: Int, evidence: (Int) -> Evidence) -> TrialPoint?

    /// The frontier passed `position`, recorded as `record`; `atStop` is what it held at the rung it was
    /// stopped at, as the rung decisions saw it (signed, smaller is better), when it was stopped.
    mutating func learn(from record: TrialRecord, at position: Int, atStop: HeldAtRung?)

    /// Whether a later position continues from `record`'s final checkpoint, so that it stays stored
    /// after the trial is recorded (population-based training); such a trial is no model candidate.
    func keepsCheckpoint(of record: TrialRecord) -> Bool

    /// The recorded trials whose kept checkpoints no position needs once the frontier has passed `position`.
    func checkpointsDone(afterPassing position: Int) -> [String]

    /// Why a point it proposed cannot be trained after all (recorded as failed, never handed out), or nil.
    func problem(with point: TrialPoint) -> String?

    /// Whether a later position continues from the final checkpoint of `point`'s trial, if it completes:
    /// its result is recorded only once those final weights are stored.
    func keepsFinalCheckpoint(of point: TrialPoint) -> Bool
}

extension Searcher {
    mutating func learn(from record: TrialRecord, at position: Int, atStop: HeldAtRung?) {}
    func keepsCheckpoint(of record: TrialRecord) -> Bool { false }
    func checkpointsDone(afterPassing position: Int) -> [String] { [] }
    func problem(with point: TrialPoint) -> String? { nil }
    func keepsFinalCheckpoint(of point: TrialPoint) -> Bool { false }
}

/// What a trial held at a rung, as the rung decisions saw it: its metric, and with several objectives
/// each one's (signed, smaller is better).
struct HeldAtRung: Equatable {
    var value: Double
    var objectives: [Double]?
}

/// How a position stands for a searcher, before the frontier passes it.
enum Evidence {
    /// Not known yet, nor opened.
    case pending
    /// Opened, training or queued: its point is known, its results are not.
    case running(TrialPoint)
    /// Nothing to learn: a repeated configuration, or past the sweep's end.
    case none
    /// Stopped at `rung` (`passed` false), or past its last rung `rung` (`passed` true), holding `value`
    /// there (signed, smaller is better): what the rung decisions saw, whether or not its last
    /// epochs have arrived.
    case rung(TrialPoint, rung: Int, value: Double, passed: Bool, objectives: [Double]?)
    /// Recorded, with what it held at the rung it was stopped at, if it was.
    case recorded(TrialRecord, atStop: HeldAtRung?)
}

/// The searcher of `spec`'s method.
func makeSearcher(for spec: SweepSpec) -> any Searcher {
    switch spec.method {
    case .bayes: BayesSearcher(spec: spec)
    case .grid, .random: SpaceSearcher(spec: spec)
    case .pbt: PopulationSearcher(spec: spec)
    }
}

/// Grid and random search: position k's point is the space's (mixed radix, or a draw of its own
/// stream), a function of the sweep file alone.
struct SpaceSearcher: Searcher {
    let spec: SweepSpec

    var learns: Bool { false }

    func point(at position: Int, frontier: Int, evidence: (Int) -> Evidence) -> TrialPoint? { spec.point(at: position) }
}

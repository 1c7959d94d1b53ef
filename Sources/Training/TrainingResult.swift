import SweepCore
/// How a run ended and what every epoch measured.
public struct TrainingResult: Codable, Equatable, Sendable {
    /// How a run ended.
    public enum Status: String, Codable, Sendable {
        /// All epochs ran with finite losses.
        case completed
        /// A loss became NaN or infinite; the run stopped there. A result, not a crash.
        case diverged
        /// The sweep's early-termination rule stopped it after its last epoch here.
        case stopped
        /// A program trial failed (`reason` says how: `timeout`, `exit 1: …`).
        case failed
    }

    /// The configuration trained (nil for a program trial: the coordinator knows its values).
    public var config: TrainingConfig?
    /// One record per epoch run (the last one is where a diverged run stopped).
    public var epochs: [EpochMetrics]
    /// How it ended.
    public var status: Status
    /// Why a program trial failed.
    public var reason: String?

    /// The last epoch's record.
    public var final: EpochMetrics? { epochs.last }
    /// The epoch with the lowest finite test loss.
    public var best: EpochMetrics? {
        epochs.filter(\.testLoss.isFinite).min { $0.testLoss < $1.testLoss }
    }
    /// Creates a result.
    public init(config: TrainingConfig?, epochs: [EpochMetrics], status: Status, reason: String? = nil) {
        self.config = config
        self.epochs = epochs
        self.status = status
        self.reason = reason
    }

    /// Total training time.
    public var seconds: Double { epochs.reduce(0) { $0 + $1.seconds } }
}

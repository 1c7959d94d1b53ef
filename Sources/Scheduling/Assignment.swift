import Training
import Sweeping

/// A trial handed to a worker, and how to train it: from where, where to wait, what to send back.
public struct Assignment: Sendable, Equatable {
    /// The trial's id, position in the sweep and what it trains.
    public var trial: String
    public var number: Int
    public var point: TrialPoint
    /// Resume from the stored checkpoint, which holds this many finished epochs (nil: from scratch).
    public var resumeFrom: Int?
    /// The trial whose final checkpoint that is, continued with this trial's values (a stretch of
    /// population-based training that has none of its own yet); nil: this trial's own.
    public var parent: String?
    /// Rungs after which the worker sends a checkpoint and waits to be told to go on or stop (pause
    /// and promote); empty when early termination does not pause.
    public var pauseAt: [Int]
    /// Seconds of training between checkpoints (0: none but at rungs and the final one).
    public var checkpointEvery: Double
    /// Send the final weights (to keep the model).
    public var sendFinal: Bool
    /// Which attempt this is (1 for the first).
    public var attempt: Int

    /// Creates an assignment.
    public init(trial: String, number: Int, point: TrialPoint, resumeFrom: Int? = nil, parent: String? = nil, pauseAt: [Int] = [],
                checkpointEvery: Double = 0, sendFinal: Bool = false, attempt: Int = 1) {
        self.trial = trial
        self.number = number
        self.point = point
        self.resumeFrom = resumeFrom
        self.parent = parent
        self.pauseAt = pauseAt
        self.checkpointEvery = checkpointEvery
        self.sendFinal = sendFinal
        self.attempt = attempt
    }
}

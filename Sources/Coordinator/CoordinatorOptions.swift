/// Timing and fault policy of a coordinator.
public struct CoordinatorOptions: Sendable {
    /// How often each side sends a heartbeat.
    public var heartbeatMilliseconds = 1000
    /// Heartbeats a worker may miss before it is declared dead.
    public var liveness = 3
    /// Workers a trial may take down before it is recorded as failed.
    public var maxAttempts = 3
    /// After a restart (some trials already recorded), how long to hold trials back so that workers
    /// still training can reconnect and claim theirs; nil: one liveness window.
    public var graceMilliseconds: Int?

    /// The defaults: a beat a second, dead after three missed, three attempts per trial.
    public init() {}
}

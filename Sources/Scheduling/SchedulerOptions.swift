/// The timing and fault policy of a sweep's scheduling.
public struct SchedulerOptions: Sendable, Equatable {
    /// How often each side sends a heartbeat.
    public var heartbeat = Duration.milliseconds(1000)
    /// Heartbeats a worker may miss before it is declared dead.
    public var liveness = 3
    /// Workers a trial may take down before it is recorded as failed.
    public var maxAttempts = 3
    /// After a restart (some trials already recorded), how long to hold trials back so that workers
    /// still training can reconnect and claim theirs; nil: one liveness window.
    public var grace: Duration?
    /// After the sweep ends, how long to keep answering workers that speak up with `bye` (they were
    /// reconnecting, or had just started); nil: one liveness window.
    public var farewell: Duration?

    /// A beat a second, dead after three missed, three attempts per trial.
    public init() {}

    /// How long a worker may be silent before it is declared dead.
    public var livenessWindow: Duration { heartbeat * liveness }
}

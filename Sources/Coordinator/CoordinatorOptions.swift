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
    /// After the last result, how long to keep answering workers that speak up with `bye` (they were
    /// reconnecting, or had just started); nil: one liveness window. 0 when every worker is a child
    /// process that exits with the coordinator anyway.
    public var farewellMilliseconds: Int?

    /// CURVE encryption and, with `authorizedKeys`, authentication of workers by public key.
    public var curve: Curve?

    /// A server's CURVE settings.
    public struct Curve: Sendable {
        /// The coordinator's secret key (Z85).
        public var secretKey: String
        /// Public keys (Z85) of the workers let in; nil admits any worker that knows the server's key.
        public var authorizedKeys: Set<String>?

        /// Creates CURVE settings.
        public init(secretKey: String, authorizedKeys: Set<String>?) {
            self.secretKey = secretKey
            self.authorizedKeys = authorizedKeys
        }
    }

    /// The defaults: a beat a second, dead after three missed, three attempts per trial.
    public init() {}
}

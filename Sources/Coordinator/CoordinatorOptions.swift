import Scheduling

/// A coordinator's settings: its scheduling policy and its security.
public struct CoordinatorOptions: Sendable {
    /// Heartbeats, liveness, attempts, grace and farewell (decided by the `Scheduler`).
    public var scheduling = SchedulerOptions()

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

    /// The defaults: a beat a second, dead after three missed, three attempts per trial, no CURVE.
    public init() {}
}

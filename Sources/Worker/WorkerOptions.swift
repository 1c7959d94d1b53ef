import Programs

/// How a worker finds its coordinator and its data.
public struct WorkerOptions: Sendable {
    /// The coordinator's endpoint, e.g. `tcp://127.0.0.1:5555`.
    public var endpoint: String
    /// Unique among the sweep's workers; also the socket's routing id, so reconnects keep it.
    public var name: String
    /// This machine's name, reported in results.
    public var host: String
    /// The FashionMNIST directory (nil: `$FASHION_MNIST_DIR` or Debian's).
    public var dataDirectory: String?
    /// Exit when this process stops being our parent (workers started by `sweep run`).
    public var parentPID: Int32?
    /// The coordinator's CURVE public key (Z85): turns encryption on.
    public var serverKey: String?
    /// This worker's CURVE secret key (Z85); nil: a new key pair per process.
    public var secretKey: String?
    /// Where program trials' programs are found (nil: the sweep file's folder, as the coordinator sees it).
    public var workdir: String?
    /// Where program trials get their own folders (`<root>/<sweep>/<trial>`, `$SWEEP_TRIAL_DIR`).
    public var trialRoot = ProgramLaunch.defaultTrialRoot
    /// Largest wait between reconnect attempts.
    public var maxBackoffMilliseconds = 30_000
    /// The GPU this worker's programs use (`CUDA_VISIBLE_DEVICES`), if one was given.
    public var gpu: String?

    /// The environment a program trial starts from: `inherited`, with this worker's GPU.
    public func environment(_ inherited: [String: String]) -> [String: String] {
        var environment = inherited
        if let gpu { environment["CUDA_VISIBLE_DEVICES"] = gpu }
        return environment
    }

    /// Creates options.
    public init(endpoint: String, name: String, host: String, dataDirectory: String? = nil, parentPID: Int32? = nil) {
        self.endpoint = endpoint
        self.name = name
        self.host = host
        self.dataDirectory = dataDirectory
        self.parentPID = parentPID
    }
}

/// What a running coordinator says about itself when asked (`sweep status`).
public struct CoordinatorStatus: Codable, Equatable, Sendable {
    /// One connected worker.
    public struct WorkerInfo: Codable, Equatable, Sendable {
        public var name: String
        public var host: String
        /// The trial it is training, if any, and the last epoch it reported.
        public var trial: String?
        public var epoch: Int?
        public var epochs: Int?

        public init(name: String, host: String, trial: String?, epoch: Int?, epochs: Int?) {
            self.name = name
            self.host = host
            self.trial = trial
            self.epoch = epoch
            self.epochs = epochs
        }
    }

    /// Trials in the sweep and trials recorded.
    public var total: Int
    public var recorded: Int
    /// Connected workers.
    public var workers: [WorkerInfo]
    /// The coordinator's process id.
    public var pid: Int32

    public init(total: Int, recorded: Int, workers: [WorkerInfo], pid: Int32) {
        self.total = total
        self.recorded = recorded
        self.workers = workers
        self.pid = pid
    }
}

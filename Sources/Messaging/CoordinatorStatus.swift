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
        /// The last early-termination rung its trial passed.
        public var rung: Int?

        public init(name: String, host: String, trial: String?, epoch: Int?, epochs: Int?, rung: Int? = nil) {
            self.name = name
            self.host = host
            self.trial = trial
            self.epoch = epoch
            self.epochs = epochs
            self.rung = rung
        }
    }

    /// Trials in the sweep and trials recorded.
    public var total: Int
    public var recorded: Int
    /// Of the recorded, how many early termination stopped.
    public var stopped: Int?
    /// Connected workers.
    public var workers: [WorkerInfo]
    /// The coordinator's process id.
    public var pid: Int32

    public init(total: Int, recorded: Int, stopped: Int? = nil, workers: [WorkerInfo], pid: Int32) {
        self.total = total
        self.recorded = recorded
        self.stopped = stopped
        self.workers = workers
        self.pid = pid
    }
}

/// What a running coordinator says about itself when asked (`sweep status`). Fields added since the
/// first version are optional, so either side may be older.
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
        /// Its trial's values, as `trials.csv` writes them, in the sweep file's order.
        public var values: [Value]?
        /// The last value of the sweep's metric (`CoordinatorStatus.metric`) its trial reported.
        public var value: Double?

        public init(name: String, host: String, trial: String?, epoch: Int?, epochs: Int?, rung: Int? = nil,
                    values: [Value]? = nil, value: Double? = nil) {
            self.name = name
            self.host = host
            self.trial = trial
            self.epoch = epoch
            self.epochs = epochs
            self.rung = rung
            self.values = values
            self.value = value
        }
    }

    /// One parameter's value, as text.
    public struct Value: Codable, Equatable, Sendable {
        /// The parameter (a program's flattened name, e.g. `optimizer.lr`) and its value's text.
        public var name: String
        public var value: String

        /// A value.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
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
    /// The figure the workers' `value` is of: the sweep's metric (for `best_<figure>`, the figure).
    public var metric: String?

    public init(total: Int, recorded: Int, stopped: Int? = nil, workers: [WorkerInfo], pid: Int32, metric: String? = nil) {
        self.total = total
        self.recorded = recorded
        self.stopped = stopped
        self.workers = workers
        self.pid = pid
        self.metric = metric
    }
}

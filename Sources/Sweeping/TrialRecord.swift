import Training

/// One row of `trials.csv`: a finished trial's configuration and outcome.
public struct TrialRecord: Equatable, Sendable {
    /// The trial id.
    public var id: String
    /// What was trained.
    public var config: TrainingConfig
    /// How it ended.
    public var status: TrialStatus
    /// The last epoch's figures (nil when no epoch ran).
    public var finalTrainLoss: Double?, finalTestLoss: Double?, finalTestAccuracy: Double?
    /// The lowest test loss of any epoch, and that epoch.
    public var bestTestLoss: Double?, bestEpoch: Int?
    /// Epochs that ran.
    public var epochsRun: Int
    /// Training wall time.
    public var seconds: Double
    /// Times the trial was handed out before it finished (1 without faults).
    public var attempts: Int
    /// The worker and host that delivered it.
    public var worker: String, host: String
    /// Why it failed, if it did.
    public var reason: String
    /// Its position in the sweep (0-based; nil in files written before positions were recorded).
    public var number: Int?
    /// The rung (epoch) at which early termination stopped it.
    public var stoppedAt: Int?
    /// Epochs computed across all its attempts, as far as the coordinator saw them (a trial resumed
    /// from a checkpoint repeats only the epochs after it; one started again repeats all): the work
    /// faults cost is `epochs_trained − epochs_run`. Nil in files written before it was recorded.
    public var epochsTrained: Int?

    /// The columns, in file order. Parameter columns carry the sweep keys' names. Columns added
    /// after the first release go at the end, so a file with fewer of them is an older layout of the
    /// same file (`ResultStore` extends it).
    public static let columns = ["trial", "status"] + parameterColumns + [
        "final_train_loss", "final_test_loss", "final_test_accuracy", "best_test_loss", "best_epoch", "epochs_run",
        "seconds", "attempts", "worker", "host", "reason", "number", "stopped_at",
        "epochs_trained",
    ]

    /// The columns every layout has had (`number`, `stopped_at` and `epochs_trained` came later).
    public static let requiredColumns = Array(columns.prefix(columns.count - 3))

    /// The configuration's columns, one per hyperparameter, named by its sweep key.
    public static let parameterColumns = Hyperparameter.allCases.map(\.rawValue)

    /// A record from a training result (a `stopped` result records the rung it stopped at).
    public init(trial: Trial, result: TrainingResult, attempts: Int, worker: String, host: String, number: Int? = nil) {
        id = trial.id
        config = trial.config
        switch result.status {
        case .completed: status = .completed
        case .diverged: status = .diverged
        case .stopped:
            status = .stopped
            stoppedAt = result.epochs.count
        }
        self.number = number
        finalTrainLoss = result.final?.trainLoss
        finalTestLoss = result.final?.testLoss
        finalTestAccuracy = result.final?.testAccuracy
        bestTestLoss = result.best?.testLoss
        bestEpoch = result.best?.epoch
        epochsRun = result.epochs.count
        seconds = result.seconds
        self.attempts = attempts
        self.worker = worker
        self.host = host
        reason = ""
    }

    /// A record of a trial that could not be trained.
    public init(failed trial: Trial, reason: String, attempts: Int, worker: String, host: String, number: Int? = nil) {
        self.number = number
        id = trial.id
        config = trial.config
        status = .failed
        epochsRun = 0
        seconds = 0
        self.attempts = attempts
        self.worker = worker
        self.host = host
        self.reason = reason
    }

    /// The record's fields, in `columns` order; doubles at full (round-trip) precision.
    public var fields: [String] {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return [id, status.rawValue] + Hyperparameter.allCases.map { config[$0].description } + [
            text(finalTrainLoss), text(finalTestLoss), text(finalTestAccuracy), text(bestTestLoss),
            bestEpoch.map(String.init) ?? "", "\(epochsRun)", "\(seconds)", "\(attempts)", worker, host, reason,
            number.map(String.init) ?? "", stoppedAt.map(String.init) ?? "", epochsTrained.map(String.init) ?? "",
        ]
    }

    /// Reads a row given the file's header; throws a reason when a field is missing or malformed.
    public init(fields: [String], header: [String: Int]) throws(RecordError) {
        func field(_ name: String) throws(RecordError) -> String {
            guard let index = header[name] else { throw RecordError("no '\(name)' column") }
            guard index < fields.count else { throw RecordError("has \(fields.count) fields, the header \(header.count)") }
            return fields[index]
        }
        func double(_ name: String) throws(RecordError) -> Double {
            let text = try field(name)
            guard let value = Double(text) else { throw RecordError("\(name) '\(text)' is not a number") }
            return value
        }
        func optionalDouble(_ name: String) throws(RecordError) -> Double? {
            try field(name).isEmpty ? nil : try double(name)
        }
        func integer(_ name: String) throws(RecordError) -> Int {
            let text = try field(name)
            guard let value = Int(text) else { throw RecordError("\(name) '\(text)' is not a whole number") }
            return value
        }
        func optionalInteger(_ name: String) throws(RecordError) -> Int? {
            try field(name).isEmpty ? nil : try integer(name)
        }
        /// A column later layouts added: absent in older files.
        func addedInteger(_ name: String) throws(RecordError) -> Int? {
            header[name] == nil ? nil : try optionalInteger(name)
        }
        guard fields.count == header.count else {
            throw RecordError("has \(fields.count) fields where the header has \(header.count)")
        }
        id = try field("trial")
        guard let status = TrialStatus(rawValue: try field("status")) else {
            throw RecordError("status '\(try field("status"))' is not completed, stopped, diverged or failed")
        }
        self.status = status
        var config = TrainingConfig()
        for parameter in Hyperparameter.allCases {
            let text = try field(parameter.rawValue)
            guard let value = parameter.parse(text) else {
                throw RecordError("\(parameter.rawValue) '\(text)' is not \(parameter.kind.article)")
            }
            config[parameter] = value
        }
        self.config = config
        finalTrainLoss = try optionalDouble("final_train_loss")
        finalTestLoss = try optionalDouble("final_test_loss")
        finalTestAccuracy = try optionalDouble("final_test_accuracy")
        bestTestLoss = try optionalDouble("best_test_loss")
        bestEpoch = try optionalInteger("best_epoch")
        epochsRun = try integer("epochs_run")
        seconds = try double("seconds")
        attempts = try integer("attempts")
        worker = try field("worker")
        host = try field("host")
        reason = try field("reason")
        number = try addedInteger("number")
        stoppedAt = try addedInteger("stopped_at")
        epochsTrained = try addedInteger("epochs_trained")
        if status == .stopped && stoppedAt == nil { throw RecordError("status stopped needs stopped_at") }
    }

    /// The value of a `trials.csv` metric column, by name (nil if absent or unknown).
    public func metric(_ name: String) -> Double? {
        switch name {
        case "test_loss", "final_test_loss": return finalTestLoss
        case "best_test_loss": return bestTestLoss
        case "test_accuracy", "final_test_accuracy": return finalTestAccuracy
        case "train_loss", "final_train_loss": return finalTrainLoss
        default: return nil
        }
    }
}

/// Why a CSV row could not be read.
public struct RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

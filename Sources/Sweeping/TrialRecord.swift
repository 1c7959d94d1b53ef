import Training
import SweepCore

/// One row of `trials.csv`: a finished trial's configuration and outcome.
public struct TrialRecord: Equatable, Sendable {
    /// The trial id.
    public var id: String
    /// What was trained.
    public var point: TrialPoint
    /// The columns of the file it belongs to.
    public var layout: RecordLayout
    /// How it ended.
    public var status: TrialStatus
    /// The metric columns of `layout` (`RecordLayout.metrics`) by name; a column without a value
    /// (no epoch ran, or none printed its figure) is absent.
    public var metrics: [String: Double] = [:]
    /// The epoch of the layout's best column (the lowest test loss for the built-in trainer).
    public var bestEpoch: Int?
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
    /// Whether it met the sweep's `metric_constraints:` with the values it reached; nil without
    /// constraints (and in files written before they existed).
    public var feasible: Bool?

    /// A record from a training result (a `stopped` result records the rung it stopped at), in its
    /// sweep's `layout`, with the sweep's goal (which value is its best).
    public init(trial: Trial, result: TrainingResult, attempts: Int, worker: String, host: String, number: Int? = nil,
                layout: RecordLayout, minimize: Bool = true) {
        id = trial.id
        point = trial.point
        self.layout = layout
        switch result.status {
        case .completed: status = .completed
        case .diverged: status = .diverged
        case .failed: status = .failed
        case .stopped:
            status = .stopped
            stoppedAt = result.epochs.count
        }
        self.number = number
        let final = result.final
        for column in layout.metrics {
            if column.isBest {
                let best = layout.best(of: result.epochs, minimize: minimize)
                metrics[column.name] = best?.value
                bestEpoch = best?.epoch
            } else {
                metrics[column.name] = final?.value(named: column.figure)
            }
        }
        epochsRun = result.epochs.count
        seconds = result.seconds
        self.attempts = attempts
        self.worker = worker
        self.host = host
        reason = result.reason ?? ""
    }

    /// A record of a trial that could not be trained.
    public init(failed trial: Trial, reason: String, attempts: Int, worker: String, host: String, number: Int? = nil,
                layout: RecordLayout) {
        self.number = number
        id = trial.id
        point = trial.point
        self.layout = layout
        status = .failed
        epochsRun = 0
        seconds = 0
        self.attempts = attempts
        self.worker = worker
        self.host = host
        self.reason = reason
    }

    /// The record's fields, in its layout's `columns` order; doubles at full (round-trip) precision,
    /// a program's values as Python's `str` writes them (what the program got).
    public var fields: [String] {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        let (parameters, trailing) = layout.parameterFields(of: point)
        let metrics = layout.metrics.map { text(self.metrics[$0.name]) }
        return [id, status.rawValue] + parameters + metrics + [
            bestEpoch.map(String.init) ?? "", "\(epochsRun)", "\(seconds)", "\(attempts)", worker, host, reason,
            number.map(String.init) ?? "", stoppedAt.map(String.init) ?? "", epochsTrained.map(String.init) ?? "",
        ] + trailing + [feasible.map { $0 ? "true" : "false" } ?? ""]
            + (layout.population ? point.lineage.map { ["\($0.member)", "\($0.generation)", $0.parent ?? ""] } ?? ["", "", ""] : [])
    }

    /// Reads a row given the file's header; throws a reason when a field is missing or malformed.
    public init(fields: [String], header: [String: Int], layout: RecordLayout) throws(RecordError) {
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
        self.layout = layout
        point = try layout.point(header: header, field: field)
        for column in layout.metrics { metrics[column.name] = try optionalDouble(column.name) }
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
        switch header["feasible"] == nil ? "" : try field("feasible") {
        case "": feasible = nil
        case "true": feasible = true
        case "false": feasible = false
        case let other: throw RecordError("feasible '\(other.prefix(20))' is not true, false or empty")
        }
        if status == .stopped && stoppedAt == nil { throw RecordError("status stopped needs stopped_at") }
    }

    /// The value of a `trials.csv` metric column, by name (nil if absent or unknown). A figure's
    /// last value answers to its column's name with or without `final_` (`test_loss` is
    /// `final_test_loss`; a program's `final_loss` is its `loss`).
    public func metric(_ name: String) -> Double? {
        if let value = metrics[name] { return value }
        if let value = metrics["final_" + name] { return value }
        if name.hasPrefix("final_"), let value = metrics[String(name.dropFirst(6))] { return value }
        // Not a column: a figure the record's runner derives (`seconds`; the trainer's cost figures).
        return layout.runner.figure(name, of: point, epochs: epochsRun, seconds: seconds)
    }
}

extension TrialRecord {
    /// Sets `feasible` by `objectives`' constraints (nil without any): on the values the trial reached,
    /// its columns and derived figures first, then any other figure of its `last` epoch (a program's).
    public mutating func judgeFeasibility(_ objectives: Objectives, last: EpochMetrics? = nil) {
        let record = self
        feasible = objectives.feasible { name in record.metric(name) ?? last?.value(named: name) }
    }

    /// The record with `feasible` set (`judgeFeasibility`).
    public func judgingFeasibility(_ objectives: Objectives) -> TrialRecord {
        var record = self
        record.judgeFeasibility(objectives)
        return record
    }
}

/// Why a CSV row could not be read.
public struct RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    package init(_ description: String) { self.description = description }
}

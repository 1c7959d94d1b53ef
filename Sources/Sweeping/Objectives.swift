import SweepCore

/// A sweep file's `metric_constraints:` entry, in Ax's syntax (`"test_accuracy >= 0.85"`): a trial is
/// feasible when every constraint holds for the values it reached (a stopped trial's at its stop).
public struct MetricConstraint: Equatable, Sendable, CustomStringConvertible {
    /// The metric constrained: any the trials report.
    public var name: String
    /// Whether the value must be at least `bound` (`>=`) rather than at most (`<=`).
    public var atLeast: Bool
    /// The bound.
    public var bound: Double

    /// A constraint.
    public init(name: String, atLeast: Bool, bound: Double) {
        self.name = name
        self.atLeast = atLeast
        self.bound = bound
    }

    /// Reads `"name >= number"` or `"name <= number"`; throws why it is not one.
    public init(parsing text: String) throws(ConstraintError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else {
            throw ConstraintError("'\(text.prefix(80))' is not 'metric >= number' or 'metric <= number'")
        }
        guard parts[1] == ">=" || parts[1] == "<=" else {
            throw ConstraintError("'\(parts[1].prefix(10))' in '\(text.prefix(80))' is not >= or <= (Ax's constraints have no strict or equal forms)")
        }
        guard let bound = Double(parts[2]), bound.isFinite else {
            throw ConstraintError("'\(parts[2].prefix(40))' in '\(text.prefix(80))' is not a finite number")
        }
        self.init(name: String(parts[0]), atLeast: parts[1] == ">=", bound: bound)
    }

    /// How far `value` is from meeting the constraint (0 when it holds; +∞ when there is no value).
    public func violation(_ value: Double?) -> Double {
        guard let value, !value.isNaN else { return .infinity }
        return max(atLeast ? bound - value : value - bound, 0)
    }

    /// As written: `name >= bound`.
    public var description: String { "\(name) \(atLeast ? ">=" : "<=") \(DisplayNumber.number(bound))" }
}

/// Why a constraint's text cannot be read.
public struct ConstraintError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What a sweep optimises: one or several metrics (`metric:` or W&B's `metrics:`), and the constraints
/// a trial must meet to count as feasible. The one place that turns a trial's values into the signed
/// vector every multi-objective decision compares (each coordinate smaller-is-better).
public struct Objectives: Equatable, Sendable {
    /// The metrics, the first being the one a single-objective sweep ranks by.
    public var metrics: [Metric]
    /// The constraints (empty: every trial is feasible).
    public var constraints: [MetricConstraint]

    /// The objectives of a sweep.
    public init(metrics: [Metric], constraints: [MetricConstraint] = []) {
        self.metrics = metrics
        self.constraints = constraints
    }

    /// Whether there are several metrics.
    public var areSeveral: Bool { metrics.count > 1 }

    /// Each metric's value, signed so that smaller is better (+∞ for a missing, NaN or infinite-worse value).
    public func signed(_ value: (String) -> Double?) -> [Double] {
        metrics.map { metric in
            guard let x = value(metric.name), !x.isNaN else { return .infinity }
            let signed = metric.minimize ? x : -x
            return signed
        }
    }

    /// The total violation of the constraints (0: feasible), or nil without constraints.
    public func violation(_ value: (String) -> Double?) -> Double? {
        guard !constraints.isEmpty else { return nil }
        return constraints.reduce(0) { $0 + $1.violation(value($1.name)) }
    }

    /// Whether the values meet every constraint; nil without constraints.
    public func feasible(_ value: (String) -> Double?) -> Bool? { violation(value).map { $0 == 0 } }

    /// A recorded trial's signed values.
    public func signed(_ record: TrialRecord) -> [Double] { signed { record.metric($0) } }
}

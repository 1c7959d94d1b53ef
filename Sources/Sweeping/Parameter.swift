import SweepCore

/// One entry under `parameters:`, whoever runs the sweep: a name, where its values come from (any of
/// the W&B schema's forms) and the values themselves as `ParameterValue`s. The built-in trainer's are
/// read as hyperparameters, checked against their kinds and ranges (`Parameter+Hyperparameter.swift`);
/// a program's take any name and any value a sweep file can hold, nested ones flattened as W&B
/// flattens them (`Parameter+Program.swift`).
public struct Parameter: Sendable {
    /// One listed value and the line it was written on.
    public struct Choice: Equatable, Sendable {
        /// The value.
        public var value: ParameterValue
        /// Its line in the sweep file.
        public var line: Int?

        /// A listed value written on `line`.
        package init(value: ParameterValue, line: Int?) {
            self.value = value
            self.line = line
        }
    }

    /// Where the values come from.
    public enum Domain: Sendable {
        /// `value`, `values`, `categorical` (uniform over the list) and `categorical_w_probabilities`.
        case values([Choice], probabilities: [Double]?)
        /// Every other distribution.
        case distribution(Distribution)
    }

    /// Its name: a hyperparameter's key, or a program's flattened name (`optimizer.lr`); a `trials.csv` column.
    public let name: String
    /// The keys it is nested under, then its own: `["optimizer", "lr"]` (one key unless nested).
    public let path: [String]
    /// The line of its key.
    public let line: Int?
    /// Its values or distribution.
    public let domain: Domain
    /// The W&B form, as `sweep check` and messages name it: `constant`, `categorical`, `q_uniform`, …
    public let form: String
    /// Each number of its form (`min`, `max`, `q`, `mu`, `sigma`, `a`, `b`) as the file wrote it, so
    /// that `sweep check` shows `0.001` rather than the `0.0010000000000000002` its logarithm gives back.
    public let written: [String: String]
    /// Whether a distribution's numbers are whole (`.int`): a whole-number hyperparameter's, and
    /// for a program, W&B's `int_uniform` (every other distribution gives floats, as W&B's do).
    let wholeNumbers: Bool
    /// Each listed value's first position, so that finding one (every recorded trial is checked
    /// against its sweep; bayes places every trial it learns from) does not walk the list.
    private let positions: [ParameterValue: Int]

    // MARK: - Grid and random search

    /// How many grid points this parameter contributes (nil: a distribution a grid cannot enumerate).
    public var gridCount: Int? {
        switch domain {
        case .values(let choices, _): return choices.count
        case .distribution(let distribution): return distribution.gridCount
        }
    }

    /// The `index`-th grid value.
    public func gridValue(at index: Int) -> ParameterValue {
        switch domain {
        case .values(let choices, _): return choices[index].value
        case .distribution(let distribution): return typed(distribution.gridValue(at: index))
        }
    }

    /// The value at percentile u ∈ (0, 1): W&B's `ppf`, the inverse of the distribution function.
    public func value(atPercentile u: Double) -> ParameterValue {
        switch domain {
        case .values(let choices, let probabilities):
            return choices[Parameter.categoricalIndex(atPercentile: u, count: choices.count, probabilities: probabilities)].value
        case .distribution(let distribution):
            return typed(distribution.value(atPercentile: u))
        }
    }

    /// The position of `value` among its listed values.
    public func listedIndex(of value: ParameterValue) -> Int? { positions[value] }

    /// `value` as a number: an int or a real (nil otherwise).
    public func number(of value: ParameterValue) -> Double? {
        switch value {
        case .int(let whole): return Double(whole)
        case .real(let real): return real
        default: return nil
        }
    }

    /// Which of `count` listed values percentile u picks: W&B's, the first whose cumulative
    /// probability exceeds u, or with no probabilities, equal shares.
    static func categoricalIndex(atPercentile u: Double, count: Int, probabilities: [Double]?) -> Int {
        guard let probabilities else { return min(Int(u * Double(count)), count - 1) }
        var total = 0.0
        for (index, p) in probabilities.enumerated() {
            total += p
            if u < total { return index }
        }
        return count - 1
    }

    /// Whether `value` is one this parameter can give (a recorded or reported point checked against the sweep).
    public func admits(_ value: ParameterValue) -> Bool {
        switch domain {
        case .values: return positions[value] != nil
        case .distribution(let distribution):
            guard let x = number(of: value) else { return false }
            let support = distribution.support
            return x >= support.low && x <= support.high
        }
    }

    /// A distribution's number as this parameter's values are: whole where they are (in range by the
    /// checks made when the file was read), real otherwise.
    private func typed(_ x: Double) -> ParameterValue {
        if wholeNumbers, let whole = Int(exactly: x.rounded()) { return .int(whole) }
        return .real(x)
    }

    /// A warning when this is one of W&B's exponent forms with bounds that look like values (see
    /// `Distribution.exponentFormWarning`), as `file:line: parameters.name: …`.
    package func exponentWarning(file: String) -> String? {
        guard case .distribution(let distribution) = domain, let warning = distribution.exponentFormWarning else { return nil }
        return SpecError(file: file, line: line, key: "parameters.\(name)", warning).description
    }

    package init(name: String, path: [String], line: Int?, domain: Domain, form: String, written: [String: String], wholeNumbers: Bool) {
        self.name = name
        self.path = path
        self.line = line
        self.domain = domain
        self.form = form
        self.written = written
        self.wholeNumbers = wholeNumbers
        var positions: [ParameterValue: Int] = [:]
        if case .values(let choices, _) = domain {
            for (index, choice) in choices.enumerated() where positions[choice.value] == nil { positions[choice.value] = index }
        }
        self.positions = positions
    }
}

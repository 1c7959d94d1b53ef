import Foundation
import SweepCore

/// A W&B parameter distribution (`distribution:` with `min`/`max`, `mu`/`sigma`, `a`/`b`, `q`), as
/// W&B's `HyperParameter.ppf` defines it: one number u in (0, 1) gives one value.
public struct Distribution: Equatable, Sendable {
    /// The shape before quantisation.
    public enum Family: Equatable, Sendable {
        /// Whole numbers from `min` to `max`, each equally likely (`int_uniform`).
        case integerUniform(min: Int, max: Int)
        /// `uniform`, `q_uniform`.
        case uniform(min: Double, max: Double)
        /// exp(U(min, max)): `log_uniform` (min/max are exponents) and `log_uniform_values` (converted).
        case logUniform(minExponent: Double, maxExponent: Double)
        /// exp(−U(min, max)): `inv_log_uniform` (exponents) and `inv_log_uniform_values` (converted).
        case inverseLogUniform(minExponent: Double, maxExponent: Double)
        /// N(mu, sigma): `normal`, `q_normal`.
        case normal(mu: Double, sigma: Double)
        /// exp(N(mu, sigma)): `log_normal`, `q_log_normal`.
        case logNormal(mu: Double, sigma: Double)
        /// Beta(a, b) on (0, 1): `beta`, `q_beta`.
        case beta(a: Double, b: Double)
    }

    /// The name as written in the sweep file, e.g. `q_log_uniform_values`.
    public var name: String
    /// The shape.
    public var family: Family
    /// Values are rounded to multiples of q (`q_` distributions), half to even as numpy rounds.
    public var q: Double?

    /// Creates a distribution.
    public init(name: String, family: Family, q: Double? = nil) {
        self.name = name
        self.family = family
        self.q = q
    }

    /// The value at percentile u ∈ (0, 1).
    public func value(atPercentile u: Double) -> Double {
        let raw: Double
        switch family {
        case .integerUniform(let low, let high):
            // scipy's randint.ppf on u ∈ (0, 1); `min` keeps a u that rounds to 1 inside.
            let span = Double(high) - Double(low) + 1
            return Double(low) + min((u * span).rounded(.down), span - 1)
        case .uniform(let low, let high): raw = low + u * (high - low)
        case .logUniform(let low, let high): raw = exp(low + u * (high - low))
        // W&B: exp(−uniform.ppf(1 − u, min, max − min)).
        case .inverseLogUniform(let low, let high): raw = exp(-(low + (1 - u) * (high - low)))
        case .normal(let mu, let sigma): raw = mu + sigma * Probability.normalQuantile(u)
        case .logNormal(let mu, let sigma): raw = exp(mu + sigma * Probability.normalQuantile(u))
        case .beta(let a, let b): raw = Probability.betaQuantile(u, a: a, b: b)
        }
        return quantise(raw)
    }

    /// Where `x` sits in the distribution, in [0, 1]: its distribution function (the inverse of
    /// `value(atPercentile:)`; a quantised value is placed as itself, an int_uniform one at the middle
    /// of its cell). Bayes models every distribution on this axis.
    public func percentile(of x: Double) -> Double {
        let u: Double
        switch family {
        case .integerUniform(let low, let high): u = (x - Double(low) + 0.5) / (Double(high) - Double(low) + 1)
        case .uniform(let low, let high): u = (x - low) / (high - low)
        case .logUniform(let low, let high): u = (log(x) - low) / (high - low)
        case .inverseLogUniform(let low, let high): u = 1 - (-log(x) - low) / (high - low)
        case .normal(let mu, let sigma): u = sigma > 0 ? Probability.normalCDF((x - mu) / sigma) : 0.5
        case .logNormal(let mu, let sigma): u = sigma > 0 ? Probability.normalCDF((log(x) - mu) / sigma) : 0.5
        case .beta(let a, let b): u = Probability.incompleteBeta(x, a: a, b: b)
        }
        return u.isNaN ? 0.5 : min(max(u, 0), 1)
    }

    private func quantise(_ x: Double) -> Double {
        guard let q else { return x }
        return (x / q).rounded(.toNearestOrEven) * q
    }

    /// The smallest and largest values it can give, and whether each can actually occur
    /// (the ends of a normal's or a beta's range are approached, never reached).
    public var support: (low: Double, lowAttainable: Bool, high: Double, highAttainable: Bool) {
        var (low, lowIn, high, highIn): (Double, Bool, Double, Bool)
        switch family {
        case .integerUniform(let a, let b): (low, lowIn, high, highIn) = (Double(a), true, Double(b), true)
        case .uniform(let a, let b): (low, lowIn, high, highIn) = (a, true, b, true)
        case .logUniform(let a, let b): (low, lowIn, high, highIn) = (exp(a), true, exp(b), true)
        case .inverseLogUniform(let a, let b): (low, lowIn, high, highIn) = (exp(-b), true, exp(-a), true)
        case .normal: (low, lowIn, high, highIn) = (-.infinity, false, .infinity, false)
        case .logNormal: (low, lowIn, high, highIn) = (0, false, .infinity, false)
        case .beta: (low, lowIn, high, highIn) = (0, false, 1, false)
        }
        if q != nil {
            // Rounding can land exactly on a rounded end, whether or not the end itself occurs.
            if low.isFinite { (low, lowIn) = (quantise(low), true)  }
            if high.isFinite { (high, highIn) = (quantise(high), true) }
        }
        return (low, lowIn, high, highIn)
    }

    /// Whether every value is a whole number (an `int_uniform`, or a `q_` distribution with a whole q).
    public var givesWholeNumbers: Bool {
        if case .integerUniform = family { return true }
        if let q, q.rounded() == q { return true }
        return false
    }

    // MARK: - For people

    /// Its values' range as people read it, `[0.001, 0.1]` or `(0, inf)`: each end as the file wrote
    /// it when `written` (`min`, `max`) holds that number, a whole number in full, else with at most
    /// 4 significant digits (a log form's `0.001` comes back from its logarithm as 0.0010000000000000002).
    public func rangeText(written: [String: String] = [:]) -> String {
        let support = self.support
        return "\(support.lowAttainable ? "[" : "(")\(Distribution.display(support.low, written: written["min"])), "
            + "\(Distribution.display(support.high, written: written["max"]))\(support.highAttainable ? "]" : ")")"
    }

    /// A number of a sweep file as people read it: as the file wrote it when `text` is that number (to
    /// 12 digits), a whole number below 2⁵³ in full, anything else with at most 4 significant digits.
    public static func display(_ x: Double, written text: String? = nil) -> String {
        if let text, let typed = Double(text.withoutDigitSeparators),
           typed == x || abs(typed - x) <= 1e-12 * max(abs(typed), abs(x)) {
            return text
        }
        if x.rounded() == x && abs(x) < 0x1p53 { return String(Int(x)) }
        return DisplayNumber.number(x)
    }

    // MARK: - W&B's exponent forms

    /// The min and max of W&B's exponent forms (`log_uniform`, `q_log_uniform`, `inv_log_uniform`) as
    /// written: natural-log exponents. Nil for every other form.
    public var exponents: (min: Double, max: Double)? {
        switch (name, family) {
        case ("log_uniform", .logUniform(let low, let high)), ("q_log_uniform", .logUniform(let low, let high)),
             ("inv_log_uniform", .inverseLogUniform(let low, let high)):
            return (low, high)
        default:
            return nil
        }
    }

    /// A warning when an exponent form's min and max look like values, and what was probably meant.
    /// Exponents in (0, 1] give values between 1 and e: too narrow a range for a log scale to have been
    /// chosen for, and exactly what a learning rate's bounds typed as values (0.001 to 0.1) become.
    /// Exponents beyond 40 give values beyond 2·10¹⁷, which no hyperparameter takes (a batch size typed
    /// as 16 to 256). Negative exponents, what the form is for, never warn; nor does a min of 0 or less,
    /// which the `_values` form would refuse.
    public var exponentFormWarning: String? {
        guard let bounds = exponents, bounds.min > 0, bounds.max <= 1 || bounds.max > 40 else { return nil }
        let support = self.support
        return "\(name) takes min and max as natural-log exponents, so this gives values from "
            + "\(Distribution.display(support.low)) to \(Distribution.display(support.high)); did you mean \(name)_values?"
    }

    // MARK: - Grid search

    /// How many values a grid enumerates, as W&B's grid search does: `int_uniform` gives min…max,
    /// `q_uniform` gives numpy's `arange(min, max, q)` (max excluded); nil for every other distribution,
    /// which a grid cannot enumerate. Counts beyond `Int.max` are reported as `Int.max`.
    public var gridCount: Int? {
        switch family {
        case .integerUniform(let low, let high):
            let (span, overflow) = high.subtractingReportingOverflow(low)
            return overflow || span == Int.max ? Int.max : span + 1
        case .uniform(let low, let high) where q != nil:
            let count = ((high - low) / q!).rounded(.up)
            guard count.isFinite, count > 0 else { return 0 }
            return count >= 9.2e18 ? Int.max : Int(count)
        default:
            return nil
        }
    }

    /// The smallest and largest values a grid enumerates (see `gridCount`; it must not be nil or 0).
    public var gridSupport: (low: Double, high: Double) {
        (gridValue(at: 0), gridValue(at: gridCount! - 1))
    }

    /// The `index`-th grid value (see `gridCount`).
    public func gridValue(at index: Int) -> Double {
        switch family {
        case .integerUniform(let low, _): return Double(low) + Double(index)
        case .uniform(let low, _):
            // numpy fills arange from its first two values: start + i·((start + q) − start).
            let step = (low + q!) - low
            return low + Double(index) * step
        default: preconditionFailure("grid values of a \(name) distribution; gridCount is nil")
        }
    }
}

extension String {
    /// A YAML 1.1 number's text without its digit separators (`1_000`); most have none, and then this
    /// costs no copy (Foundation's `replacingOccurrences` was a tenth of reading a file).
    package var withoutDigitSeparators: String {
        utf8.contains(UInt8(ascii: "_")) ? String(filter { $0 != "_" }) : self
    }
}

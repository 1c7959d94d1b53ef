/// An interval of allowed numbers, with the words that describe it.
public struct Bounds: Equatable, Sendable {
    /// The lower end (−∞ for none) and whether it is allowed.
    public var lower: Double, lowerInclusive: Bool
    /// The upper end (+∞ for none) and whether it is allowed.
    public var upper: Double, upperInclusive: Bool
    /// Whether the numbers are whole (affects only how the bounds are written).
    public var whole: Bool

    /// x > lower.
    public static func greaterThan(_ lower: Double) -> Bounds {
        Bounds(lower: lower, lowerInclusive: false, upper: .infinity, upperInclusive: false, whole: false)
    }
    /// x ≥ lower.
    public static func atLeast(_ lower: Double) -> Bounds {
        Bounds(lower: lower, lowerInclusive: true, upper: .infinity, upperInclusive: false, whole: false)
    }
    /// lower ≤ x < upper.
    public static func halfOpen(_ lower: Double, _ upper: Double) -> Bounds {
        Bounds(lower: lower, lowerInclusive: true, upper: upper, upperInclusive: false, whole: false)
    }
    /// lower ≤ x ≤ upper, any number.
    public static func between(_ lower: Double, _ upper: Double) -> Bounds {
        Bounds(lower: lower, lowerInclusive: true, upper: upper, upperInclusive: true, whole: false)
    }
    /// lower ≤ x ≤ upper, whole numbers.
    public static func closed(_ lower: Double, _ upper: Double) -> Bounds {
        Bounds(lower: lower, lowerInclusive: true, upper: upper, upperInclusive: true, whole: true)
    }

    /// Whether `x` is allowed (NaN never is).
    public func contains(_ x: Double) -> Bool {
        (lowerInclusive ? x >= lower : x > lower) && (upperInclusive ? x <= upper : x < upper)
    }

    /// Whether every number from `low` to `high` is allowed, each end counted only if it can occur.
    public func contains(low: Double, lowAttainable: Bool, high: Double, highAttainable: Bool) -> Bool {
        let lowOK = low > lower || (low == lower && (lowerInclusive || !lowAttainable))
        let highOK = high < upper || (high == upper && (upperInclusive || !highAttainable))
        return lowOK && highOK && !low.isNaN && !high.isNaN
    }

    private func text(_ x: Double) -> String {
        if x.rounded() == x && abs(x) <= 0x1p53 { return "\(Int(x))" }
        return "\(x)"
    }

    /// "must be greater than 0", "must be in [0, 1)", "must be 0 or more", "must be from 1 to 100000".
    public var requirement: String {
        switch (lower.isFinite, upper.isFinite) {
        case (true, false): return lowerInclusive ? "must be \(text(lower)) or more" : "must be greater than \(text(lower))"
        case (false, true): return upperInclusive ? "must be \(text(upper)) or less" : "must be less than \(text(upper))"
        case (false, false): return "must be a number"
        case (true, true):
            if whole && lowerInclusive && upperInclusive { return "must be from \(text(lower)) to \(text(upper))" }
            return "must be in \(lowerInclusive ? "[" : "(")\(text(lower)), \(text(upper))\(upperInclusive ? "]" : ")")"
        }
    }
}

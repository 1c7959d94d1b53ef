/// One hyperparameter's value, typed by its kind.
public enum HyperparameterValue: Hashable, Sendable, CustomStringConvertible {
    case real(Double)
    case whole(Int)
    case flag(Bool)
    case augmentation(Augmentation)
    case optimizer(OptimizerKind)
    case text(String)
    case widths([Int])
    /// An optional hyperparameter that is not set.
    case unset

    /// The canonical text: the CSV cell, the trial id's `key=value`, messages. Reals in Swift's
    /// shortest round-trip form, so equal values give equal text on every machine.
    public var description: String {
        switch self {
        case .real(let x): return "\(x)"
        case .whole(let n): return "\(n)"
        case .flag(let b): return "\(b)"
        case .augmentation(let a): return a.rawValue
        case .optimizer(let o): return o.rawValue
        case .text(let t): return t
        case .widths(let w): return w.map(String.init).joined(separator: ",")
        case .unset: return ""
        }
    }

    /// The number, for real and whole values.
    public var number: Double? {
        switch self {
        case .real(let x): return x
        case .whole(let n): return Double(n)
        default: return nil
        }
    }

    /// `"128,128"` → `[128, 128]` (spaces allowed around commas); nil unless every part is a whole number.
    public static func parseWidths(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int($0.trimmingCharacters(in: " \t")) }
        return parts.isEmpty || widths.count != parts.count ? nil : widths
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return slice
    }
}

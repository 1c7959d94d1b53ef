import Sweeping

/// The mistakes found so far in one reading of a sweep file. Reading goes on after each (with a
/// stand-in value, or without the part that failed), so one pass reports them all.
struct Problems {
    private(set) var errors: [SpecError] = []

    var isEmpty: Bool { errors.isEmpty }

    mutating func record(_ error: SpecError) { errors.append(error) }

    /// `body`'s value, or nil when it found a mistake (recorded).
    mutating func attempt<T>(_ body: () throws(SpecError) -> T) -> T? {
        do {
            return try body()
        } catch {
            errors.append(error)
            return nil
        }
    }

    /// Throws everything recorded as one error, if anything was.
    func throwIfAny() throws(SpecError) {
        if let error = SpecError.combining(errors) { throw error }
    }
}

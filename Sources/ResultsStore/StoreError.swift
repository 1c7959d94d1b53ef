import SystemCalls

/// Why the results directory cannot be used; nothing already recorded is changed when this is thrown.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed on a path.
    case system(SystemError)
    /// The file's header is not the one this version writes.
    case unexpectedHeader(path: String, found: String)
    /// Another process writes this results directory (it holds the lock).
    case busy(directory: String, holder: String)
    /// The results directory holds another sweep (another definition: `SweepDefinition`); what differs.
    case anotherSweep(directory: String, differences: [String])

    public var description: String {
        switch self {
        case .system(let error):
            return error.description
        case .unexpectedHeader(let path, let found):
            return "\(path) does not have this sweep's columns (it has \(found.prefix(80))\(found.count > 80 ? "…" : "")): the "
                + "folder holds another sweep's results, or the file is damaged; give this sweep --results DIR or a name: of "
                + "its own, or start the folder over with --fresh (the old results are moved aside)"
        case .anotherSweep(let directory, let differences):
            return "\(directory) holds another sweep: \(differences.isEmpty ? "its definition differs" : differences.joined(separator: ", ")); "
                + "give this one --results DIR or a name: of its own, start the folder over with --fresh (the old results "
                + "are moved aside), or add its trials to the folder on purpose with --extend"
        case .busy(let directory, let holder):
            return "\(directory) is in use by another sweep (\(holder)); only one coordinator writes a results "
                + "directory: wait for it, stop it, or give --results another directory"
        }
    }
}

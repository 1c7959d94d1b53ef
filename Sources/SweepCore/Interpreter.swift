/// What `${interpreter}` becomes for a program. W&B's agent always says `python`; `sweep` chooses by
/// the program's extension, so shell and other scripts run too, and uses `python3` where a machine
/// has no `python` (Debian and Ubuntu ship only `python3`).
public enum Interpreter {
    /// The interpreter's argv prefix for `program`; empty for a program that runs itself.
    public static func forProgram(_ program: String, environment: [String: String]) -> [String] {
        let name = program.split(separator: "/").last.map(String.init) ?? program
        let ext = name.contains(".") ? String(name.split(separator: ".").last!).lowercased() : ""
        switch ext {
        case "py":
            return [ProgramPath.search("python", environment: environment) != nil ? "python" : "python3"]
        case "sh": return ["bash"]
        case "js", "mjs": return ["node"]
        case "rb": return ["ruby"]
        case "pl": return ["perl"]
        case "r": return ["Rscript"]
        case "jl": return ["julia"]
        default: return []
        }
    }
}

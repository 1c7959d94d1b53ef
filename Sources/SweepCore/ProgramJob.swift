/// Everything a worker needs to run one program trial, as the coordinator sends it: the command,
/// the trial's arguments as the program gets them, and the limits.
public struct ProgramJob: Codable, Hashable, Sendable {
    /// The sweep's name (the trial's folder is `<trial root>/<sweep>/<folder>/<trial>`).
    public var sweep: String
    /// The results folder's id (`FolderIdentity`): a new one for each folder, so a trial run again
    /// into a fresh folder gets a fresh `$SWEEP_TRIAL_DIR`; nil or empty for none (`<root>/<sweep>/<trial>`).
    public var folder: String?
    /// `program:` as written (relative to the sweep file's folder, or a worker's `--workdir`).
    public var program: String?
    /// The sweep file's folder on the coordinator's machine: where the program runs without `--workdir`.
    public var directory: String
    /// `command:`'s elements, macros unexpanded.
    public var command: [String]
    /// The arguments, nested again as W&B's `to_config` nests them.
    public var arguments: [ParameterValue.Pair]
    /// The metric the program must print.
    public var metric: String
    /// Seconds before the trial ends as failed, reason `timeout`.
    public var maxSeconds: Double?
    /// Seconds between SIGTERM and SIGKILL on a stop.
    public var stopGrace: Double

    /// Seconds between SIGTERM and SIGKILL unless a sweep says otherwise: W&B's agent's `KILL_DELAY`.
    public static let defaultStopGrace = 30.0

    enum CodingKeys: String, CodingKey {
        case sweep, folder, program, directory, command, arguments, metric, maxSeconds = "max_seconds", stopGrace = "stop_grace"
    }

    /// A job.
    public init(sweep: String, folder: String? = nil, program: String?, directory: String, command: [String],
                arguments: [ParameterValue.Pair], metric: String, maxSeconds: Double?, stopGrace: Double) {
        self.sweep = sweep
        self.folder = folder
        self.program = program
        self.directory = directory
        self.command = command
        self.arguments = arguments
        self.metric = metric
        self.maxSeconds = maxSeconds
        self.stopGrace = stopGrace
    }

    /// The program's path when the program is looked for in `folder`.
    public func programPath(in folder: String) -> String? {
        guard let program else { return nil }
        if program.hasPrefix("/") { return program }
        return folder.hasSuffix("/") ? folder + program : folder + "/" + program
    }
}

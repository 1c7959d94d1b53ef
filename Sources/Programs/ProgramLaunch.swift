import Foundation
import SystemCalls
import SweepCore

/// Everything needed to start one attempt of a program trial on this machine: the executable, its
/// argv and environment, and the folders. Made the same way by `sweep try` and by workers.
public struct ProgramLaunch: Sendable {
    /// The file `execve` runs (argv[0] found on `PATH`).
    public var executable: String
    /// The whole argv.
    public var argv: [String]
    /// The inherited environment plus `SWEEP_TRIAL_ID`, `SWEEP_ATTEMPT`, `SWEEP_TRIAL_DIR`, `SWEEP_METRICS_FD`.
    public var environment: [String: String]
    /// Where the program runs: the folder it is found in (the sweep file's, or a worker's `--workdir`).
    public var directory: String
    /// The trial's own folder, the same for every attempt of one results folder's run of it on this
    /// machine (`<trial root>/<sweep>/<folder id>/<trial>`), a new one for a new results folder.
    public var trialDirectory: String

    /// Where trials get their folders unless told otherwise: `$TMPDIR/sweep-trials` (or `/tmp/sweep-trials`).
    public static var defaultTrialRoot: String {
        let temporary = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return (temporary as NSString).appendingPathComponent("sweep-trials")
    }

    /// Why a trial cannot be started here.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Prepares attempt `attempt` of trial `trial` (makes its folder; writes `args.json` there if the
    /// command uses `${args_json_file}`). `trialRoot` holds one folder per sweep and trial.
    public init(job: ProgramJob, trial: String, attempt: Int, workdir: String?, trialRoot: String,
                inherited: [String: String]) throws(Failure) {
        directory = workdir ?? job.directory
        var folder = (trialRoot as NSString).appendingPathComponent(job.sweep)
        if let run = job.folder, !run.isEmpty { folder = (folder as NSString).appendingPathComponent(run) }
        trialDirectory = (folder as NSString).appendingPathComponent(trial)
        do {
            try Directory.create(trialDirectory)
        } catch {
            throw Failure(description: "cannot make the trial's folder: \(error)")
        }
        let command = ProgramCommand(elements: job.command)
        let arguments = job.arguments.map { (name: $0.key, value: $0.value) }
        let jsonFile = (trialDirectory as NSString).appendingPathComponent("args.json")
        if command.usesJSONFile {
            do {
                try Directory.replace(jsonFile, with: Array(ProgramCommand.jsonObject(arguments).utf8))
            } catch {
                throw Failure(description: "cannot write \(jsonFile): \(error)")
            }
        }
        var environment = inherited
        environment["SWEEP_TRIAL_ID"] = trial
        environment["SWEEP_ATTEMPT"] = String(attempt)
        environment["SWEEP_TRIAL_DIR"] = trialDirectory
        environment["SWEEP_METRICS_FD"] = "3"
        self.environment = environment
        let program = job.programPath(in: directory) ?? ""
        argv = command.argv(arguments: arguments, program: program, environment: environment, jsonFile: jsonFile)
        guard let first = argv.first, !first.isEmpty else { throw Failure(description: "the command is empty") }
        let lookup = first.contains("/") && !first.hasPrefix("/") ? (directory as NSString).appendingPathComponent(first) : first
        guard let executable = ProgramPath.search(lookup, environment: environment) else {
            throw Failure(description: "cannot run '\(first.prefix(200))': " + (first.contains("/") ? "no such executable file"
                                                                                    : "not found on PATH"))
        }
        self.executable = executable
    }
}

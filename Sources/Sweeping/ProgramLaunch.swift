import Foundation
import Programs
import SystemCalls

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
    /// The trial's own folder, the same for every attempt on this machine.
    public var trialDirectory: String

    /// Why a trial cannot be started here.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Prepares trial `index` of `spec` (makes its folder; writes `args.json` there if the command
    /// uses `${args_json_file}`). `trialRoot` holds one folder per sweep and trial.
    public init(spec: SweepSpec, program: ProgramSpec, index: Int, attempt: Int, workdir: String?, trialRoot: String,
                inherited: [String: String]) throws(Failure) {
        let id = program.trialID(at: index)
        directory = workdir ?? program.directory
        trialDirectory = ((trialRoot as NSString).appendingPathComponent(spec.name) as NSString).appendingPathComponent(id)
        do {
            try Directory.create(trialDirectory)
        } catch {
            throw Failure(description: "cannot make the trial's folder: \(error)")
        }
        let jsonFile = (trialDirectory as NSString).appendingPathComponent("args.json")
        if program.command.usesJSONFile {
            do {
                try Directory.replace(jsonFile, with: Array(ProgramCommand.jsonObject(program.arguments(at: index)).utf8))
            } catch {
                throw Failure(description: "cannot write \(jsonFile): \(error)")
            }
        }
        var environment = inherited
        environment["SWEEP_TRIAL_ID"] = id
        environment["SWEEP_ATTEMPT"] = String(attempt)
        environment["SWEEP_TRIAL_DIR"] = trialDirectory
        environment["SWEEP_METRICS_FD"] = "3"
        self.environment = environment
        argv = program.argv(at: index, environment: environment, jsonFile: jsonFile, directory: directory)
        guard let first = argv.first, !first.isEmpty else { throw Failure(description: "the command is empty") }
        let lookup = first.contains("/") && !first.hasPrefix("/") ? (directory as NSString).appendingPathComponent(first) : first
        guard let executable = ProgramPath.search(lookup, environment: environment) else {
            throw Failure(description: "cannot run '\(first.prefix(200))': " + (first.contains("/") ? "no such executable file"
                                                                                    : "not found on PATH"))
        }
        self.executable = executable
    }
}

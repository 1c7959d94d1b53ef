import ArgumentParser
import Foundation
import Programs
import Sweeping
import SystemCalls
import SweepCore
import ResultsStore
import SweepFiles

/// `sweep try`: one trial of a program sweep, run here exactly as a worker runs it.
struct Try: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "try",
        abstract: "Run one trial of a program sweep here, as a worker would, and say what it would record.",
        discussion: """
            Starts the trial's command (as `sweep check` shows it) in a process group of its own, with \
            SWEEP_TRIAL_ID, SWEEP_ATTEMPT, SWEEP_TRIAL_DIR and SWEEP_METRICS_FD set; reads the JSON metric \
            lines it prints on stdout (or writes to descriptor 3), and prints each one as read, then the \
            outcome. Ctrl-C stops the program (SIGTERM, then SIGKILL after --stop-grace); if `sweep try` \
            itself is killed, the program's group goes with it. Exit 0 if the trial completed, 1 if not.
            """)

    @Argument(help: ArgumentHelp("A sweep file with program: or command:.", valueName: "sweep.yaml"))
    var spec: String

    @Option(help: "Which trial, numbered from 0 as `sweep check` numbers them and as trials.csv's `number` column counts.")
    var trial = 0

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Run these values instead (repeatable; the value as a sweep file writes it): --set lr=0.9 --set optimizer.name=adam. "
            + "Each is checked against its parameter; the others come from --trial.", valueName: "name=value"))
    var settings: [String] = []

    @Option(name: .customLong("max-seconds"), help: "End the trial as failed (timeout) after this many seconds (default: the file's max_seconds).")
    var maxSeconds: Double?

    @Option(name: .customLong("stop-grace"), help: "Seconds between SIGTERM and SIGKILL when the trial is stopped (default: the file's stop_grace_seconds, else 30).")
    var stopGrace: Double?

    @Option(help: "Where the program is found and runs (default: the sweep file's folder).")
    var workdir: String?

    @Option(help: "Write the trial's stdout and stderr (the last 10 MB) to this file.")
    var log: String?

    func validate() throws {
        if trial < 0 { throw ValidationError("--trial must be 0 or more, got \(trial)") }
        if let maxSeconds, !(maxSeconds > 0) { throw ValidationError("--max-seconds must be greater than 0") }
        if let stopGrace, !(stopGrace >= 0) || stopGrace > 3600 { throw ValidationError("--stop-grace must be from 0 to 3600 seconds") }
    }

    func run() throws {
        let spec = try SweepSpec(contentsOf: spec)
        for warning in spec.warnings { warn(warning) }
        guard let program = spec.program else {
            throw RunFailure("\(spec.file) trains the built-in model; `sweep try` runs program sweeps (use `sweep train` for one "
                             + "configuration)", code: ExitStatus.usage)
        }
        guard trial < spec.count else {
            throw RunFailure("--trial \(trial): the sweep has \(spec.count) trials, numbered from 0", code: ExitStatus.usage)
        }
        let point: TrialPoint
        do {
            point = try spec.point(at: trial, setting: settings)
        } catch {
            throw RunFailure(error.description, code: ExitStatus.usage)
        }
        let launch: ProgramLaunch
        do {
            var job = program.job(for: point.values, sweep: spec.name, metric: spec.metric.name,
                                  maxSeconds: spec.maxSeconds, stopGrace: spec.stopGraceSeconds)
            job.folder = "try-" + FolderIdentity.make().id  // each try is a run of its own
            launch = try ProgramLaunch(job: job, trial: point.id, attempt: 1, workdir: workdir,
                                       trialRoot: ProgramLaunch.defaultTrialRoot, inherited: ProcessInfo.processInfo.environment)
        } catch {
            throw RunFailure(error.description, code: ExitStatus.noInput)
        }
        let limits = ProgramRun.Limits(metric: spec.metric.name, maxSeconds: maxSeconds ?? spec.maxSeconds,
                                       stopGraceSeconds: stopGrace ?? spec.stopGraceSeconds)
        let label = settings.isEmpty ? "trial \(trial)" : "trial \(trial) with --set"
        print("\(label) \(point.id): \(launch.argv.map(ProgramCheck.shellQuoted).joined(separator: " "))")
        let clock = ContinuousClock()
        let run = try ProgramRun(executable: launch.executable, argv: launch.argv, environment: launch.environment,
                                 directory: launch.directory, limits: limits, now: clock.now)
        Interrupts.install()
        // Every line has its epoch by now: the program's, or its count.
        let outcome = run.wait(clock: clock, shouldStop: { Interrupts.caught != nil }) { line in
            print("  epoch \(line.epoch ?? 0): " + line.values.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
        }
        if let log {
            do { try Directory.replace(log, with: run.log.contents) } catch { warn("cannot write the log: \(error)") }
        }
        let last = run.lines.last { $0.value(spec.metric.name) != nil }?.value(spec.metric.name)
        if let note = run.leftoverNote { print("note: \(note)") }
        switch outcome {
        case .completed:
            print("completed: \(run.lines.count) metric lines; \(spec.metric.name) \(last.map { "\($0)" } ?? "?") at the end")
        case .stopped:
            print("stopped after \(run.lines.count) metric lines")
            throw ExitCode(ExitStatus.interrupted)
        case .diverged:
            print("diverged: \(spec.metric.name) is not finite at epoch \(run.lines.count)")
            throw ExitCode(ExitStatus.failure)
        case .failed(let reason):
            print("failed: \(reason)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}

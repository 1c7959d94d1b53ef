import ArgumentParser
import Coordinator
import Scheduling
import Foundation
import Messaging
import Sweeping
import Training
import SweepCore
import ResultsStore
import SweepFiles

/// `sweep run`: the main job on one machine.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a sweep on this machine: a coordinator and one worker process per core.",
        discussion: """
            Results go to Results/<name>/ (trials.csv, epochs.csv, sweep.yaml), each trial written and \
            fsync'ed as it finishes. Interrupted (Ctrl-C, a crash, power loss)? Run the same command again: \
            only the trials missing from trials.csv run. --fresh starts over, moving the old results aside. \
            At the end the configurations are ranked by the sweep's metric.
            """)

    @Argument(help: ArgumentHelp("The sweep file (default: the built-in quickstart sweep, as in Sweeps/quickstart.yaml).",
                                 valueName: "sweep.yaml"))
    var spec: String?

    @Option(help: "Worker processes (default: the number of cores, or of --gpus).")
    var workers: Int?

    @Option(help: ArgumentHelp("Program sweeps on a GPU machine: give each worker its own device, as CUDA_VISIBLE_DEVICES "
                               + "(one worker per listed device unless --workers says more, then round robin); the "
                               + "trial's worker column names it (…/gpu1).", valueName: "ids"))
    var gpus: String?

    @Option(help: ArgumentHelp("Results directory (default: Results/<name>).", valueName: "dir"))
    var results: String?

    @Flag(help: "Start over: move existing results aside to <dir>.<timestamp> (never deleted).")
    var fresh = false

    @Flag(help: "Add this sweep's trials to a results folder that holds another sweep, on purpose (to grow a grid by editing its file, say).")
    var extend = false

    @Flag(name: .customLong("retry-failed"),
          help: "Run trials recorded as failed again; their earlier rows move to failed.csv (kept).")
    var retryFailed = false

    @Option(help: ArgumentHelp("FashionMNIST directory for the workers (default: $FASHION_MNIST_DIR or "
                               + "\(FashionMNIST.defaultDirectory)).", valueName: "dir"))
    var data: String?

    @Option(help: "Where the coordinator listens; workers are told the resolved endpoint.")
    var bind = Run.defaultBind
    static let defaultBind = "tcp://127.0.0.1:*"

    @OptionGroup(title: "Fault tolerance")
    var faults: FaultOptions

    @OptionGroup(title: "Security")
    var security: SecurityOptions

    @OptionGroup(title: "Monitoring")
    var monitoring: MetricsOptions

    @Option(help: "Rows of the ranking printed at the end.")
    var top = 10

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1, got \(workers)") }
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if let gpus { _ = try GPUList(gpus) }
    }

    func run() throws {
        var coordinatorOptions = faults.coordinatorOptions
        coordinatorOptions.curve = try security.curve(bind: bind)
        // On the default ephemeral loopback port only our own workers can have joined, and they are
        // children that exit with us: no straggler to wait for at the end.
        if bind == Run.defaultBind, faults.farewellMilliseconds == nil { coordinatorOptions.scheduling.farewell = .zero }
        let localWorkerKeys = try CurveKeys.generate()
        coordinatorOptions.curve?.authorizedKeys?.insert(localWorkerKeys.publicKey)
        let spec = try spec.map { path throws(SpecError) in try SweepSpec(contentsOf: path) } ?? SweepSpec.quickstart()
        for warning in spec.warnings { warn(warning) }
        // A program sweep's workers run the program; only the built-in trainer reads FashionMNIST.
        if spec.program == nil { try FashionMNIST.checkFiles(directory: data) }
        let setup = try SweepSetup(spec: spec, resultsDirectory: results, fresh: fresh, extend: extend, retryFailed: retryFailed,
                                   options: coordinatorOptions.scheduling, warn: warn)
        announce(setup)
        let directory = setup.store.directory
        guard setup.hasWork else {
            printRanking(setup, top: top)
            return
        }

        let devices = try gpus.map(GPUList.init)?.ids ?? []
        let wanted = workers ?? (devices.isEmpty ? ProcessInfo.processInfo.activeProcessorCount : devices.count)
        let count = max(1, min(wanted, setup.scheduler.totalCount - setup.recordedCount))
        let session = try CoordinatorSession(setup: setup, bind: bind, options: coordinatorOptions, workers: count,
                                             metricsOptions: monitoring)
        let coordinator = session.coordinator
        let parent = getpid()
        var environment: [String: String] = [:]
        if let curve = coordinatorOptions.curve {
            // Local workers get the server's public key and a key pair of their own that the
            // coordinator admits, through the environment (readable only by this user).
            environment[WorkerCommand.serverKeyVariable] = try CurveKeys(secretKey: curve.secretKey).publicKey
            environment[WorkerCommand.secretKeyVariable] = localWorkerKeys.secretKey
        }
        let pool = try LocalWorkers(count: count, executable: LocalWorkers.currentExecutable,
                                    environment: environment) { index in
            var arguments = ["worker", "--connect", coordinator.endpoint, "--parent-pid", "\(parent)",
                             "--name", "\(ProcessInfo.processInfo.hostName):\(parent):\(index + 1)", "--quiet"]
            if let data { arguments += ["--data", data] }
            if !devices.isEmpty { arguments += ["--gpu", devices[index % devices.count]] }
            return arguments
        }
        say("\(count) workers (pids \(pool.pids.map(String.init).joined(separator: " "))) on \(coordinator.endpoint)")
        var workersGone = false
        let outcome = try session.run(
            stop: {
                workersGone = pool.runningCount == 0
                return workersGone
            },
            afterwards: { outcome in pool.stop(after: .seconds(outcome == .finished ? 5 : 1)) })
        switch outcome {
        case .finished, .targetReached, .budgetSpent:
            say("\(outcome.summary) \(coordinator.recordedCount) of \(coordinator.totalCount) trials recorded in \(directory); "
                + "coordinator used \(cpuSeconds()) s of CPU")
            sayStatistics(coordinator)
            printRanking(setup, top: top)
        case .stopped:
            say("stopped: \(coordinator.recordedCount) of \(coordinator.totalCount) trials recorded in \(directory); "
                + "run the same command to resume")
            if workersGone && Interrupts.caught == nil {
                throw RunFailure("every worker exited before the sweep finished (see their messages above)", code: ExitStatus.failure)
            }
            throw ExitCode(ExitStatus.interrupted)
        }
    }
}

/// Records the run in runs.csv and writes the report; problems here are warnings, never fatal
/// (the results themselves are already safe).
func finishRun(_ setup: SweepSetup, started: Date, progress: ProgressReporter, outcome: SweepOutcome) {
    do {
        try setup.store.appendRun(.init(started: started.timeIntervalSince1970, finished: Date().timeIntervalSince1970,
                                        workers: progress.workerNames, hosts: progress.hosts,
                                        outcome: outcome, sweep: setup.spec.name))
    } catch {
        warn("could not record the run in runs.csv: \(error)")
    }
    do {
        say("report: \(try writeReport(directory: setup.store.directory))")
    } catch {
        warn("could not write the report: \(error)")
    }
}

/// Prints the ranking of everything in the results directory.
func printRanking(_ setup: SweepSetup, top: Int) {
    print(Ranking(records: MemberSchedule.ranked(setup.store.records), metric: setup.spec.metric, objectives: setup.spec.objectives)
        .table(top: top), terminator: "")
    if setup.spec.population != nil { say("members by their last stretch; sweep rank shows each one's schedule") }
}

extension SweepOutcome {
    /// The start of the closing line.
    var summary: String {
        switch self {
        case .finished: return "all"
        case .stopped: return "stopped:"
        case .targetReached: return "target reached:"
        case .budgetSpent: return "epoch budget spent:"
        }
    }
}

/// The first lines of `sweep run` and `sweep coordinator`: what was moved, what is recorded, and why
/// there is nothing to do when there is not.
func announce(_ setup: SweepSetup) {
    if let moved = setup.movedAside { say("moved the earlier results to \(moved)") }
    if setup.retried > 0 { say("retrying \(setup.retried) failed trials; their earlier rows are in failed.csv") }
    say("sweep \(setup.spec.name): \(setup.scheduler.totalCount) trials, \(setup.recordedCount) already recorded in "
        + setup.store.directory)
    if let line = setup.warmStart.summary { say(line) }
    for event in setup.startingEvents {
        if case .sweepEnded(let reason, let number) = event {
            say(reason == .targetReached ? "trial #\(number) reached the target \(setup.spec.metric.name); nothing to run"
                                         : "the epoch budget was spent by trial #\(number); nothing to run")
        }
    }
}

/// What determinism cost this run: time workers waited for earlier trials, epochs trained beyond stops.
func sayStatistics(_ coordinator: Coordinator) {
    let statistics = coordinator.statistics
    guard statistics.stopped > 0 || statistics.waiting > .zero else { return }
    let waited = statistics.waiting.inSeconds
    say("early termination stopped \(statistics.stopped) trials (\(statistics.speculativeEpochs) epochs trained past their "
        + "stops while decisions waited); workers waited \(String(format: "%.1f", waited)) s in all for earlier trials")
}

/// This process's own CPU time (user + system), formatted.
func cpuSeconds() -> String {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let seconds = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return String(format: "%.2f", seconds)
}

/// A one-line note on stderr (stdout is kept for results).
func say(_ text: String) {
    FileHandle.standardError.write(Data("sweep: \(text)\n".utf8))
}

/// A warning on stderr.
func warn(_ text: String) {
    FileHandle.standardError.write(Data("sweep: warning: \(text)\n".utf8))
}

/// A failure with its own exit code and message.
struct RunFailure: Error, CustomStringConvertible {
    let description: String
    let code: Int32
    init(_ description: String, code: Int32) {
        self.description = description
        self.code = code
    }
}

/// `--gpus 0,1,2,3`: device ids as CUDA_VISIBLE_DEVICES takes them (numbers or UUIDs).
struct GPUList {
    let ids: [String]

    init(_ text: String) throws {
        ids = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !ids.isEmpty, ids.allSatisfy(GPUList.isID) else {
            throw ValidationError("--gpus takes device ids separated by commas, e.g. 0,1,2,3; got '\(text)'")
        }
    }

    /// A device id: letters, digits, '-', ':' and '.' (GPU-… UUIDs, MIG ids), nothing a shell or a CSV would mind.
    static func isID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 100 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-:._".contains($0)) }
    }
}

import ArgumentParser
import Benchmarking
import Foundation
import Logging
import Messaging
import Training
import Worker
import SweepCore

/// `sweep worker`: one worker process.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Connect to a coordinator and train the trials it hands out, until it says bye.",
        discussion: """
            One worker trains one trial at a time with one OpenBLAS thread; start one per core. If the \
            coordinator goes away the worker keeps training, reconnects with backoff, and delivers its result \
            when the coordinator is back. Example: sweep worker --connect tcp://127.0.0.1:5555

            For a program sweep the worker runs the program (in its own process group; if the worker dies, so \
            does the program). The program is looked for in --workdir on this machine, else in the sweep \
            file's folder as the coordinator's machine names it: copy or mount your code there, e.g. \
            sweep worker --connect tcp://coord:5555 --workdir ~/project
            """)

    @Option(help: ArgumentHelp("The coordinator's endpoint.", valueName: "endpoint"))
    var connect: String

    @Option(help: ArgumentHelp("FashionMNIST directory (default: $FASHION_MNIST_DIR or \(FashionMNIST.defaultDirectory)).",
                               valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("Program sweeps: the folder the program is found and run in on this machine "
                               + "(default: the sweep file's folder, as the coordinator's machine names it).", valueName: "dir"))
    var workdir: String?

    @Option(name: .customLong("trial-root"),
            help: ArgumentHelp("Program sweeps: where each trial gets its own folder ($SWEEP_TRIAL_DIR = <dir>/<sweep>/<trial>; "
                               + "default: $TMPDIR/sweep-trials).", valueName: "dir"))
    var trialRoot: String?

    @Option(help: "This worker's name, unique in the sweep (default: host:pid).")
    var name: String?

    @Option(help: ArgumentHelp("Program sweeps: the GPU this worker's programs use, as CUDA_VISIBLE_DEVICES; the worker's "
                               + "name (and so the trial's worker column) ends in /gpu<id>.", valueName: "id"))
    var gpu: String?

    @Option(name: .customLong("parent-pid"), help: ArgumentHelp("Exit when this process is no longer the parent.",
                                                                visibility: .hidden))
    var parentPID: Int32?

    @Option(name: .customLong("server-key"),
            help: ArgumentHelp("The coordinator's CURVE public key file (its .pub): encrypts the connection.", valueName: "file"))
    var serverKey: String?

    @Option(name: .customLong("curve-secret-key"),
            help: ArgumentHelp("This worker's CURVE secret key file (default: a fresh anonymous key).", valueName: "file"))
    var curveSecretKey: String?

    @Flag(help: "Log only errors (no progress lines).")
    var quiet = false

    @Flag(name: .customLong("benchmark-noop-trainer"),
          help: ArgumentHelp("Benchmarks only: train nothing, answer every trial at once with zeros (Scripts/bench coordinator).",
                             visibility: .hidden))
    var benchmarkNoopTrainer = false

    @Option(name: .customLong("benchmark-simulate"),
            help: ArgumentHelp("Benchmarks only, with --benchmark-noop-trainer: simulate this many workers in this process.",
                               visibility: .hidden))
    var benchmarkSimulate = 1

    @Flag(name: .customLong("benchmark-barrier"),
          help: ArgumentHelp("Benchmarks only, with --benchmark-noop-trainer: print `joined` once every simulated worker is "
                             + "welcomed, and ask for work only after a line on standard input.", visibility: .hidden))
    var benchmarkBarrier = false

    /// Set by `sweep run` for its own workers when CURVE is on (instead of key files).
    static let serverKeyVariable = "SWEEP_CURVE_SERVER_KEY", secretKeyVariable = "SWEEP_CURVE_SECRET_KEY"

    func run() throws {
        if benchmarkNoopTrainer {
            let swarm = try NoopWorkerSwarm(endpoint: connect, count: benchmarkSimulate,
                                            prefix: name ?? "noop-\(getpid())")
            try swarm.run(barrier: benchmarkBarrier) { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            return
        }
        if benchmarkSimulate != 1 || benchmarkBarrier {
            throw ValidationError("--benchmark-simulate and --benchmark-barrier need --benchmark-noop-trainer")
        }
        // Only the built-in trainer reads FashionMNIST: a worker for program sweeps needs none, and
        // a worker without it fails with the data's error at its first built-in trial.
        if data != nil || FileManager.default.fileExists(atPath: FashionMNIST.resolveDirectory(data)) {
            try FashionMNIST.checkFiles(directory: data)
        }
        if let workdir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workdir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--workdir \(workdir) is not a folder")
            }
        }
        let host = ProcessInfo.processInfo.hostName
        if let gpu, !GPUList.isID(gpu) {
            throw ValidationError("--gpu takes one device id (letters, digits, '-', ':', '.'), got '\(gpu)'")
        }
        var workerName = name ?? "\(host):\(getpid())"
        if let gpu, !workerName.hasSuffix("/gpu\(gpu)") { workerName += "/gpu\(gpu)" }
        var options = WorkerOptions(endpoint: connect, name: workerName, host: host,
                                    dataDirectory: data, parentPID: parentPID)
        options.gpu = gpu
        options.workdir = workdir.map { ($0 as NSString).standardizingPath }.map {
            $0.hasPrefix("/") ? $0 : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent($0)
        }
        if let trialRoot { options.trialRoot = trialRoot }
        if curveSecretKey != nil && serverKey == nil {
            throw ValidationError("--curve-secret-key needs --server-key (the coordinator's public key)")
        }
        options.serverKey = try serverKey.map { path throws(CurveKeys.KeyError) in try CurveKeys.readKey(path) }
        options.secretKey = try curveSecretKey.map { path throws(CurveKeys.KeyError) in try CurveKeys.readKey(path) }
        let environment = ProcessInfo.processInfo.environment
        if options.serverKey == nil, let key = environment[Self.serverKeyVariable], !key.isEmpty {
            options.serverKey = key
            options.secretKey = environment[Self.secretKeyVariable].flatMap { $0.isEmpty ? nil : $0 }
        }
        if let secret = options.secretKey { _ = try CurveKeys(secretKey: secret) }
        let handler = TerminalLogHandler(prefix: "sweep worker \(options.name): ", logLevel: quiet ? .error : .info)
        let worker = try Worker(options: options, logger: Logger(label: "sweep.worker") { _ in handler })
        Interrupts.install()
        switch try worker.run(shouldStop: { Interrupts.caught != nil }) {
        case .finished, .orphaned:
            return
        case .stopped:
            throw ExitCode(ExitStatus.interrupted)
        case .refused(let reason):
            throw RunFailure("the coordinator refused this worker: \(reason)", code: ExitStatus.unavailable)
        }
    }
}

import Foundation
import Programs
import Sweeping
import SweepTestSupport
import Testing
import SweepFiles

/// Program sweeps through the real binary with real workers: a coordinator hands program trials out,
/// workers run them under the supervisor, and every guarantee of the built-in trainer holds: each
/// trial recorded once, requeued when its worker dies (its program dying with it), stopped early
/// within the grace, failures recorded with their reasons, the same rows however many workers ran.
@Suite("Program sweeps", .heavy, .timeLimit(.minutes(10)))
struct ProgramSweepTests {
    /// A program whose loss falls with the epoch from a floor set by its parameters. It writes its
    /// pid to `pids/<trial>-<attempt>`, notes a SIGTERM's time in `term/<trial>` and a line `SIGTERM`
    /// in its output (ignoring it if asked), and sleeps between lines if asked.
    static let program = """
        import argparse, json, math, os, signal, sys, time
        p = argparse.ArgumentParser()
        p.add_argument("--lr", type=float, default=0.01)
        p.add_argument("--momentum", type=float, default=0.0)
        p.add_argument("--q", type=float, default=1.0)
        p.add_argument("--lines", type=int, default=9)
        p.add_argument("--sleep", type=float, default=0.0)
        p.add_argument("--ignore_term", type=int, default=0)
        a = p.parse_args()
        trial, attempt = os.environ["SWEEP_TRIAL_ID"], os.environ["SWEEP_ATTEMPT"]
        os.makedirs("pids", exist_ok=True)
        open(f"pids/{trial}-{attempt}.tmp", "w").write(str(os.getpid()))
        os.rename(f"pids/{trial}-{attempt}.tmp", f"pids/{trial}-{attempt}")
        def on_term(signum, frame):
            os.makedirs("term", exist_ok=True)
            open(f"term/{trial}", "w").write(repr(time.time()))
            os.write(1, b"SIGTERM\\n")  # not print: the handler may interrupt a print
            if not a.ignore_term:
                sys.exit(143)
        signal.signal(signal.SIGTERM, on_term)
        floor = a.q * (0.25 + 0.08 * (math.log10(a.lr) + 1.5) ** 2 + 0.3 * (a.momentum - 0.6) ** 2)
        for epoch in range(1, a.lines + 1):
            if a.sleep:
                time.sleep(a.sleep)
            print(json.dumps({"epoch": epoch, "loss": floor + 1.5 * math.exp(-epoch / 3)}), flush=True)
        """

    static func scratch() -> Scratch {
        let scratch = Scratch()
        scratch.write(Self.program, to: "train.py")
        return scratch
    }

    /// Trial folders ($SWEEP_TRIAL_DIR) inside the scratch folder, not the machine's /tmp.
    static func environment(_ scratch: Scratch) -> [String: String] { ["TMPDIR": scratch.path] }

    @Test func gridAndRandomSweepsOfTheStandardLibraryExample() async throws {
        let scratch = Scratch()
        let example = ProgramExampleTests.examples + "/python/"
        for name in ["train.py", "sweep.yaml"] {
            try FileManager.default.copyItem(atPath: example + name, toPath: scratch.file(name))
        }
        scratch.write("""
            name: python-random
            program: train.py
            method: random
            run_cap: 6
            random_seed: 3
            metric: {name: test_accuracy, goal: maximize}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.01, max: 1.0}
              l2: {distribution: uniform, min: 0, max: 0.01}
              epochs: {values: [3, 4]}
              seed: {value: 0}
            """, to: "random.yaml")
        for (file, name, count, metric) in [("sweep.yaml", "python-example", 8, "test_loss"),
                                            ("random.yaml", "python-random", 6, "test_accuracy")] {
            let run = try await SweepBinary.run(["run", file, "--workers", "2"], environment: Self.environment(scratch),
                                                directory: scratch.path)
            #expect(run.status == 0, "\(run.stderr)")
            let results = Results(scratch.file("Results/\(name)"))
            let trials = results.trials
            #expect(trials.count == count && Set(trials.map(\.id)).count == count)
            #expect(trials.allSatisfy { $0.status == .completed && $0.attempts == 1 }, "\(trials.map(\.reason))")
            // Every epoch's figures, and each trial's log beside the results.
            let epochs = results.epochs
            for trial in trials {
                let figures = try #require(epochs[trial.id])
                #expect(figures.count == trial.epochsRun && figures.map(\.epoch) == Array(1...trial.epochsRun))
                #expect(figures.last?.value(named: metric) == trial.metric(metric))
                #expect(scratch.text("Results/\(name)/logs/\(trial.id).log").contains("\"test_loss\""))
            }
            // metrics.csv reads as it is: trial, epoch, name, value.
            #expect(scratch.text("Results/\(name)/metrics.csv").hasPrefix("trial,epoch,name,value\n"))
            let rank = try await SweepBinary.run(["rank", "Results/\(name)"], directory: scratch.path)
            #expect(rank.status == 0 && rank.stdout.contains(metric), "\(rank.stdout) \(rank.stderr)")
            // A rerun finds everything recorded and runs nothing.
            let again = try await SweepBinary.run(["run", file], environment: Self.environment(scratch), directory: scratch.path)
            #expect(again.status == 0 && again.stderr.contains("\(count) already recorded"), "\(again.stderr)")
            #expect(Results(scratch.file("Results/\(name)")).trials.count == count)
        }
        let report = try await SweepBinary.run(["report", "Results/python-random"], directory: scratch.path)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(scratch.text("Results/python-random/report.html").contains("test_accuracy by epoch"))
    }

    @Test func aKilledWorkerTakesItsProgramWithItAndTheTrialIsRequeued() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: requeue
            program: train.py
            metric: {name: loss}
            parameters:
              lines: {value: 10}
              sleep: {value: 0.3}
            """, to: "requeue.yaml")
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["requeue.yaml", "--bind", "tcp://127.0.0.1:*"] + FaultTests.fast, scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let first = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "first"], directory: scratch.path, log: "w1-")
        #expect(await Processes.await(seconds: 30) { (try? FileManager.default.contentsOfDirectory(atPath: scratch.file("pids")))?.isEmpty == false },
                "the program never started: \(scratch.text("w1-stderr.log"))")
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.file("pids"))
        let file = try #require(files.first)
        #expect(files.count == 1 && file.hasSuffix("-1"))
        let pid = try #require(Int32(scratch.text("pids/" + file)))
        #expect(Processes.isAlive(pid))
        kill(first.processIdentifier, SIGKILL)
        try await first.waitForExit()
        // The supervisor sees its lifeline close: SIGTERM, which this program obeys.
        #expect(await Processes.await(seconds: 10) { !Processes.isAlive(pid) }, "the program outlived its worker")
        let second = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "second"], directory: scratch.path, log: "w2-")
        try await coordinator.waitForExit()
        try await second.waitForExit()
        #expect(coordinator.terminationStatus == 0, "\(scratch.text("c-stderr.log"))")
        let trials = Results(scratch.file("Results/requeue")).trials
        let trial = try #require(trials.first)
        #expect(trials.count == 1 && trial.status == .completed && trial.epochsRun == 10)
        #expect(trial.attempts == 2 && trial.worker == "second")
        #expect(scratch.exists("pids/\(trial.id)-2"), "the second attempt had SWEEP_ATTEMPT=2")
    }

    @Test func aProgramSweepKilledMidwayResumesToTheSameRowsAndLeavesNoProgramBehind() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: resume
            program: train.py
            metric: {name: loss}
            method: random
            run_cap: 8
            random_seed: 11
            early_terminate: {type: hyperband, min_iter: 2, eta: 3}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              lines: {value: 6}
              sleep: {value: 0.15}
            """, to: "resume.yaml")
        let clean = try await SweepBinary.run(["run", "resume.yaml", "--workers", "2", "--results", "clean"],
                                              environment: Self.environment(scratch), directory: scratch.path)
        #expect(clean.status == 0, "\(clean.stderr)")
        try FileManager.default.removeItem(atPath: scratch.file("pids"))
        // SIGKILL `sweep run` once a few trials are recorded: its workers die with it, and their programs with them.
        let run = try SweepBinary.start(["run", "resume.yaml", "--workers", "2", "--results", "killed"], directory: scratch.path,
                                        log: "run-")
        #expect(await Processes.await(seconds: 60) { scratch.rows("killed/trials.csv").count >= 3 }, "\(scratch.text("run-stderr.log"))")
        kill(run.processIdentifier, SIGKILL)
        try await run.waitForExit()
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.file("pids"))) ?? []).compactMap {
            Int32(scratch.text("pids/" + $0))
        }
        #expect(!pids.isEmpty)
        #expect(await Processes.await(seconds: 10) { !pids.contains(where: Processes.isAlive) }, "orphans: \(pids.filter(Processes.isAlive))")
        let recordedBefore = scratch.rows("killed/trials.csv").count
        #expect(recordedBefore < 8, "the sweep finished before it was killed")
        let rerun = try await SweepBinary.run(["run", "resume.yaml", "--workers", "2", "--results", "killed"],
                                              environment: Self.environment(scratch), directory: scratch.path)
        #expect(rerun.status == 0 && rerun.stderr.contains("\(recordedBefore) already recorded"), "\(rerun.stderr)")
        let (expected, observed) = (Results(scratch.file("clean")).outcomes, Results(scratch.file("killed")).outcomes)
        #expect(expected.count == 8 && observed == expected)
    }

    @Test func earlyTerminationEndsTheProgramWithinTheGrace() async throws {
        let scratch = Self.scratch()
        // Two trials side by side; the second is worse at the rung at epoch 2 and is stopped there. Its
        // program ignores SIGTERM, so the SIGKILL after the 1 s grace ends it.
        scratch.write("""
            name: early
            program: train.py
            metric: {name: loss}
            method: grid
            stop_grace_seconds: 1
            early_terminate: {type: hyperband, min_iter: 2, eta: 3}
            parameters:
              q: {values: [1, 2]}
              lines: {value: 30}
              sleep: {value: 0.2}
              ignore_term: {value: 1}
            """, to: "early.yaml")
        let run = try SweepBinary.start(["run", "early.yaml", "--workers", "2"], directory: scratch.path, log: "run-")
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        let spec = try SweepSpec(contentsOf: scratch.file("early.yaml"))
        let worse = spec.point(at: 1).id
        #expect(await Processes.await(seconds: 60) { scratch.exists("pids/\(worse)-1") }, "\(scratch.text("run-stderr.log"))")
        let pid = try #require(Int32(scratch.text("pids/\(worse)-1")))
        #expect(await Processes.await(seconds: 30) { scratch.exists("term/\(worse)") }, "no SIGTERM came")
        #expect(await Processes.await(seconds: 10) { !Processes.isAlive(pid) }, "the program outlived its stop")
        let died = Date().timeIntervalSince1970
        let terminated = try #require(Double(scratch.text("term/\(worse)")))
        // SIGKILL not before one grace after SIGTERM (this poll may see it late on a busy machine, never early).
        #expect(died - terminated > 0.9, "SIGTERM at \(terminated), gone by \(died)")
        try await run.waitForExit()
        // What ended it is in its log: SIGKILL, while it still printed a line every 0.2 s, about five after the
        // SIGTERM (at most twelve, 2.5 s of them; a slowed program prints fewer, never more).
        let log = scratch.text("Results/early/logs/\(worse).log")
        #expect(log.split(separator: "\n").first?.contains(", stopped, killed by signal 9") == true, "\(log)")
        let printedAfter = log.components(separatedBy: "SIGTERM\n").dropFirst().first?.split(separator: "\n")
            .filter { $0.hasPrefix("{\"epoch\"") }.count
        #expect(printedAfter.map { $0 <= 12 } == true, "\(log)")
        #expect(run.terminationStatus == 0, "\(scratch.text("run-stderr.log"))")
        let trials = Results(scratch.file("Results/early")).trials
        let stopped = try #require(trials.first { $0.id == worse })
        #expect(stopped.status == .stopped && stopped.stoppedAt == 2 && stopped.epochsRun == 2)
        #expect(trials.first { $0.id != worse }?.status == .completed)
    }

    @Test func failingHangingSilentAndNoisyProgramsAreRecordedAsTheyEnded() async throws {
        let scratch = Scratch()
        scratch.write("""
            import os, sys, time
            mode = sys.argv[1].split("=")[1]
            if mode == "fail":
                print("starting", flush=True)
                print("warming up", file=sys.stderr)
                print("boom: the data is not there", file=sys.stderr)
                sys.exit(3)
            if mode == "hang":
                time.sleep(600)
            if mode == "silent":
                print("no metric today")
                sys.exit(0)
            if mode == "junk":
                block = ("x" * 1023 + "\\n") * 1024
                for _ in range(100):
                    sys.stdout.write(block)
            print('{"loss": 0.5}', flush=True)
            """, to: "modes.py")
        scratch.write("""
            name: modes
            program: modes.py
            metric: {name: loss}
            max_seconds: 4
            stop_grace_seconds: 1
            parameters:
              mode: {values: [fail, hang, silent, junk, ok]}
            """, to: "modes.yaml")
        let run = try await SweepBinary.run(["run", "modes.yaml", "--workers", "2"], environment: ["TMPDIR": scratch.path],
                                            directory: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        let trials = Results(scratch.file("Results/modes")).trials
        func trial(_ mode: String) -> TrialRecord? { trials.first { $0.point.values.first?.value == .string(mode) } }
        #expect(trials.count == 5)
        #expect(trial("fail")?.status == .failed && trial("fail")?.reason == "exit 3: boom: the data is not there")
        #expect(trial("hang")?.status == .failed && trial("hang")?.reason == "timeout")
        #expect(trial("silent")?.status == .failed && trial("silent")?.reason == "exited 0 without printing loss")
        #expect(trial("junk")?.status == .completed && trial("junk")?.metric("loss") == 0.5)
        #expect(trial("ok")?.status == .completed && trial("ok")?.attempts == 1)
        // The logs: the failure's stderr where the results are; 100 MB of junk cut to its last 10 MB.
        let failed = try #require(trial("fail"))
        #expect(scratch.text("Results/modes/logs/\(failed.id).log").contains("boom: the data is not there"))
        let junk = try #require(trial("junk"))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: scratch.file("Results/modes/logs/\(junk.id).log"))[.size] as? Int)
        #expect(size > 10_000_000 && size < 10_600_000, "\(size) bytes")
    }

    @Test func hyperbandAndBayesOverAProgramGiveTheSameRowsOnOneWorkerAndTwo() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: adaptive
            program: train.py
            metric: {name: loss}
            method: bayes
            run_cap: 16
            parallelism: 2
            random_seed: 5
            early_terminate: {type: hyperband, min_iter: 1, eta: 3}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              lines: {value: 9}
            """, to: "adaptive.yaml")
        var outcomes: [[String: [String]]] = []
        for workers in [1, 2] {
            let run = try await SweepBinary.run(["run", "adaptive.yaml", "--workers", "\(workers)", "--results", "r\(workers)"],
                                                environment: Self.environment(scratch), directory: scratch.path)
            #expect(run.status == 0, "\(run.stderr)")
            outcomes.append(Results(scratch.file("r\(workers)")).outcomes)
        }
        #expect(outcomes[0].count == 16 && outcomes[0] == outcomes[1])
        let trials = Results(scratch.file("r1")).trials
        #expect(trials.contains { $0.status == .stopped }, "hyperband stopped nothing")
        // Past bayes's random start (and its horizon), the values are its proposals, not the random draws.
        let spec = try SweepSpec(contentsOf: scratch.file("adaptive.yaml"))
        #expect(trials.contains { ($0.number ?? 0) >= 13 && $0.point != spec.point(at: $0.number!) })
    }
}

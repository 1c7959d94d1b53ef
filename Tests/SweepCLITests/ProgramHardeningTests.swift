import Foundation
import SweepCore
import Programs
import Sweeping
import SweepTestSupport
import Testing
import SweepFiles

/// Program sweeps as a careless user writes them, through the real binary and real workers: helpers
/// that detach are gone when their trial is recorded, when their worker is SIGKILLed and when
/// `sweep run` gets SIGINT; a NaN is `diverged` everywhere; a killed attempt's log survives; a fresh
/// folder gives fresh trial folders; each worker gets its own GPU. Every wait is awaited off Swift
/// Testing's threads.
@Suite("Program hardening", .heavy, .timeLimit(.minutes(10)))
struct ProgramHardeningTests {
    /// A program that leaves a helper behind as `--mode` says (a new session, a double fork whose
    /// middle process exits at once, a new session ignoring SIGTERM), writes the helper's pid to
    /// `helpers/<trial>-<attempt>` and its `$SWEEP_TRIAL_DIR` to `dirs/<trial>-<attempt>`, prints
    /// `--lines` metric lines (`loss` is NaN when `--nan` is set), sleeping `--sleep` between them,
    /// and, with `--stay`, sleeps on in its first attempt.
    static let program = """
        import argparse, json, os, subprocess, sys, time
        p = argparse.ArgumentParser()
        p.add_argument("--mode", default="none")
        p.add_argument("--lines", type=int, default=1)
        p.add_argument("--sleep", type=float, default=0.0)
        p.add_argument("--stay", type=int, default=0)
        p.add_argument("--nan", type=int, default=0)
        p.add_argument("--x", type=float, default=1.0)
        a = p.parse_args()
        trial, attempt = os.environ["SWEEP_TRIAL_ID"], os.environ["SWEEP_ATTEMPT"]
        name = f"{trial}-{attempt}"
        for folder in ("helpers", "dirs"):
            os.makedirs(folder, exist_ok=True)
        open(f"dirs/{name}", "w").write(os.environ["SWEEP_TRIAL_DIR"])
        if a.mode != "none":
            helper = ("import os, signal, time\\n"
                      + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n" if a.mode == "ignore" else "")
                      + f"open('helpers/{name}.tmp', 'w').write(str(os.getpid())); os.rename('helpers/{name}.tmp', 'helpers/{name}'); time.sleep(600)")
            if a.mode == "double":
                if os.fork() == 0:
                    if os.fork() == 0:
                        os.execv(sys.executable, [sys.executable, "-c", helper])
                    os._exit(0)
                os.wait()
            else:
                subprocess.Popen([sys.executable, "-c", helper], start_new_session=True)
            while not os.path.exists(f"helpers/{name}"):
                time.sleep(0.01)
        print(f"attempt {attempt} starts", flush=True)
        for epoch in range(1, a.lines + 1):
            if a.sleep:
                time.sleep(a.sleep)
            loss = float("nan") if a.nan and epoch == a.lines else a.x / epoch
            print(json.dumps({"epoch": epoch, "loss": loss}), flush=True)
        if a.stay and attempt == "1":
            time.sleep(600)
        """

    static func scratch() -> Scratch {
        let scratch = Scratch()
        scratch.write(Self.program, to: "train.py")
        return scratch
    }

    /// The helpers' pids, by `<trial>-<attempt>`.
    static func helpers(_ scratch: Scratch) -> [String: Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.file("helpers"))) ?? []
        return Dictionary(uniqueKeysWithValues: names.filter { !$0.hasSuffix(".tmp") }.compactMap { name in
            Int32(scratch.text("helpers/" + name)).map { (name, $0) }
        })
    }

    static func run(_ arguments: [String], _ scratch: Scratch) async throws -> SweepBinary.Outcome {
        try await SweepBinary.run(arguments, environment: ["TMPDIR": scratch.path], directory: scratch.path)
    }

    @Test func everyHelperIsGoneWhenItsTrialIsRecorded() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: helpers
            program: train.py
            metric: {name: loss}
            stop_grace_seconds: 1
            parameters:
              mode: {values: [session, double, ignore]}
              lines: {value: 2}
            """, to: "helpers.yaml")
        let run = try SweepBinary.start(["run", "helpers.yaml", "--workers", "1"], directory: scratch.path, log: "run-",
                                        environment: ["TMPDIR": scratch.path])
        // As each row lands, its trial's helper is already gone: the row waits for it.
        let seen = await Processes.await(seconds: 120) {
            let trials = Results(scratch.file("Results/helpers")).trials
            let helpers = Self.helpers(scratch)
            for trial in trials {
                if let pid = helpers["\(trial.id)-1"], Processes.isAlive(pid) {
                    Issue.record("trial \(trial.id) is recorded while its helper \(pid) runs")
                }
            }
            return trials.count == 3 || !run.isRunning
        }
        #expect(seen)
        try await run.waitForExit()
        #expect(run.terminationStatus == 0, "\(scratch.text("run-stderr.log"))")
        let trials = Results(scratch.file("Results/helpers")).trials
        #expect(trials.count == 3 && trials.allSatisfy { $0.status == .completed })
        let helpers = Self.helpers(scratch)
        #expect(helpers.count == 3 && helpers.values.allSatisfy { !Processes.isAlive($0) }, "\(helpers)")
        for trial in trials {
            let ignoring = trial.point["mode"] == .string("ignore")
            #expect(trial.reason == (ignoring ? "it left 1 process running; 1 ignored SIGTERM and was killed after the 1 s grace"
                                              : "it left 1 process running; ended with SIGTERM"), "\(trial.reason)")
        }
    }

    @Test func aSIGKILLedWorkerTakesItsHelpersAndLeavesItsAttemptsLog() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: killed
            program: train.py
            metric: {name: loss}
            stop_grace_seconds: 1
            parameters:
              mode: {value: ignore}
              lines: {value: 3}
              stay: {value: 1}
            """, to: "killed.yaml")
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(["killed.yaml", "--bind", "tcp://127.0.0.1:*"] + FaultTests.fast,
                                                                            scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let environment = ["TMPDIR": scratch.path]
        let first = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "first"], directory: scratch.path, log: "w1-",
                                          environment: environment)
        // The first attempt prints its lines, then stays: kill its worker once the log has them.
        let id = try SweepSpec(contentsOf: scratch.file("killed.yaml")).point(at: 0).id
        #expect(await Processes.await(seconds: 60) { scratch.text("Results/killed/logs/\(id).log").contains("\"epoch\": 3") },
                "the first attempt's output never reached the log: \(scratch.text("w1-stderr.log"))")
        let helper = try #require(Self.helpers(scratch)["\(id)-1"])
        #expect(Processes.isAlive(helper))
        kill(first.processIdentifier, SIGKILL)
        try await first.waitForExit()
        // The supervisor outlives its worker by the grace: SIGTERM, which the helper ignores, then SIGKILL.
        #expect(await Processes.await(seconds: 10) { !Processes.isAlive(helper) }, "the helper \(helper) outlived its worker")
        let second = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "second"], directory: scratch.path, log: "w2-",
                                           environment: environment)
        try await coordinator.waitForExit()
        try await second.waitForExit()
        #expect(coordinator.terminationStatus == 0, "\(scratch.text("c-stderr.log"))")
        let trial = try #require(Results(scratch.file("Results/killed")).trials.first)
        #expect(trial.status == .completed && trial.attempts == 2 && trial.worker == "second")
        // The requeued attempt kept the trial's folder.
        #expect(scratch.text("dirs/\(id)-1") == scratch.text("dirs/\(id)-2") && !scratch.text("dirs/\(id)-1").isEmpty)
        // Both attempts' logs, one after the other, each headed by its number, worker and end.
        let log = scratch.text("Results/killed/logs/\(id).log")
        let headers = log.split(separator: "\n").filter { $0.hasPrefix("=== sweep: attempt") }
        #expect(headers == ["=== sweep: attempt 1, worker first, no end received: its worker was lost ===",
                            "=== sweep: attempt 2, worker second, exit 0; it left 1 process running; 1 ignored SIGTERM and was killed after the 1 s grace ==="],
                "\(log)")
        #expect(log.contains("attempt 1 starts") && log.contains("attempt 2 starts"))
        #expect(!Processes.isAlive(Self.helpers(scratch)["\(id)-2"] ?? 1))
    }

    @Test func ctrlCOfSweepRunLeavesNoHelper() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: interrupted
            program: train.py
            metric: {name: loss}
            stop_grace_seconds: 1
            parameters:
              mode: {values: [ignore, session, double]}
              stay: {value: 1}
            """, to: "interrupted.yaml")
        let run = try SweepBinary.start(["run", "interrupted.yaml", "--workers", "2"], directory: scratch.path, log: "run-",
                                        environment: ["TMPDIR": scratch.path])
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        #expect(await Processes.await(seconds: 60) { Self.helpers(scratch).count >= 2 }, "\(scratch.text("run-stderr.log"))")
        kill(run.processIdentifier, SIGINT)
        try await run.waitForExit()
        #expect(run.terminationStatus == ExitStatus.interrupted, "\(scratch.text("run-stderr.log"))")
        let helpers = Self.helpers(scratch)
        #expect(await Processes.await(seconds: 10) { !helpers.values.contains(where: Processes.isAlive) },
                "helpers left: \(helpers.filter { Processes.isAlive($0.value) })")
    }

    @Test func aNaNIsDivergedInTheRowsTheRankingTheStatusAndTheReport() async throws {
        let scratch = Self.scratch()
        scratch.write("""
            name: nan
            program: train.py
            metric: {name: loss}
            parameters:
              x: {values: [1, 2, 3]}
              nan: {values: [0, 1]}
              lines: {value: 2}
            """, to: "nan.yaml")
        let run = try await Self.run(["run", "nan.yaml", "--workers", "2"], scratch)
        #expect(run.status == 0, "\(run.stderr)")
        let trials = Results(scratch.file("Results/nan")).trials
        #expect(trials.count == 6)
        for trial in trials {
            let nan = trial.point["nan"] == .int(1)
            #expect(trial.status == (nan ? .diverged : .completed), "\(trial)")
            if nan { #expect(trial.epochsRun == 2 && trial.metric("loss")?.isNaN == true) }
        }
        let rank = try await Self.run(["rank", "Results/nan"], scratch)
        let lines = rank.stdout.split(separator: "\n")
        #expect(lines.count == 7 && lines[1...3].allSatisfy { $0.contains("completed") } && lines[4...6].allSatisfy { $0.contains("diverged") },
                "\(rank.stdout)")
        let json = try await Self.run(["rank", "Results/nan", "--json"], scratch)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["status"] as? String } == ["completed", "completed", "completed", "diverged", "diverged", "diverged"])
        let status = try await Self.run(["status", "Results/nan"], scratch)
        #expect(status.stdout.contains("diverged: 3"), "\(status.stdout)")
        let report = try await Self.run(["report", "Results/nan"], scratch)
        #expect(report.status == 0, "\(report.stderr)")
        // Three ranking rows, and the trial table's status filter offers it.
        #expect(scratch.text("Results/nan/report.html").components(separatedBy: ">diverged<").count == 5)
    }

    @Test func aFreshFolderGivesFreshTrialFolders() async throws {
        let scratch = Self.scratch()
        scratch.write("name: fresh\nprogram: train.py\nmetric: {name: loss}\nparameters:\n  x: {value: 1}\n", to: "fresh.yaml")
        let id = try SweepSpec(contentsOf: scratch.file("fresh.yaml")).point(at: 0).id
        let first = try await Self.run(["run", "fresh.yaml", "--workers", "1"], scratch)
        #expect(first.status == 0, "\(first.stderr)")
        let before = scratch.text("dirs/\(id)-1")
        let again = try await Self.run(["run", "fresh.yaml", "--workers", "1", "--fresh"], scratch)
        #expect(again.status == 0, "\(again.stderr)")
        let after = scratch.text("dirs/\(id)-1")
        #expect(!before.isEmpty && !after.isEmpty && before != after, "\(before) \(after)")
        #expect(before.hasSuffix("/" + id) && after.hasSuffix("/" + id) && before.contains("/sweep-trials/fresh/"))
    }

    @Test func eachWorkerGetsItsOwnGPU() async throws {
        let scratch = Scratch()
        scratch.write("""
            import json, os
            print(json.dumps({"loss": 1.0, "device": int(os.environ["CUDA_VISIBLE_DEVICES"])}))
            """, to: "gpu.py")
        scratch.write("name: gpus\nprogram: gpu.py\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2, 3, 4, 5, 6]}\n", to: "gpus.yaml")
        let run = try await Self.run(["run", "gpus.yaml", "--gpus", "3,5"], scratch)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("2 workers"), "\(run.stderr)")
        let results = Results(scratch.file("Results/gpus"))
        let epochs = results.epochs
        for trial in results.trials {
            let device = try #require(epochs[trial.id]?.last?.value(named: "device"))
            #expect(trial.worker.hasSuffix("/gpu\(Int(device))") && [3, 5].contains(Int(device)), "\(trial.worker) \(device)")
        }
        let bad = try await Self.run(["run", "gpus.yaml", "--gpus", "0,,1"], scratch)
        #expect(bad.status == ExitStatus.usage && bad.stderr.contains("--gpus takes device ids"), "\(bad.stderr)")
    }

    @Test func aValueWithALineBreakDoesNotBreakTheTable() async throws {
        let scratch = Scratch()
        scratch.write("import json\nprint(json.dumps({'loss': 1.0}))\n", to: "p.py")
        scratch.write("name: breaks\nprogram: p.py\nmetric: {name: loss}\nparameters:\n  note: {values: [\"a\\nb\", \"c\\td\"]}\n",
                      to: "breaks.yaml")
        let run = try await Self.run(["run", "breaks.yaml", "--workers", "1"], scratch)
        #expect(run.status == 0, "\(run.stderr)")
        let rank = try await Self.run(["rank", "Results/breaks"], scratch)
        let lines = rank.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 3 && rank.stdout.contains("a\\nb") && rank.stdout.contains("c\\td"), "\(rank.stdout)")
        #expect(rank.stderr.isEmpty, "\(rank.stderr)")
    }
}

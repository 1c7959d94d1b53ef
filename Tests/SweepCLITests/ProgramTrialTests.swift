import Foundation
import SweepTestSupport
import Testing

/// Program sweeps through the real binary: `sweep check` shows each trial's command, `sweep try`
/// runs one as a worker would (exact argv, environment, metric lines), and a killed `sweep try`
/// leaves no program behind.
@Suite("Program trials")
struct ProgramTrialTests {
    /// Writes its argv, its SWEEP_* variables and the JSON file's text into the log, then one metric line.
    static let echo = """
        import json, os, sys
        env = {k: v for k, v in os.environ.items() if k.startswith("SWEEP_")}
        json_file = next((a for a in sys.argv if a.endswith("args.json")), None)
        print(json.dumps({"argv": sys.argv[1:], "env": env, "file": open(json_file).read() if json_file else None}))
        print(json.dumps({"epoch": 1, "loss": 0.5}))
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func everyMacroGivesTheProgramTheArgvWandBWould() async throws {
        let scratch = Scratch()
        scratch.write(Self.echo, to: "echo.py")
        scratch.write("""
            name: macros
            program: echo.py
            command:
              - ${env}
              - ${interpreter}
              - ${program}
              - ${args}
              - ${args_no_hyphens}
              - ${args_no_boolean_flags}
              - ${args_json}
              - ${args_json_file}
              - --home=${envvar:SWEEP_TEST_HOME}
              - ${hydra:runtime.cwd}
            metric: {name: loss}
            parameters:
              lr: {value: 0.001}
              flag: {value: false}
              opt: {parameters: {name: {value: adam}}}
            """, to: "macros.yaml")
        let outcome = try await SweepBinary.run(["try", "macros.yaml", "--log", "trial.log"], environment: ["SWEEP_TEST_HOME": "/h"],
                                                directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stdout) \(outcome.stderr)")
        #expect(outcome.stdout.contains("  epoch 1: loss=0.5\ncompleted: 1 metric lines; loss 0.5 at the end"), "\(outcome.stdout)")
        let first = try #require(scratch.text("trial.log").split(separator: "\n").first)
        let echoed = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        let argv = try #require(echoed["argv"] as? [String])
        let env = try #require(echoed["env"] as? [String: String])
        let directory = try #require(env["SWEEP_TRIAL_DIR"])
        #expect(argv == ["--flag=False", "--lr=0.001", "--opt={'name': 'adam'}",
                         "flag=False", "lr=0.001", "opt={'name': 'adam'}",
                         "--lr=0.001", "--opt={'name': 'adam'}",
                         #"{"flag": false, "lr": 0.001, "opt": {"name": "adam"}}"#,
                         directory + "/args.json", "--home=/h", "${hydra:runtime.cwd}"])
        #expect(echoed["file"] as? String == #"{"flag": false, "lr": 0.001, "opt": {"name": "adam"}}"#)
        #expect(env["SWEEP_ATTEMPT"] == "1" && env["SWEEP_METRICS_FD"] == "3")
        // Each `sweep try` is a run of its own, with a trial folder of its own.
        #expect(env["SWEEP_TRIAL_ID"].map { directory.hasSuffix("/" + $0) && directory.contains("/macros/try-") } == true, "\(directory)")
        // sweep check shows the same command, and a worker of sweep run gives the program the same argv:
        // its log, kept beside the results, starts with the same line.
        let check = try await SweepBinary.run(["check", "macros.yaml"], directory: scratch.path)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("  0  ") && check.stdout.contains("flag=False lr=0.001 opt.name=adam"), "\(check.stdout)")
        #expect(check.stdout.contains("     $ /usr/bin/env "), "\(check.stdout)")
        let run = try await SweepBinary.run(["run", "macros.yaml", "--workers", "1"], environment: ["SWEEP_TEST_HOME": "/h"],
                                            directory: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(env["SWEEP_TRIAL_ID"])
        let workerLog = scratch.text("Results/macros/logs/\(id).log").split(separator: "\n")
        #expect(workerLog.first?.hasPrefix("=== sweep: attempt 1, worker ") == true && workerLog.first?.hasSuffix(", exit 0 ===") == true,
                "\(workerLog)")
        let workerFirst = try #require(workerLog.dropFirst().first)
        let workerEcho = try #require(try JSONSerialization.jsonObject(with: Data(workerFirst.utf8)) as? [String: Any])
        // The same argv but for the args.json file, which is in the trial's folder of that run.
        let workerArgv = try #require(workerEcho["argv"] as? [String])
        func withoutFile(_ argv: [String]) -> [String] { argv.filter { !$0.hasSuffix("/args.json") } }
        #expect(withoutFile(workerArgv) == withoutFile(argv) && workerArgv.count == argv.count)
        #expect(workerArgv.contains { $0.hasSuffix("/\(id)/args.json") && !$0.contains("/try-") }, "\(workerArgv)")
        let trials = scratch.text("Results/macros/trials.csv").split(separator: "\n")
        #expect(trials.first?.hasPrefix("trial,status,flag,lr,opt.name,loss,best_loss,best_epoch,") == true, "\(trials)")
        #expect(trials.count == 2 && trials[1].hasPrefix("\(id),completed,False,0.001,adam,0.5,0.5,1,1,"), "\(trials)")
    }

    @Test(.timeLimit(.minutes(3))) func killingSweepTryTakesTheProgramAndItsChildren() async throws {
        let scratch = Scratch()
        scratch.write("""
            import os, signal, subprocess, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            open("pids.tmp", "w").write(f"{os.getpid()} {child.pid}")
            os.rename("pids.tmp", "pids")
            time.sleep(600)
            """, to: "hang.py")
        scratch.write("program: hang.py\nmetric: {name: loss}\nparameters:\n  a: {value: 1}\n", to: "hang.yaml")
        let process = try SweepBinary.start(["try", "hang.yaml", "--stop-grace", "1"], directory: scratch.path, log: "try")
        #expect(await Processes.await(seconds: 30) { scratch.exists("pids") }, "the program never started")
        let pids = scratch.text("pids").split(separator: " ").compactMap { Int32($0) }
        #expect(pids.count == 2 && pids.allSatisfy(Processes.isAlive))
        kill(process.processIdentifier, SIGKILL)
        try await process.waitForExit()
        // The program ignores SIGTERM: the supervisor's SIGKILL after the 1 s grace ends both.
        #expect(await Processes.await(seconds: 10) { !pids.contains(where: Processes.isAlive) },
                "orphans left: \(pids.filter(Processes.isAlive))")
        for pid in pids where Processes.isAlive(pid) { kill(pid, SIGKILL) }
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func sweepTrainAsTheProgramGivesTheBuiltInTrainersNumbers() async throws {
        // The same two configurations swept twice: by the built-in trainer, and by workers running
        // `sweep train --json` as a program (its flags are the hyperparameters' names with hyphens).
        let scratch = Scratch()
        scratch.write("""
            name: as-program
            command:
              - \(SweepBinary.url.path)
              - train
              - --json
              - ${args}
            metric: {name: test_loss}
            parameters:
              learning-rate: {values: [0.05, 0.1]}
              epochs: {value: 2}
              train-limit: {value: 1000}
              test-limit: {value: 200}
              momentum: {value: 0.9}
            """, to: "program.yaml")
        scratch.write("""
            name: built-in
            parameters:
              learning_rate: {values: [0.05, 0.1]}
              epochs: {value: 2}
              train_limit: {value: 1000}
              test_limit: {value: 200}
              momentum: {value: 0.9}
            """, to: "built-in.yaml")
        let tried = try await SweepBinary.run(["try", "program.yaml"], directory: scratch.path)
        #expect(tried.status == 0, "\(tried.stdout) \(tried.stderr)")
        for file in ["program.yaml", "built-in.yaml"] {
            let run = try await SweepBinary.run(["run", file, "--workers", "2"], environment: ["TMPDIR": scratch.path],
                                                directory: scratch.path)
            #expect(run.status == 0, "\(run.stderr)")
        }
        // Each trial's epochs, to the bit: the program's through metrics.csv, the built-in's through epochs.csv.
        func curves(_ name: String) -> [[Double]] {
            let results = Results(scratch.file("Results/\(name)"))
            let epochs = results.epochs
            return results.trials.sorted { ($0.number ?? 0) < ($1.number ?? 0) }.map { trial in
                (epochs[trial.id] ?? []).flatMap { [$0.trainLoss, $0.testLoss, $0.testAccuracy] }
            }
        }
        let program = curves("as-program"), builtIn = curves("built-in")
        #expect(program.count == 2 && program.allSatisfy { $0.count == 6 })
        #expect(program == builtIn, "\(program) vs \(builtIn)")
        func finals(_ name: String) -> [Double?] {
            Results(scratch.file("Results/\(name)")).trials.sorted { ($0.number ?? 0) < ($1.number ?? 0) }.map { $0.metric("test_loss") }
        }
        #expect(finals("as-program") == finals("built-in"))
    }
}

/// The shipped examples: the standard-library one runs; the PyTorch one is checked (PyTorch is not
/// installed for the tests) and must at least compile.
@Suite("Program examples", .timeLimit(.minutes(2)))
struct ProgramExampleTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sweeps/examples").standardizedFileURL.path

    @Test func thePythonExampleChecksAndRuns() async throws {
        let sweep = Self.examples + "/python/sweep.yaml"
        let check = try await SweepBinary.run(["check", sweep])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("method: grid, 8 trials (1 × 2 × 2 × 2)"), "\(check.stdout)")
        let tried = try await SweepBinary.run(["try", sweep, "--trial", "2"])
        #expect(tried.status == 0, "\(tried.stdout) \(tried.stderr)")
        #expect(tried.stdout.split(separator: "\n").filter { $0.hasPrefix("  epoch ") }.count == 5, "\(tried.stdout)")
        #expect(tried.stdout.contains("completed: 5 metric lines"))
    }

    @Test func thePyTorchExampleChecksAndCompiles() async throws {
        let check = try await SweepBinary.run(["check", Self.examples + "/pytorch/sweep.yaml"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("--dropout=0.0 --epochs=10 --lr=0.01 --momentum=0.0 --seed=0"), "\(check.stdout)")
        let python = try #require(["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let compiled = try await ProcessRunner.run(URL(fileURLWithPath: python),
                                                   ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", Self.examples + "/pytorch/train.py"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
    }
}

import Foundation
import Testing
import SweepTestSupport
@testable import Programs
import SweepCore

/// Real child processes under the real supervisor: what each kind of program ends as, and that none
/// outlives its stop. Python from the standard library stands in for a user's training script.
/// Each run is waited for on a thread of its own. The time limit is a safety net against a hung
/// child, not a measure: each test asserts its own timings, with room for a loaded machine.
@Suite(.timeLimit(.minutes(6))) struct ProgramRunTests {
    let scratch = Scratch("programs")
    let clock = ContinuousClock()

    /// Runs `script` (Python) to its end with `limits`, on a thread of its own; stops it once
    /// `shouldStop` says so (given the time since the start).
    func run(_ script: String, limits: ProgramRun.Limits = .init(metric: "loss", stopGraceSeconds: 1),
             shouldStop: (@Sendable (Duration) -> Bool)? = nil) async throws -> (ProgramRun, Duration) {
        scratch.write(script, to: "program.py")
        let python = try #require(ProgramPath.search("python3", environment: ProcessInfo.processInfo.environment))
        let (scratch, clock) = (scratch, clock)
        return try await OffThread.run {
            let started = clock.now
            let run = try ProgramRun(executable: python, argv: ["python3", scratch.file("program.py")],
                                     environment: ProcessInfo.processInfo.environment.merging(["SWEEP_METRICS_FD": "3"]) { $1 },
                                     directory: scratch.path, limits: limits, now: started)
            _ = run.wait(clock: clock, shouldStop: { shouldStop?(clock.now - started) ?? false })
            return (run, clock.now - started)
        }
    }

    @Test func metricLinesFromStdoutAndTheMetricsDescriptor() async throws {
        let (run, _) = try await run("""
            import json, os, sys
            print("starting")
            print(json.dumps({"epoch": 1, "loss": 0.5, "acc": 0.8}))
            print(json.dumps({"note": "structured log without the metric"}), flush=True)
            with os.fdopen(3, "w") as metrics:
                metrics.write(json.dumps({"epoch": 2, "loss": 0.25}) + "\\n")
            print("to stderr", file=sys.stderr)
            """)
        #expect(run.outcome == .completed)
        // Two pipes: which is read first is up to the scheduler, so compare in epoch order.
        #expect(run.lines.sorted { ($0.epoch ?? 0) < ($1.epoch ?? 0) } == [MetricLine(epoch: 1, values: [.init("loss", 0.5), .init("acc", 0.8)]),
                              MetricLine(epoch: 2, values: [.init("loss", 0.25)])])
        let log = String(decoding: run.log.contents, as: UTF8.self)
        #expect(log.contains("starting") && log.contains("to stderr") && log.contains("structured log"))
        #expect(run.end == .exited(0))
    }

    @Test func aNonZeroExitFailsWithTheLastLineOfStderr() async throws {
        let (run, _) = try await run("""
            import sys
            print('{"loss": 1.0}')
            print("Traceback (most recent call last):", file=sys.stderr)
            print("ValueError: learning rate must be positive", file=sys.stderr)
            sys.exit(3)
            """)
        #expect(run.outcome == .failed("exit 3: ValueError: learning rate must be positive"))
    }

    @Test func theReasonIsTheLastNonBlankStderrLineHoweverItArrives() async throws {
        // A line split across writes (and so across reads), then blank lines after it.
        let (run, _) = try await run("""
            import sys, time
            sys.stderr.write("first\\nRuntimeError: out of me"); sys.stderr.flush(); time.sleep(0.3)
            sys.stderr.write("mory\\n\\n   \\n"); sys.stderr.flush()
            sys.exit(1)
            """)
        #expect(run.outcome == .failed("exit 1: RuntimeError: out of memory"))
    }

    @Test func exitZeroWithoutTheMetricFails() async throws {
        let (run, _) = try await run("print('{\"accuracy\": 0.9}')\nprint('done')")
        #expect(run.outcome == .failed("exited 0 without printing loss (it printed accuracy)"))
    }

    @Test func aMisspelledMetricGetsTheNamesThatWerePrinted() async throws {
        let (run, _) = try await run("print('{\"epoch\": 1, \"val_loss\": 0.5, \"acc\": 0.8}')",
                                     limits: .init(metric: "val_los", stopGraceSeconds: 1))
        #expect(run.outcome == .failed("exited 0 without printing val_los (it printed val_loss, acc: did you mean val_loss?)"))
    }

    @Test func aHangingProgramTimesOutWithinTheGrace() async throws {
        // It ignores SIGTERM too, so only the SIGKILL after the grace ends it. (max_seconds counts from
        // the start: 3 s leaves Python time to start and ignore SIGTERM on a busy machine.)
        let (run, elapsed) = try await run("""
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print('{"loss": 1.0}', flush=True)
            time.sleep(600)
            """, limits: .init(metric: "loss", maxSeconds: 3, stopGraceSeconds: 0.5))
        #expect(run.outcome == .failed("timeout"))
        #expect(run.end == .signaled(SIGKILL))
        // Not before the limit and its grace; and long before the program's own 600 s (with room for
        // a loaded machine: the SIGKILL above says what ended it).
        #expect(elapsed < .seconds(60))
        #expect(elapsed >= .seconds(3.5))
    }

    @Test func aStopEndsTheWholeGroupWithinTheGrace() async throws {
        // A program that ignores SIGTERM and has a child of its own that ignores it as well.
        let (run, elapsed) = try await run("""
            import os, signal, subprocess, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
            open(os.path.join(os.getcwd(), "child.pid"), "w").write(str(child.pid))
            print('{"loss": 1.0}', flush=True)
            time.sleep(600)
            """, limits: .init(metric: "loss", stopGraceSeconds: 0.5),
            shouldStop: { [scratch] elapsed in elapsed >= .seconds(1) && scratch.exists("child.pid") })
        #expect(run.outcome == .stopped)
        // Long before the 600 s it would sleep unstopped (with room for a loaded machine).
        #expect(elapsed < .seconds(60))
        let pid = try #require(Int32(scratch.text("child.pid")))
        #expect(await Processes.await(seconds: 5) { !Processes.isAlive(pid) }, "the program's own child outlived the stop")
    }

    @Test func aHundredMegabytesOfJunkCostsOnlyTheLogsCap() async throws {
        let (run, _) = try await run("""
            import os, sys
            chunk = b"x" * (1 << 20)
            for _ in range(60):
                sys.stdout.buffer.write(chunk)          # one 60 MB line with no end
            sys.stdout.buffer.write(b"\\n")
            for _ in range(40):
                sys.stderr.buffer.write(b"junk line\\n" * 104858)
            sys.stdout.buffer.write(b'{"loss": 0.125}\\n')
            """, limits: .init(metric: "loss", stopGraceSeconds: 1, logCapacity: 1 << 20))
        #expect(run.outcome == .completed)
        #expect(run.lines == [MetricLine(epoch: 1, values: [.init("loss", 0.125)])])
        #expect(run.log.contents.count < (1 << 20) + 200)
        #expect(run.log.droppedBytes > 90_000_000)
        #expect(run.lastErrorLine == "junk line")
    }

    @Test func aProgramThatCannotStartSaysSo() async throws {
        try await scratch.writeExecutable("#!/nonexistent/interpreter\n", to: "broken")
        let (scratch, clock) = (scratch, clock)
        let outcome = try await OffThread.run {
            let run = try ProgramRun(executable: scratch.file("broken"), argv: ["broken"], environment: [:], directory: scratch.path,
                                     limits: .init(metric: "loss"), now: clock.now)
            return run.wait()
        }
        guard case .failed(let reason) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(reason.hasPrefix("exit 127: sweep: cannot start the program (errno 2)"), "\(reason)")
    }
}

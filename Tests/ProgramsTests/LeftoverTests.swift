import Foundation
import Testing
import SweepTestSupport
@testable import Programs
import SweepCore

/// Nothing a trial starts outlives it, however it detached: real programs under the real
/// supervisor, each leaving a helper behind (in a new session, through a double fork whose middle
/// process exits at once, or ignoring SIGTERM), checked by pid the moment the run is over. Each case
/// runs with the trial's cgroup and without it (the subreaper alone), and the cgroup alone is shown
/// to catch a helper whose supervisor was killed.
@Suite(.timeLimit(.minutes(3))) struct LeftoverTests {
    /// How the program leaves its helper behind.
    enum Detach: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case newSession, doubleFork, ignoresTerm
        var testDescription: String { rawValue }
    }

    /// A program that starts a helper as `detach` says, waits until the helper has written its pid
    /// (so a SIGTERM cannot come before its handler), prints its metric and exits, or with
    /// `stay` sleeps on.
    static func program(_ detach: Detach, stay: Bool = false) -> String {
        """
        import json, os, subprocess, sys, time
        helper = ("import os, signal, time\\n"
                  + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n" if \(detach == .ignoresTerm ? "True" : "False") else "")
                  + "open('helper.tmp', 'w').write(str(os.getpid())); os.rename('helper.tmp', 'helper.pid'); time.sleep(600)")
        if "\(detach.rawValue)" == "doubleFork":
            if os.fork() == 0:
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", helper])
                os._exit(0)
            os.wait()
        else:
            subprocess.Popen([sys.executable, "-c", helper], start_new_session=True)
        while not os.path.exists("helper.pid"):
            time.sleep(0.01)
        print(json.dumps({"loss": 0.5}), flush=True)
        open("printed.tmp", "w").write("yes"); os.rename("printed.tmp", "printed")
        if \(stay ? "True" : "False"):
            time.sleep(600)
        """
    }

    /// What a run came to.
    struct Ended: Sendable {
        var outcome: ProgramRun.Outcome
        var leftoverNote: String?
        var endDescription: String
        var epochs: [Int?]
        var cgroup: String?
    }

    /// Runs `script` in `scratch` with the trial cgroup on or off; returns how it ended, the helper's pid and the time taken.
    static func run(_ script: String, in scratch: Scratch, cgroup: Bool, grace: Double = 1,
                    stopOnceStarted: Bool = false, killSupervisor: Bool = false) async throws -> (Ended, Int32, Duration) {
        scratch.write(script, to: "program.py")
        let python = try #require(ProgramPath.search("python3", environment: ProcessInfo.processInfo.environment))
        let environment = ProcessInfo.processInfo.environment.merging(["SWEEP_METRICS_FD": "3"]) { $1 }
        return try await OffThread.run {
            let clock = ContinuousClock()
            let started = clock.now
            let run = try ProgramRun(executable: python, argv: ["python3", scratch.file("program.py")], environment: environment,
                                     directory: scratch.path, limits: .init(metric: "loss", stopGraceSeconds: grace), now: started,
                                     cgroup: cgroup)
            _ = run.wait(clock: clock, shouldStop: {
                if killSupervisor, scratch.exists("helper.pid"), Processes.isAlive(run.supervisor) { kill(run.supervisor, SIGKILL) }
                // Stopped once the helper is there and the program has printed (it then sleeps on).
                return stopOnceStarted && scratch.exists("helper.pid") && scratch.text("printed") == "yes"
            })
            let ended = Ended(outcome: run.outcome!, leftoverNote: run.leftoverNote, endDescription: run.endDescription,
                              epochs: run.lines.map(\.epoch), cgroup: run.cgroup)
            return (ended, Int32(scratch.text("helper.pid")) ?? -1, clock.now - started)
        }
    }

    @Test(arguments: Detach.allCases, [true, false])
    func aHelperEndsWithItsTrial(_ detach: Detach, cgroup: Bool) async throws {
        if cgroup && TrialCgroup.parent == nil { return }  // no cgroup can be made here: the subreaper case covers it
        let scratch = Scratch("leftovers")
        let (run, helper, elapsed) = try await Self.run(Self.program(detach), in: scratch, cgroup: cgroup)
        #expect(helper > 0, "the helper never started")
        #expect(!Processes.isAlive(helper), "the helper (pid \(helper)) outlived its trial")
        #expect(run.outcome == .completed)
        #expect((run.cgroup != nil) == cgroup)
        if detach == .ignoresTerm {
            #expect(run.leftoverNote == "it left 1 process running; 1 ignored SIGTERM and was killed after the 1 s grace")
            #expect(elapsed >= .seconds(1), "killed before the grace was over")
        } else {
            #expect(run.leftoverNote == "it left 1 process running; ended with SIGTERM")
        }
        if let folder = run.cgroup { #expect(!FileManager.default.fileExists(atPath: folder), "the trial's cgroup was left") }
    }

    @Test(arguments: Detach.allCases)
    func aStopEndsTheHelperToo(_ detach: Detach) async throws {
        let scratch = Scratch("leftovers")
        let (run, helper, elapsed) = try await Self.run(Self.program(detach, stay: true), in: scratch, cgroup: true,
                                                        grace: 0.5, stopOnceStarted: true)
        #expect(run.outcome == .stopped)
        #expect(helper > 0 && !Processes.isAlive(helper), "the helper (pid \(helper)) outlived the stop")
        #expect(elapsed < .seconds(60))  // long before the 600 s it would sleep, with room for a loaded machine
    }

    @Test func theCgroupEndsAHelperWhoseSupervisorWasKilled() async throws {
        guard TrialCgroup.parent != nil else { return }  // only a cgroup can do this; the README says so
        let scratch = Scratch("leftovers")
        let (run, helper, _) = try await Self.run(Self.program(.newSession, stay: true), in: scratch, cgroup: true,
                                                  killSupervisor: true)
        #expect(run.outcome == .failed("killed by signal 9"))
        #expect(helper > 0)
        #expect(await Processes.await(seconds: 5) { !Processes.isAlive(helper) }, "the helper (pid \(helper)) outlived its cgroup")
    }

    @Test func aNonFiniteMetricIsDivergedAndStopsTheProgram() async throws {
        let scratch = Scratch("leftovers")
        let (run, _, elapsed) = try await Self.run("""
            import json, time
            print(json.dumps({"epoch": 1, "loss": 0.5}), flush=True)
            print('{"epoch": 2, "loss": NaN}', flush=True)
            print(json.dumps({"epoch": 3, "loss": 0.25}), flush=True)
            time.sleep(600)
            """, in: scratch, cgroup: true, grace: 0.5)
        #expect(run.outcome == .diverged)
        #expect(run.epochs == [1, 2], "lines after the non-finite one count")
        #expect(run.endDescription.hasPrefix("diverged (loss not finite), killed by signal 15"), "\(run.endDescription)")
        #expect(elapsed < .seconds(60))  // long before the 600 s it would sleep, with room for a loaded machine
    }

    @Test func theNotesSayWhatWasEnded() async {
        #expect(ProgramRun.note((0, 0), grace: 30) == nil)
        #expect(ProgramRun.note((2, 0), grace: 30) == "it left 2 processes running; ended with SIGTERM")
        #expect(ProgramRun.note((3, 1), grace: 30) == "it left 3 processes running; 1 ignored SIGTERM and was killed after the 30 s grace")
        #expect(ProgramRun.note((0, 2), grace: 0.5) == "2 processes it started ignored SIGTERM and were killed after the 0.5 s grace")
    }
}

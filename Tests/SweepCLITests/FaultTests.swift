import Foundation
import SweepCore
import Messaging
import Sweeping
import SweepTestSupport
import Testing
import Wire

/// Faults with real processes and real signals: workers and the coordinator SIGKILLed mid-sweep,
/// garbage on the socket, a worker of another protocol version.
@Suite("Faults")
struct FaultTests {

    /// Forty trials, each about a second in a debug build.
    static let chaosSweep = """
        name: chaos40
        parameters:
          learning_rate: {values: [0.01, 0.02, 0.05, 0.1, 0.2]}
          momentum: {values: [0.0, 0.5, 0.9, 0.95]}
          dropout: {values: [0.0, 0.4]}
          hidden: {value: "32"}
          epochs: {value: 3}
          train_limit: {value: 8000}
          test_limit: {value: 500}
        """

    static let fast = ["--heartbeat-ms", "200", "--liveness", "3"]

    /// Starts a coordinator and returns it with the endpoint it printed.
    static func startCoordinator(_ arguments: [String], scratch: Scratch, log: String) async throws -> (Process, String) {
        let process = try SweepBinary.start(["coordinator"] + arguments, directory: scratch.path, log: log)
        var endpoint: String?
        _ = await Processes.await(seconds: 60) {
            let text = scratch.text("\(log)stderr.log")
            guard let range = text.range(of: "listening on ") else { return !process.isRunning }
            endpoint = String(text[range.upperBound...].prefix { !$0.isWhitespace })
            return true
        }
        return (process, try #require(endpoint, "coordinator did not start: \(scratch.text("\(log)stderr.log"))"))
    }

    /// Whether a message arrives on `socket` within `seconds`: checked every 20 ms without waiting in
    /// `zmq_poll`, which would hold one of Swift Testing's threads while another process answers.
    static func message(on socket: borrowing Socket, within seconds: Double) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        while clock.now < deadline {
            if try socket.waitForMessage(milliseconds: 0) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try socket.waitForMessage(milliseconds: 0)
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func chaosKeepsEveryTrialExactlyOnceWithTheSameNumbers() async throws {
        let scratch = Scratch()
        scratch.write(Self.chaosSweep, to: "chaos40.yaml")
        // The reference: the same sweep without faults.
        let reference = try await SweepBinary.run(["run", "chaos40.yaml", "--workers", "2", "--results", "reference"],
                                                  directory: scratch.path)
        #expect(reference.status == 0, "\(reference.stderr)")

        // A long farewell: a replacement worker started just as the last result came in still hears bye.
        let arguments = ["chaos40.yaml", "--results", "chaos", "--max-attempts", "20", "--farewell-ms", "5000"] + Self.fast
        var (coordinator, endpoint) = try await Self.startCoordinator(arguments + ["--bind", "tcp://127.0.0.1:*"],
                                                                      scratch: scratch, log: "c0-")
        var workers: [Process] = []
        var started = 0
        func startWorker() throws {
            started += 1
            workers.append(try SweepBinary.start(["worker", "--connect", endpoint, "--name", "chaos-\(started)"],
                                                 directory: scratch.path, log: "w\(started)-"))
        }
        for _ in 0..<3 { try startWorker() }

        var generator = TestSeed.generator()
        var workerKills = 0, coordinatorKills = 0
        let killCoordinatorAt = [8, 22]
        let deadline = Date().addingTimeInterval(600)
        var lastWorkerKill = Date()
        while Date() < deadline {
            if !coordinator.isRunning && coordinator.terminationReason == .exit { break }  // finished
            let recorded = scratch.rows("chaos/trials.csv").count
            if coordinatorKills < killCoordinatorAt.count && recorded >= killCoordinatorAt[coordinatorKills] {
                kill(coordinator.processIdentifier, SIGKILL)
                try await coordinator.waitForExit()
                coordinatorKills += 1
                (coordinator, _) = try await Self.startCoordinator(arguments + ["--bind", endpoint], scratch: scratch,
                                                                   log: "c\(coordinatorKills)-")
            }
            // No new workers once everything is recorded: after the farewell nobody would tell them to leave.
            if recorded < 40, Date().timeIntervalSince(lastWorkerKill) > 2.5 {
                // A random live worker dies without warning; a new one takes its place.
                let live = workers.filter(\.isRunning)
                if !live.isEmpty {
                    let victim = live[generator.nextIndex(below: live.count)]
                    kill(victim.processIdentifier, SIGKILL)
                    try await victim.waitForExit()
                    workerKills += 1
                    try startWorker()
                }
                lastWorkerKill = Date()
            }
            try await Task.sleep(for: .milliseconds(50))  // pacing of the fault injector, not synchronisation
        }
        try await coordinator.waitForExit()
        #expect(coordinator.terminationStatus == 0, "coordinator: \(scratch.text("c\(coordinatorKills)-stderr.log"))")
        #expect(await Processes.await(seconds: 30) { workers.allSatisfy { !$0.isRunning } }, "workers did not say goodbye")
        for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) }

        let chaos = Results(scratch.file("chaos"))
        let ids = chaos.trials.map(\.id)
        let attempts = chaos.trials.map(\.attempts)
        print("chaos: \(workerKills) worker kills, \(coordinatorKills) coordinator kills, \(started) workers started; "
              + "attempts per trial: total \(attempts.reduce(0, +)), max \(attempts.max() ?? 0)")
        #expect(ids.count == 40)
        #expect(Set(ids).count == 40)
        #expect(coordinatorKills == 2)
        #expect(workerKills >= 3, "too few worker kills to mean anything")
        let faultFree = Results(scratch.file("reference"))
        let expected = faultFree.outcomes
        let observed = chaos.outcomes
        #expect(observed.count == 40)
        for (id, row) in expected {
            #expect(observed[id] == row, "trial \(id) differs from the fault-free run")
        }
        // Epoch rows too: each trial's epochs exactly once, with the same numbers.
        #expect(scratch.rows("chaos/epochs.csv").count == scratch.rows("reference/epochs.csv").count)
        #expect(chaos.epochFigures == faultFree.epochFigures)
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func garbageOnTheSocketIsDroppedWithoutStallingTheSweep() async throws {
        let scratch = Scratch()
        scratch.write(SweepRunTests.grid.replacingOccurrences(of: "grid8", with: "spray"), to: "spray.yaml")
        let (coordinator, endpoint) = try await Self.startCoordinator(
            ["spray.yaml", "--bind", "tcp://127.0.0.1:*"] + Self.fast, scratch: scratch, log: "c-")
        let baseline = try #require(Processes.residentKilobytes(coordinator.processIdentifier))

        // The sprayer connects first, so its garbage competes with the workers' traffic from the start.
        let context = try Context()
        let sprayer = try Socket(context, type: .dealer)
        try sprayer.connect(endpoint)
        var workers: [Process] = []
        for index in 0..<2 {
            workers.append(try SweepBinary.start(["worker", "--connect", endpoint, "--name", "honest-\(index)"],
                                                 directory: scratch.path, log: "w\(index)-"))
        }
        var generator = TestSeed.generator()
        let garbage: [[UInt8]] = [
            Array("not json".utf8), Array("{\"v\":1}".utf8), Array("{\"v\":1,\"type\":\"result\"}".utf8),
            Array("{\"v\":1,\"type\":\"ready\"}".utf8),  // a well-formed message without hello
            Array("{\"v\":99,\"type\":\"hello\"}".utf8), [],
        ]
        for index in 0..<1000 {
            let frame: [UInt8]
            switch index % 10 {
            case 0..<6: frame = garbage[index % 6]
            case 6: frame = [UInt8](repeating: UInt8(ascii: "{"), count: Message.maximumSize + 10)  // oversized
            default: frame = (0...generator.nextIndex(below: 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            try sprayer.send([frame])
        }
        // The coordinator reads everything and records the whole sweep.
        try await coordinator.waitForExit()
        #expect(coordinator.terminationStatus == 0, "\(scratch.text("c-stderr.log"))")
        let log = scratch.text("c-stderr.log")
        let dropped = log.split(separator: "\n").filter { $0.contains("dropped a message") }.count
        #expect(dropped >= 1000, "only \(dropped) frames were reported dropped")
        #expect(scratch.rows("Results/spray/trials.csv").count == 8)
        for worker in workers { try await worker.waitForExit() }
        print("spray: \(dropped) frames dropped; coordinator RSS \(baseline) kB before")
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func theCoordinatorsMemoryStaysFlatUnderGarbage() async throws {
        let scratch = Scratch()
        // One long trial keeps the coordinator up while it is sprayed.
        scratch.write("""
            name: flat
            parameters:
              hidden: {value: "16"}
              epochs: {value: 1}
              train_limit: {value: 500}
              test_limit: {value: 100}
            """, to: "flat.yaml")
        let (coordinator, endpoint) = try await Self.startCoordinator(["flat.yaml", "--bind", "tcp://127.0.0.1:*"] + Self.fast,
                                                                      scratch: scratch, log: "c-")
        defer { kill(coordinator.processIdentifier, SIGKILL) }
        let context = try Context()
        let sprayer = try Socket(context, type: .dealer)
        try sprayer.connect(endpoint)
        func spray(_ count: Int) throws {
            for index in 0..<count {
                try sprayer.send([Array("{\"v\":1,\"type\":\"garbage-\(index)\",\"pad\":\"\(String(repeating: "x", count: 2000))\"}".utf8)])
            }
        }
        // Warm up allocators, then measure the growth over 1,000 more frames.
        try spray(200)
        #expect(await Processes.await(seconds: 30) { scratch.text("c-stderr.log").components(separatedBy: "dropped a message").count > 200 })
        let before = try #require(Processes.residentKilobytes(coordinator.processIdentifier))
        try spray(1000)
        #expect(await Processes.await(seconds: 30) { scratch.text("c-stderr.log").components(separatedBy: "dropped a message").count > 1200 })
        let after = try #require(Processes.residentKilobytes(coordinator.processIdentifier))
        print("coordinator RSS: \(before) kB before 1,000 garbage frames, \(after) kB after")
        #expect(after - before < 4096, "RSS grew by \(after - before) kB")
    }

    @Test(.timeLimit(.minutes(2)), arguments: [
        (["--heartbeat-ms", "5"], "--heartbeat-ms must be at least 10, got 5"),
        (["--liveness", "0"], "--liveness must be at least 1, got 0"),
        (["--max-attempts", "0"], "--max-attempts must be at least 1, got 0"),
        (["--farewell-ms=-1"], "--farewell-ms must be 0 or more, got -1"),
    ])
    func faultFlagsAreCheckedBeforeAnythingStarts(flags: [String], message: String) async throws {
        let scratch = Scratch()
        for command in [["run"], ["coordinator", "x.yaml", "--bind", "tcp://127.0.0.1:*"]] {
            let outcome = try await SweepBinary.run(command + flags, directory: scratch.path)
            #expect(outcome.status == ExitStatus.usage)
            #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
            #expect(outcome.stderr.split(separator: "\n").count == 1 || outcome.stderr.contains("Usage:"))
            #expect(!FileManager.default.fileExists(atPath: scratch.file("Results")))
        }
    }

    @Test(.timeLimit(.minutes(10))) func aWorkerOfAnotherVersionIsToldBothVersions() async throws {
        let scratch = Scratch()
        scratch.write("name: v\nparameters:\n  epochs: {value: 1}\n  train_limit: {value: 100}\n", to: "v.yaml")
        let (coordinator, endpoint) = try await Self.startCoordinator(["v.yaml", "--bind", "tcp://127.0.0.1:*"],
                                                                      scratch: scratch, log: "c-")
        defer { kill(coordinator.processIdentifier, SIGKILL) }
        let context = try Context()
        let stranger = try Socket(context, type: .dealer)
        try stranger.connect(endpoint)
        try stranger.send([Array("{\"v\":2,\"type\":\"hello\",\"hello\":{\"worker\":\"future\",\"host\":\"h\",\"pid\":1}}".utf8)])
        #expect(try await Self.message(on: stranger, within: 30))
        let reply = try Message.decode(try #require(try stranger.receive()).last!)
        guard case .error(let reason) = reply else {
            Issue.record("expected an error, got \(reply)")
            return
        }
        #expect(reason.contains("version 2") && reason.contains("version 1"), "\(reason)")
    }

    @Test(.timeLimit(.minutes(10))) func aRefusedWorkerExitsWithTheReason() async throws {
        // A stand-in coordinator that refuses whoever says hello.
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let scratch = Scratch()
        let worker = try SweepBinary.start(["worker", "--connect", endpoint], directory: scratch.path, log: "w-")
        #expect(try await FaultTests.message(on: router, within: 30))
        let hello = try #require(try router.receive())
        guard case .hello = try Message.decode(hello[1]) else {
            Issue.record("the worker did not start with hello")
            return
        }
        try router.send([hello[0], Message.error(reason: "protocol version mismatch: the worker speaks version 1, "
                                                 + "this coordinator speaks version 2").encoded()])
        try await worker.waitForExit()
        #expect(worker.terminationStatus == ExitStatus.unavailable)
        let stderr = scratch.text("w-stderr.log")
        #expect(stderr.contains("refused this worker: protocol version mismatch: the worker speaks version 1, "
                                + "this coordinator speaks version 2"), "\(stderr)")
    }
}

/// A trial that takes its workers down is given up on after three, recorded as failed with the reason.
@Suite("Poison trials")
struct PoisonTrialTests {

    @Test(.heavy, .timeLimit(.minutes(10))) func aTrialThatKillsThreeWorkersIsRecordedAsFailed() async throws {
        let scratch = Scratch()
        scratch.write("""
            name: poison
            parameters:
              learning_rate: {values: [0.01, 0.1]}
              hidden: {value: "32"}
              epochs: {value: 50}
              train_limit: {value: 5000}
              test_limit: {value: 200}
            """, to: "poison.yaml")
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["poison.yaml", "--bind", "tcp://127.0.0.1:*"] + FaultTests.fast, scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        func log() -> String { scratch.text("c-stderr.log") }
        // The poison: whichever worker runs the first trial dies (SIGKILL), three times over.
        var poison = ""
        var workers: [Process] = []
        for attempt in 1...3 {
            let worker = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "victim-\(attempt)"],
                                               directory: scratch.path, log: "v\(attempt)-")
            workers.append(worker)
            #expect(await Processes.await(seconds: 60) {
                guard let line = log().split(separator: "\n").first(where: { $0.contains("started on victim-\(attempt)") })
                else { return false }
                if poison.isEmpty { poison = String(line.split(separator: " ")[2]) }
                return line.contains(poison)
            }, "victim-\(attempt) was not given the poisoned trial")
            kill(worker.processIdentifier, SIGKILL)
            try await worker.waitForExit()
            // Once the coordinator has given up on this victim the trial is first in line again.
            #expect(await Processes.await(seconds: 30) { log().contains("worker victim-\(attempt) lost") })
        }
        #expect(await Processes.await(seconds: 30) { log().contains("trial \(poison) failed") })
        let record = try #require(Results(scratch.file("Results/poison")).trials.first { $0.id == poison })
        #expect(record.status == .failed)
        #expect(record.reason == "took down 3 workers in a row (last: victim-3)")
        #expect(record.attempts == 3)
        // The timeline says the same: three starts on the three victims, each lost (the third's loss is
        // what records the failure, so its end comes first).
        // The log line comes as the event is handled; its timeline rows with the batch's flush after it.
        func timeline() -> [String] {
            scratch.rows("Results/poison/timeline.csv").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .filter { $0.count == 5 && $0[2] == poison }.map { "\($0[1]) \($0[3]) \($0[4])" }
        }
        _ = await Processes.await(seconds: 30) { timeline().count >= 7 }
        let timeline = timeline()
        #expect(timeline == ["start victim-1 1", "lost victim-1 ", "start victim-2 2", "lost victim-2 ", "start victim-3 3",
                             "end victim-3 failed", "lost victim-3 "], "\(timeline)")
        kill(coordinator.processIdentifier, SIGKILL)
    }
}

/// A coordinator restarted under running workers: the worker still training reclaims its trial.
@Suite("Coordinator restart")
struct CoordinatorRestartTests {

    @Test(.heavy, .timeLimit(.minutes(10))) func theRunningTrialStaysWithItsWorkerAcrossARestart() async throws {
        let scratch = Scratch()
        // One long trial and one short one: the short one's worker is idle when the coordinator dies.
        scratch.write("""
            name: restart
            parameters:
              epochs: {values: [40, 1]}
              hidden: {value: "32"}
              train_limit: {value: 5000}
              test_limit: {value: 200}
            """, to: "restart.yaml")
        let arguments = ["restart.yaml"] + FaultTests.fast
        let (first, endpoint) = try await FaultTests.startCoordinator(arguments + ["--bind", "tcp://127.0.0.1:*"],
                                                                      scratch: scratch, log: "c0-")
        var workers: [Process] = []
        defer { for process in workers + [first] where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        for name in ["long", "short"] {
            workers.append(try SweepBinary.start(["worker", "--connect", endpoint, "--name", name],
                                                 directory: scratch.path, log: "\(name)-"))
            // In this order, so that "long" gets the first trial, the 40-epoch one.
            #expect(await Processes.await(seconds: 60) { scratch.text("c0-stderr.log").contains("started on \(name)") })
        }
        let line = try #require(scratch.text("c0-stderr.log").split(separator: "\n").first { $0.contains("started on long") })
        let longTrial = String(line.split(separator: " ")[2])
        #expect(await Processes.await(seconds: 60) { scratch.rows("Results/restart/trials.csv").count == 1 })
        #expect(!scratch.rows("Results/restart/trials.csv")[0].hasPrefix(longTrial), "the long trial finished too soon")

        kill(first.processIdentifier, SIGKILL)
        try await first.waitForExit()
        let (second, _) = try await FaultTests.startCoordinator(arguments + ["--bind", endpoint], scratch: scratch, log: "c1-")
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        try await second.waitForExit()
        #expect(second.terminationStatus == 0, "\(scratch.text("c1-stderr.log"))")
        let log = scratch.text("c1-stderr.log")
        // The idle worker came back too, but was never given the trial "long" was still training.
        #expect(log.contains("worker short joined"))
        #expect(!log.contains("trial \(longTrial) started on"), "\(log)")
        let row = try #require(scratch.rows("Results/restart/trials.csv").first { $0.hasPrefix(longTrial) })
        #expect(row.contains(",long,"))
        #expect(scratch.rows("Results/restart/epochs.csv").filter { $0.hasPrefix(longTrial) }.count == 40)
    }
}

/// A worker replaced by a new process under the same name, faster than a liveness window.
@Suite("Worker replaced")
struct WorkerReplacedTests {

    @Test(.heavy, .timeLimit(.minutes(10))) func aWorkerRestartedUnderItsNameGetsItsTrialBack() async throws {
        let scratch = Scratch()
        scratch.write("""
            name: replaced
            parameters:
              epochs: {value: 30}
              hidden: {value: "32"}
              train_limit: {value: 3000}
              test_limit: {value: 200}
            """, to: "replaced.yaml")
        // Slow heartbeats: the old process is not declared dead before its replacement says hello.
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["replaced.yaml", "--bind", "tcp://127.0.0.1:*", "--heartbeat-ms", "2000", "--liveness", "5"],
            scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let first = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "same"], directory: scratch.path, log: "w1-")
        #expect(await Processes.await(seconds: 60) { scratch.text("c-stderr.log").contains("started on same") })
        kill(first.processIdentifier, SIGKILL)
        try await first.waitForExit()
        let second = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "same"], directory: scratch.path, log: "w2-")
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        // The new process says it trains nothing, so the trial is handed out again, and finishes.
        #expect(await Processes.await(seconds: 120) { !coordinator.isRunning }, "the sweep stalled: \(scratch.text("c-stderr.log"))")
        #expect(coordinator.terminationStatus == 0)
        #expect(!scratch.text("c-stderr.log").contains("worker same lost"), "the replacement came too late to test this")
        #expect(scratch.rows("Results/replaced/trials.csv").count == 1)
    }
}

/// Workers that speak up only after the last result: between connections when the sweep finished,
/// or started late. Without a farewell nobody answers them and they wait for ever (and so does an
/// `sbatch` job waiting for its workers).
@Suite("Late workers")
struct LateWorkerTests {

    @Test(.heavy, .timeLimit(.minutes(10))) func aWorkerArrivingAfterTheLastResultIsToldToLeave() async throws {
        let scratch = Scratch()
        scratch.write("""
            name: late
            parameters:
              learning_rate: {values: [0.01, 0.1]}
              hidden: {value: "16"}
              epochs: {value: 1}
              train_limit: {value: 1000}
              test_limit: {value: 100}
            """, to: "late.yaml")
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["late.yaml", "--bind", "tcp://127.0.0.1:*", "--farewell-ms", "120000"] + FaultTests.fast,
            scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let first = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "first"], directory: scratch.path, log: "first-")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(await Processes.await(seconds: 120) { scratch.rows("Results/late/trials.csv").count == 2 })
        #expect(await Processes.await(seconds: 30) { !first.isRunning }, "the worker that ran the sweep was not told bye")

        // Every trial is recorded and the coordinator is saying goodbye: a worker turning up now is
        // told to leave at once instead of waiting for a coordinator that will never hand out work.
        let late = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "late"], directory: scratch.path, log: "late-")
        defer { if late.isRunning { kill(late.processIdentifier, SIGKILL) } }
        #expect(await Processes.await(seconds: 30) { !late.isRunning }, "the late worker is still waiting")
        #expect(!late.isRunning && late.terminationStatus == 0, "\(scratch.text("late-stderr.log"))")
        #expect(coordinator.isRunning, "the coordinator left before its farewell window ended")

        // Ctrl-C cuts the farewell short; everything is recorded, so this is a normal finish.
        kill(coordinator.processIdentifier, SIGINT)
        #expect(await Processes.await(seconds: 30) { !coordinator.isRunning })
        #expect(!coordinator.isRunning && coordinator.terminationStatus == 0, "\(scratch.text("c-stderr.log"))")
        #expect(scratch.rows("Results/late/trials.csv").count == 2)
    }
}

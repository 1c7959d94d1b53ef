import Foundation
import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepFiles

/// The in-process twins of the fault tests that run real processes: scripted inputs, virtual time.
@Suite("Scheduler: faults in-process")
struct SchedulerFaultTests {
    static let grid = SweepSpec.test("""
        name: g
        parameters:
          learning_rate: {values: [0.01, 0.1]}
          momentum: {values: [0.0, 0.9]}
          epochs: {value: 3}
        """)

    @Test func aStalledCoordinatorGivesEveryWorkerAFreshWindowInsteadOfFindingThemAllDead() throws {
        var harness = Harness(Self.grid)
        let a = harness.join("a"), b = harness.join("b")
        #expect(a != nil && b != nil)
        harness.advance(.milliseconds(200), beating: ["a", "b"])
        // The coordinator's loop does not run for 10 s (a long fsync, SIGSTOP): no input at all, then a tick.
        harness.now += .seconds(10)
        let afterStall = harness.send(.tick)
        #expect(!afterStall.contains { if case .event(.workerLost) = $0 { true } else { false } })
        // From then on silence counts again: `b` beats, `a` stays silent past the window and is lost.
        let later = harness.advance(.milliseconds(500), beating: ["b"])
        let lost = later.compactMap { if case .event(.workerLost(let worker, _)) = $0 { worker } else { nil } }
        #expect(lost == ["a"])
    }

    @Test func aGridIsHandedOutInOrderRecordedOnceAndAcknowledgedOnlyAfterItsRecord() {
        var harness = Harness(Self.grid)
        var a = harness.join("a"), b = harness.join("b")
        #expect(a?.number == 0 && b?.number == 1)
        while a != nil || b != nil {
            if let current = a { a = harness.finish("a", current) }
            if let current = b { b = harness.finish("b", current) }
        }
        #expect(harness.records.count == 4)
        #expect(Set(harness.records.map(\.id)) == Set(Self.grid.space.map(\.id)))
        #expect(harness.records.map(\.number) .sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 1, 2, 3])
        // Every acknowledgement comes after its trial's record, never before.
        for case .acknowledge(_, let trial) in harness.actions {
            let ack = harness.actions.firstIndex(of: .acknowledge(WorkerID("a"), trial: trial))
                ?? harness.actions.firstIndex(of: .acknowledge(WorkerID("b"), trial: trial))!
            let record = harness.actions.firstIndex { if case .record(let r, _) = $0 { return r.id == trial } else { return false } }!
            #expect(record < ack)
        }
        #expect(harness.scheduler.phase == .farewell(until: harness.now + .seconds(1)))
        #expect(harness.actions.contains(.bye(WorkerID("a"))) && harness.actions.contains(.bye(WorkerID("b"))))
    }

    @Test func aWorkerReconnectingWhileTrainingKeepsItsTrial() {
        var harness = Harness(Self.grid)
        let trial = harness.join("a")!
        harness.advance(.milliseconds(200))
        // It reconnects (a new socket after a network hiccup) and says it is still on the same trial.
        let replies = harness.send(.hello(WorkerID("a"), name: "a", host: "h",
                                          running: .init(trial: trial.trial, number: trial.number, config: trial.config!)))
        #expect(replies.contains(.welcome(WorkerID("a"))))
        #expect(!replies.contains { if case .stop = $0 { return true } else { return false } })
        // An idle worker joining now gets the next trial, not that one.
        let other = harness.join("b")
        #expect(other?.trial != trial.trial && other?.number == 1)
        harness.finish("a", trial)
        #expect(harness.records.map(\.id) == [trial.trial])
        #expect(harness.records[0].attempts == 1)
    }

    @Test func aSilentWorkerIsDeclaredDeadAndItsTrialGoesToAnother() {
        var harness = Harness(Self.grid)
        let lost = harness.join("a")!
        let busy = harness.join("b")!
        var next = harness.finish("b", busy)  // b finishes its first and takes the next
        // a says nothing for longer than three beats: dead.
        for _ in 0..<8 {
            harness.advance(.milliseconds(50))
            harness.send(.heartbeat(WorkerID("b")))
        }
        #expect(harness.events { if case .workerLost(worker: "a", trial: lost.trial) = $0 { return true } else { return false } }.count == 1)
        // b gets a's trial once it is free (retries go first).
        var seen: [Int] = []
        while let current = next {
            seen.append(current.number)
            next = harness.finish("b", current)
        }
        #expect(seen.contains(lost.number))
        #expect(harness.records.count == 4)
        #expect(harness.records.first { $0.id == lost.trial }?.attempts == 2)
    }

    @Test func aTrialThatTakesDownMaxAttemptsWorkersIsRecordedAsFailed() {
        var harness = Harness(Self.grid)
        var victims = 0
        var poison: String?
        while harness.records.isEmpty {
            victims += 1
            let name = "victim-\(victims)"
            let given = harness.join(name)!
            if poison == nil { poison = given.trial }
            #expect(given.trial == poison, "the poisoned trial goes first in line again")
            harness.advance(.milliseconds(400))  // dies without a word
        }
        #expect(victims == 3)
        let record = harness.records[0]
        #expect(record.id == poison && record.status == .failed && record.attempts == 3)
        #expect(record.reason == "took down 3 workers in a row (last: victim-3)")
    }

    @Test func aDuplicateResultIsAcknowledgedAndDropped() {
        var harness = Harness(Self.grid)
        let trial = harness.join("a")!
        let result = FakeTrainer.run(trial.config!)
        harness.send(.result(WorkerID("a"), trial: trial.trial, number: trial.number, outcome: result))
        // The same result again (re-sent after a reconnect), and from a worker that never said hello.
        let again = harness.send(.result(WorkerID("a"), trial: trial.trial, number: trial.number, outcome: result))
        let stranger = harness.send(.result(WorkerID("x"), trial: trial.trial, number: trial.number, outcome: result))
        #expect(again.contains(.acknowledge(WorkerID("a"), trial: trial.trial)))
        #expect(stranger.contains(.acknowledge(WorkerID("x"), trial: trial.trial)))
        #expect(harness.records.count == 1)
        #expect(harness.events { if case .duplicateResult = $0 { return true } else { return false } }.count == 2)
    }

    @Test func aResultForATrialOutsideTheSweepIsRejectedAndAcknowledged() {
        var harness = Harness(Self.grid)
        var config = TrainingConfig()
        config.learningRate = 0.5  // not one of the grid's values
        let foreign = Trial(config: config)
        let replies = harness.send(.result(WorkerID("a"), trial: foreign.id, number: 0,
                                           outcome: TrainingResult(config: config, epochs: [], status: .completed)))
        #expect(replies.contains(.acknowledge(WorkerID("a"), trial: foreign.id)))
        #expect(harness.records.isEmpty)
        #expect(!harness.events { if case .rejected = $0 { return true } else { return false } }.isEmpty)
    }

    @Test func afterARestartTrialsAreHeldBackForTheGraceWindowAndClaimsAreHonoured() throws {
        // Two trials recorded; trial 2 was running on "long" when the coordinator died.
        var first = Harness(Self.grid)
        let zero = first.join("long")!, one = first.join("short")!
        first.finish("short", one)
        let running = first.assignment(in: first.actions, to: "short")!  // short's second trial (position 2)
        var restarted = Harness(Self.grid, records: first.records, epochs: first.epochs)
        // An idle worker arriving within the grace window gets nothing yet.
        #expect(restarted.join("idle") == nil)
        restarted.advance(.milliseconds(100))
        #expect(restarted.assignment(in: restarted.actions, to: "idle") == nil)
        // The worker still training position 2 reconnects and keeps it.
        restarted.send(.hello(WorkerID("short"), name: "short", host: "h",
                              running: .init(trial: running.trial, number: running.number, config: running.config)))
        // Once the window (one liveness window, 300 ms) passes, the idle worker gets work, but not position 2.
        restarted.advance(.milliseconds(300))
        let given = try #require(restarted.assignment(in: restarted.actions, to: "idle"))
        #expect(given.number != 2 && given.number != 1)
        #expect(given.trial == zero.trial || given.number == 3)
    }

    @Test func aWorkerReplacedUnderTheSameNameGivesItsTrialBack() {
        var harness = Harness(Self.grid)
        let lost = harness.join("same")!
        // A new process with the same name says hello without a running trial: the old one is dead.
        let replaced = harness.join("same")!
        #expect(replaced.trial == lost.trial, "the requeued trial goes first")
        #expect(harness.events { if case .rejected = $0 { return true } else { return false } }.isEmpty)
    }

    @Test func aLateWorkerHearsByeInTheFarewellAndTheWindowEnds() {
        var harness = Harness(Self.grid)
        var next = harness.join("a")
        while let current = next { next = harness.finish("a", current) }
        guard case .farewell(let until) = harness.scheduler.phase else {
            Issue.record("not in the farewell: \(harness.scheduler.phase)")
            return
        }
        let late = harness.send(.hello(WorkerID("late"), name: "late", host: "h", running: nil))
        #expect(late == [.bye(WorkerID("late"))])
        let stale = harness.send(.result(WorkerID("late"), trial: "abc", number: 0,
                                         outcome: TrainingResult(config: TrainingConfig(), epochs: [], status: .completed)))
        #expect(stale == [.acknowledge(WorkerID("late"), trial: "abc"), .bye(WorkerID("late"))])
        harness.advance(until - harness.now + .milliseconds(50))
        #expect(harness.scheduler.phase == .done)
    }

    @Test func messagesBeforeHelloAreRejectedButAResultIsKept() {
        var harness = Harness(Self.grid)
        let ready = harness.send(.ready(WorkerID("nobody")))
        #expect(ready == [.event(.rejected(peer: "nobody", reason: "ready before hello"))])
        let trial = Self.grid.space[3]
        harness.send(.result(WorkerID("nobody"), trial: trial.id, number: 3, outcome: FakeTrainer.run(trial.config!)))
        #expect(harness.records.map(\.id) == [trial.id])
    }

    @Test func anUntrainableCornerIsRecordedAsFailedNotHandedOut() {
        // Beta(0.001, 0.001) lies in (0, 1), so the file is accepted, but its draws crowd so close to
        // the ends that some round to exactly 1.0: a dropout that cannot be trained.
        let spec = SweepSpec.test("""
            method: random
            run_cap: 40
            parameters:
              dropout: {distribution: beta, a: 0.001, b: 0.001}
              epochs: {value: 1}
            """)
        let untrainable = spec.space.filter { (try? $0.config!.validate()) == nil }
        #expect(!untrainable.isEmpty, "the corner must occur for the test to mean anything")
        var harness = Harness(spec)
        var next = harness.join("a")
        var handedOut: [TrainingConfig] = []
        while let current = next {
            handedOut.append(current.config!)
            next = harness.finish("a", current)
        }
        #expect(handedOut.allSatisfy { $0.dropout < 1 })
        let failed = harness.records.filter { $0.status == .failed }
        #expect(Set(failed.map(\.id)) == Set(untrainable.map(\.id)))
        #expect(failed.allSatisfy { $0.reason.hasPrefix("cannot be trained: dropout must be in [0, 1), got 1.0") && $0.attempts == 0 })
    }
}

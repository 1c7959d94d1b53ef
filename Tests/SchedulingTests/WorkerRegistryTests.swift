@testable import Scheduling
import Testing
import Training

/// The worker registry alone: who said hello, liveness at the heartbeat's cadence, who waits for
/// work, and the time spent waiting for a proposal.
@Suite("Parts: worker registry")
struct WorkerRegistryTests {
    let a = WorkerID("a"), b = WorkerID("b"), c = WorkerID("c")

    @Test func aWorkerIsKnownFromItsHelloAndIdleOnceItAsksForWork() {
        var registry = WorkerRegistry(now: .zero)
        #expect(registry.heard(a, now: .seconds(1)) == false, "no hello yet")
        #expect(registry.name(of: a) == "a")
        registry.hello(a, name: "alpha", host: "h1", now: .zero)
        #expect(registry.heard(a, now: .seconds(1)) == true)
        #expect(registry[a]?.lastSeen == .seconds(1) && registry.name(of: a) == "alpha")
        #expect(!registry.canTake(a) && registry.waitingForWork.isEmpty)
        registry.hello(c, name: "gamma", host: "h1", now: .zero)
        registry.ready(c)
        registry.ready(a)
        #expect(registry.canTake(a))
        #expect(registry.waitingForWork == [a, c], "in identity order, not arrival order")
        registry.give("t1", to: a, now: .seconds(2))
        #expect(!registry.canTake(a) && registry.trial(of: a) == "t1" && registry.waitingForWork == [c])
        // Hello again: whatever it trained is forgotten (the facade has released it), and it is not idle.
        registry.hello(c, name: "gamma", host: "h2", now: .seconds(3))
        #expect(registry.waitingForWork.isEmpty && registry[c]?.host == "h2")
    }

    @Test func progressCountsOnlyForTheWorkersOwnTrialAndFinishingClearsIt() {
        var registry = WorkerRegistry(now: .zero)
        registry.hello(a, name: "a", host: "h", now: .zero)
        registry.ready(a)
        registry.give("t1", to: a, now: .zero)
        let metrics = Parts.epochs([0.9, 0.8])
        #expect(registry.progress(a, trial: "t1", metrics: metrics[1]) == true)
        #expect(registry.progress(a, trial: "t2", metrics: metrics[0]) == false)
        #expect(registry[a]?.epoch == 2 && registry[a]?.lastProgress == metrics[1])
        registry.unassign(a)
        #expect(registry.trial(of: a) == nil && registry[a]?.epoch == 2, "unassigning keeps the epoch shown")
        registry.adopt("t3", by: a)
        registry.finished(a)
        #expect(registry.trial(of: a) == nil && registry[a]?.epoch == nil)
    }

    @Test func silentWorkersAreFoundDeadAtTheHeartbeatsCadence() throws {
        var registry = WorkerRegistry(now: .zero)
        registry.hello(b, name: "b", host: "h", now: .zero)
        registry.hello(a, name: "a", host: "h", now: .zero)
        registry.ready(b)
        registry.give("tb", to: b, now: .zero)
        let beat = Duration.milliseconds(100), window = Duration.milliseconds(300)
        #expect(registry.tick(now: .milliseconds(50), heartbeat: beat, window: window) == nil, "not a beat yet")
        let firstTick = registry.tick(now: .milliseconds(100), heartbeat: beat, window: window)
        let first = try #require(firstTick)
        #expect(first.beat == [a, b] && first.lost.isEmpty)
        #expect(registry.tick(now: .milliseconds(150), heartbeat: beat, window: window) == nil, "the cadence restarts at each beat")
        _ = registry.heard(a, now: .milliseconds(300))
        let secondTick = registry.tick(now: .milliseconds(400), heartbeat: beat, window: window)
        let second = try #require(secondTick)
        #expect(second.beat == [a, b])
        #expect(second.lost.map(\.0) == [b] && second.lost.first?.1.trial == "tb", "b was silent for 400 ms, with its trial")
        #expect(registry[b] == nil && registry[a] != nil)
    }

    @Test func waitingForAProposalIsCountedUntilWorkComesOrTheWorkerGoes() throws {
        var registry = WorkerRegistry(now: .zero)
        for worker in [a, b, c] {
            registry.hello(worker, name: worker.description, host: "h", now: .zero)
            registry.ready(worker)
        }
        registry.startWaiting(a, now: .seconds(1))
        registry.startWaiting(a, now: .seconds(2))  // still waiting since 1 s
        registry.give("t", to: a, now: .seconds(4))
        #expect(registry.waiting == .seconds(3))
        registry.startWaiting(b, now: .seconds(4))
        _ = registry.heard(c, now: .seconds(10))
        let tick = registry.tick(now: .seconds(10), heartbeat: .seconds(1), window: .seconds(3))
        let reaped = try #require(tick)
        #expect(reaped.lost.map(\.0) == [a, b])
        #expect(registry.waiting == .seconds(3 + 6), "b waited from 4 s until it was found dead at 10 s")
        registry.startWaiting(c, now: .seconds(11))
        #expect(registry.farewell(now: .seconds(12)) == [c])
        #expect(registry.waiting == .seconds(10) && registry.workers.isEmpty)
    }

    @Test func theIdentityOrderIsKeptAsWorkersComeAndGo() throws {
        var registry = WorkerRegistry(now: .zero)
        let binary = WorkerID([0x00, 0xFF]), long = WorkerID("ab")
        for worker in [c, long, binary, a, b] {
            registry.hello(worker, name: worker.description, host: "h", now: .zero)
            registry.ready(worker)
        }
        #expect(registry.waitingForWork == [binary, a, long, b, c], "bytes in order: 00ff < a < ab < b < c")
        registry.give("t", to: long, now: .zero)
        registry.hello(b, name: "b", host: "h", now: .zero)  // again: no longer waiting
        #expect(registry.waitingForWork == [binary, a, c])
        #expect(registry.waitingForWork(after: nil) == binary && registry.waitingForWork(after: a) == c)
        #expect(registry.waitingForWork(after: long) == c, "after one not waiting: the next that is")
        #expect(registry.waitingForWork(after: c) == nil)
        _ = registry.heard(a, now: .seconds(5))
        _ = registry.heard(c, now: .seconds(5))
        let ticked = registry.tick(now: .seconds(5), heartbeat: .seconds(1), window: .seconds(3))
        let tick = try #require(ticked)
        #expect(tick.beat == [binary, a, long, b, c] && tick.lost.map(\.0) == [binary, long, b])
        #expect(registry.waitingForWork == [a, c] && registry.farewell(now: .seconds(6)) == [a, c])
    }

    @Test func everyWorkerThatCanTakeWorkStartsWaitingAtOnceKeepingEarlierStarts() {
        var registry = WorkerRegistry(now: .zero)
        for worker in [a, b, c] {
            registry.hello(worker, name: worker.description, host: "h", now: .zero)
            registry.ready(worker)
        }
        registry.startWaiting(a, now: .seconds(1))
        registry.startWaitingAll(now: .seconds(3))
        registry.startWaitingAll(now: .seconds(4))  // nobody new: nothing changes
        #expect(registry[a]?.waitingSince == .seconds(1) && registry[b]?.waitingSince == .seconds(3)
                && registry[c]?.waitingSince == .seconds(3))
        registry.give("t", to: b, now: .seconds(5))
        #expect(registry.waiting == .seconds(2))
        registry.ready(b)
        registry.startWaitingAll(now: .seconds(6))
        #expect(registry[b]?.waitingSince == nil, "it still trains its trial: it cannot take work")
        registry.finished(b)
        registry.ready(b)  // asks again after its trial: a new wait
        registry.startWaitingAll(now: .seconds(7))
        #expect(registry[b]?.waitingSince == .seconds(7))
        _ = registry.farewell(now: .seconds(8))
        #expect(registry.waiting == .seconds(2 + 7 + 5 + 1), "a from 1 s, c from 3 s, b again from 7 s, to 8 s")
    }

    @Test func shutDownSaysByeToEveryWorkerByItsIdentityAsText() {
        var registry = WorkerRegistry(now: .zero)
        let binary = WorkerID([0x00, 0xFF])
        for worker in [c, binary, a] { registry.hello(worker, name: "x", host: "h", now: .zero) }
        #expect(registry.shutDown() == [binary, a, c], "\"00ff\" < \"a\" < \"c\"")
        #expect(registry.workers.isEmpty)
    }
}

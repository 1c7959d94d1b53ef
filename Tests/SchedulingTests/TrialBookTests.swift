@testable import Scheduling
import Sweeping
import Testing
import Training

/// The trial book alone: positions and the cursor, repeats and records, the order work is handed
/// out in, attempts, held results, pauses and promotions, and the sweep's end.
@Suite("Parts: trial book")
struct TrialBookTests {
    static let spec = Parts.grid
    let w1 = WorkerID("w1"), w2 = WorkerID("w2")

    func trial(_ position: Int) -> Trial { Parts.trial(Self.spec, position) }

    /// A book with positions `0..<count` opened in order.
    func opened(_ count: Int, records: [TrialRecord] = []) -> TrialBook {
        var book = TrialBook(records: records, checkpoints: [:])
        for position in 0..<count {
            _ = book.open(trial(position), at: position, length: 9)
            book.advanceCursor()
        }
        return book
    }

    @Test func recordsAreCountedOncePerTrialAndFoundByPositionOrConfiguration() {
        let kept = Parts.record(Self.spec, 1, losses: [0.5])
        let stopped = Parts.record(Self.spec, 2, losses: [0.5], status: .stopped)
        let unnumbered = Parts.record(Self.spec, 4, losses: [0.5], number: nil)
        let book = TrialBook(records: [kept, stopped, stopped, unnumbered], checkpoints: [:])
        #expect(book.recordedCount == 3, "a second row of one trial is one trial")
        #expect(book.stoppedCount == 2, "as read: every stopped row")
        #expect(book.recorded(at: 1) == kept.id && book.recorded(at: 4) == nil)
        #expect(book.unnumberedRecord(unnumbered.id) == unnumbered.id && book.unnumberedRecord(kept.id) == nil)
        #expect(book.draw(kept.id, at: 1) == .recorded)
        #expect(book.draw(kept.id, at: 3) == .repeated, "recorded at another position")
        #expect(book.draw(unnumbered.id, at: 0) == .recorded)
        #expect(book.draw(trial(0).id, at: 0) == .new)
    }

    @Test func theCursorSkipsOpenedAndRepeatedPositions() {
        var book = TrialBook(records: [], checkpoints: [:])
        _ = book.open(trial(1), at: 1, length: 9)  // a claim ahead of the cursor
        book.markRepeated(2)
        #expect(book.nextUnopened(limit: 6) == 0)
        _ = book.open(trial(0), at: 0, length: 9)
        #expect(book.draw(trial(0).id, at: 3) == .repeated, "opened at 0 already")
        #expect(book.nextUnopened(limit: 6) == 3 && book.cursor == 3)
        #expect(book.nextUnopened(limit: 3) == nil)
        #expect(book.mayBeRecordedAtCursor)
        book.cursorIsUnrecorded()
        #expect(!book.mayBeRecordedAtCursor)
        book.advanceCursor()
        #expect(book.mayBeRecordedAtCursor)
    }

    @Test func aStoredCheckpointIsTheTrialsWhenItsPositionOpens() throws {
        let stored = Parts.epochs([0.9, 0.8, 0.7])
        var book = TrialBook(records: [], checkpoints: [trial(0).id: stored, trial(1).id: Parts.epochs(Array(repeating: 0.5, count: 9))])
        #expect(book.open(trial(0), at: 0, length: 9) == stored)
        let entry = try #require(book[trial(0).id])
        #expect(entry.checkpoint == 3 && !entry.finalStored && entry.trained == 3)
        _ = book.open(trial(1), at: 1, length: 9)
        #expect(book[trial(1).id]?.finalStored == true, "all 9 epochs: the final weights")
        #expect(book.open(trial(2), at: 2, length: nil) == nil && book[trial(2).id]?.checkpoint == nil)
    }

    @Test func aTrialIsRetriedUntilItHasTakenDownMaxAttemptsWorkers() throws {
        var book = opened(2)
        let id = trial(0).id
        #expect(book.release(id, from: w1, maxAttempts: 2) == .nothing, "w1 does not train it")
        book.give(id, to: w1)
        #expect(book.release(id, from: w1, maxAttempts: 2) == .requeued)
        #expect(book[id]?.holder == nil && book[id]?.attempts == 1)
        #expect(book.nextRetry() == id && book.nextRetry() == nil)
        book.give(id, to: w2)
        guard case .givenUp(let entry) = book.release(id, from: w2, maxAttempts: 2) else {
            Issue.record("not given up after 2 attempts")
            return
        }
        #expect(entry.attempts == 2 && entry.number == 0)
    }

    @Test func onlyFreeTrialsLeaveTheQueues() {
        var book = opened(3)
        let (a, b, c) = (trial(0).id, trial(1).id, trial(2).id)
        for id in [a, b, c] { book.give(id, to: w1) }
        for id in [a, b, c] { _ = book.release(id, from: w1, maxAttempts: 9) }
        book.give(a, to: w2)  // taken again before its retry came up
        book.hold(b, TrainingResult(config: nil, epochs: [], status: .completed), from: w2)  // its result arrived
        #expect(book.nextRetry() == c && book.nextRetry() == nil)
    }

    @Test func promotionsGoInPositionOrderAndAClaimTakesATrialOutOfEveryQueue() {
        var book = opened(4)
        let ids = (0..<4).map { trial($0).id }
        for id in ids {
            _ = book.checkpoint(id, epochs: 1, length: 9)
            book.pause(id)
        }
        #expect(book.promote(ids[0], at: 3) == false, "paused at rung 1, not 3")
        #expect(book.promote(ids[3], at: 1) && book.promote(ids[1], at: 1) && book.promote(ids[2], at: 1))
        #expect(book.promote(ids[2], at: 1) == false, "promoted already")
        book.adopt(ids[2], by: w1)
        #expect(book[ids[2]]?.holder == w1 && book[ids[2]]?.attempts == 1 && book[ids[2]]?.paused == false)
        #expect(book.nextPromotion() == ids[1] && book.nextPromotion() == ids[3] && book.nextPromotion() == nil)
        book.unqueue(ids[0])
        #expect(book[ids[0]]?.paused == false)
    }

    @Test func aHeldResultIsKeptOnceAndAcknowledgedToEveryWorkerThatSentIt() throws {
        var book = opened(3)
        let (a, b) = (trial(0).id, trial(1).id)
        let result = TrainingResult(config: trial(1).config, epochs: Parts.epochs([0.5]), status: .completed)
        book.hold(b, result, from: w1)
        book.restoreHeld(a, result)
        #expect(book.waitingResults == [a, b].sorted())
        #expect(book.deliveredAgain(b, by: w1) == nil, "the same worker again: nothing")
        #expect(book.deliveredAgain(b, by: w2) == false, "acknowledged with the first")
        let arrivals = book.takeArrivals()
        #expect(arrivals.count == 1 && arrivals[0].id == b && arrivals[0].deliveries == [w1, w2])
        #expect(book.takeArrivals().isEmpty)
        #expect(book.deliveredAgain(b, by: WorkerID("w3")) == true, "kept already: acknowledged at once")
        #expect(book[b]?.isHeld == true && book[b]?.isFree == false)
        let taken = book.takeHeld(b)
        #expect(taken.result == result && taken.deliveries.isEmpty && book[b]?.isHeld == false)
        #expect(book.waitingResults == [a])
    }

    @Test func onlyWaitingResultsHeldOrDecidedAboutSinceAreLookedAtAgain() throws {
        var book = opened(3)
        let (a, b, c) = (trial(0).id, trial(1).id, trial(2).id)
        let result = TrainingResult(config: trial(1).config, epochs: Parts.epochs([0.5]), status: .completed)
        book.hold(b, result, from: w1)
        book.restoreHeld(a, result)
        #expect(book.takeResultsToCheck() == [a, b].sorted())
        #expect(book.takeResultsToCheck().isEmpty, "nothing changed: nothing to look at")
        book.decided(b)
        book.decided(c)  // its result does not wait
        #expect(book.takeResultsToCheck() == [b])
        book.decided(a)
        _ = book.takeHeld(a)
        #expect(book.takeResultsToCheck().isEmpty, "taken since: no longer waiting")
        #expect(book.waitingResults == [b], "still waiting, though not looked at")
    }

    @Test func aRecordSettlesItsPositionAndForgettingKeepsTheRecord() throws {
        var book = opened(2)
        let id = trial(0).id
        #expect(book.settled(at: 0) == nil)
        book.give(id, to: w1)
        _ = book.release(id, from: w1, maxAttempts: 9)
        let failed = TrialRecord(failed: trial(0), reason: "x", attempts: 1, worker: "w1", host: "h", number: 0, layout: Self.spec.layout)
        book.record(id, failed)
        #expect(book.nextRetry() == nil, "a failed trial is not retried")
        guard case .trial(let settled, let record)? = book.settled(at: 0) else {
            Issue.record("position 0 is not settled")
            return
        }
        #expect(settled == id && record == failed && book.recordedCount == 1)
        book.markRepeated(2)
        if case .repeated? = book.settled(at: 2) {} else { Issue.record("a repeat is passed") }
        book.forget(0, id)
        #expect(book[id] == nil && book.isRecorded(id) && book.draw(id, at: 5) == .repeated)
    }

    @Test func theEndCutsEveryTrialFromItsPositionOnInPositionOrder() throws {
        let earlier = Parts.record(Self.spec, 3, losses: [0.4], status: .stopped)
        var book = TrialBook(records: [earlier], checkpoints: [trial(4).id: Parts.epochs([0.9])])
        for position in 0..<5 {
            if position == 3 {
                _ = book.open(trial(3), at: 3, length: 9)
                _ = book.markRecordedBefore(trial(3).id)
            } else {
                _ = book.open(trial(position), at: position, length: 9)
            }
        }
        let ids = (0..<5).map { trial($0).id }
        book.give(ids[2], to: w1)
        book.hold(ids[1], TrainingResult(config: nil, epochs: [], status: .completed), from: w2)
        book.give(ids[4], to: w2)
        _ = book.release(ids[4], from: w2, maxAttempts: 9)
        let cuts = book.cut(from: 1)
        #expect(cuts.map(\.id) == Array(ids[1...]))
        #expect(cuts[0].acknowledge == [w2] && cuts[1].holder == w1 && cuts[2].record == earlier && cuts[3].hadCheckpoint)
        #expect(book.recordedCount == 0 && book.stoppedCount == 0 && book.waitingResults.isEmpty)
        #expect(book.nextRetry() == nil, "a retry past the end is dropped")
        #expect(book[ids[2]]?.isSettled == true && book[ids[0]]?.isSettled == false)
        if case .absent = book.presence(at: 2) {} else { Issue.record("past the end is absent") }
        #expect(book.cut(from: 0).map(\.id) == [ids[0]], "only what was not cut already")
    }
}

extension TrialBook.Release: Equatable {
    public static func == (a: TrialBook.Release, b: TrialBook.Release) -> Bool {
        switch (a, b) {
        case (.nothing, .nothing), (.requeued, .requeued): true
        case (.givenUp(let x), .givenUp(let y)): x.trial == y.trial
        default: false
        }
    }
}

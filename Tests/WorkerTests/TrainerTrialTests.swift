import Foundation
import Testing
import Training
import Worker
import Wire

/// A trial of the built-in trainer through `WorkerSession`: assigned, trained, at rungs, stopped,
/// abandoned, resumed from a checkpoint in pieces. Scripted inputs, virtual time.
@Suite("Worker session: the built-in trainer")
struct TrainerTrialTests {
    static let config = SessionDriver.config

    @Test func aTrialIsTrainedReportedEpochByEpochAndForgottenAtItsAck() {
        var driver = SessionDriver()
        driver.welcome()
        #expect(driver.receive(.trial(id: "t1", number: 3, config: Self.config)) == [.train(trial: "t1", config: Self.config, resumeFrom: nil)])
        #expect(driver.session.phase == .training(trial: "t1"))
        #expect(driver.feed(.trainingStarted(epochsDone: 0, resumption: .fresh)).logs == ["training t1"])
        for epoch in 1...5 {
            #expect(driver.epoch(epoch).sent == [.progress(trial: "t1", metrics: SessionDriver.metrics(epoch))])
        }
        let result = SessionDriver.result(epochs: 5)
        #expect(driver.feed(.trainingEnded(result)).sent == [.result(trial: "t1", number: 3, outcome: result)])
        #expect(driver.session.phase == .resultPending(trial: "t1"))
        #expect(driver.receive(.ack(trial: "t1")).sent == [.ready])
        #expect(driver.session.phase == .idle)
    }

    @Test func aStopAfterEpochNHaltsTheRunThereAndCutsTheResult() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1")
        driver.epoch(1)
        // Told during epoch 2: nothing halts until epoch 2 is done.
        #expect(driver.receive(.stop(trial: "t1", afterEpoch: 2)).isEmpty)
        #expect(driver.epoch(2) == [.send(.progress(trial: "t1", metrics: SessionDriver.metrics(2))), .halt])
        // The trainer's next tick ended the run (it may have started epoch 3: that part is not in it).
        let out = driver.feed(.trainingEnded(SessionDriver.result(epochs: 2)))
        #expect(out.results.map(\.outcome) == [TrainingResult(config: Self.config, epochs: [SessionDriver.metrics(1), SessionDriver.metrics(2)], status: .stopped)])
        #expect(out.logs == ["stopped t1 after epoch 2"])

        // Told late (epoch 3 already done): it halts at once and the result is cut back to epoch 2.
        var late = SessionDriver()
        late.welcome()
        late.assignTraining("t1")
        for epoch in 1...3 { late.epoch(epoch) }
        #expect(late.receive(.stop(trial: "t1", afterEpoch: 2)) == [.halt])
        let cut = late.feed(.trainingEnded(SessionDriver.result(epochs: 3))).results
        #expect(cut.map(\.outcome.epochs.count) == [2] && cut.map(\.outcome.status) == [.stopped])

        // A stop at or after the last epoch is no stop: the trial completes.
        var whole = SessionDriver()
        whole.welcome()
        whole.assignTraining("t1")
        whole.receive(.stop(trial: "t1", afterEpoch: 5))
        for epoch in 1...4 { #expect(!whole.epoch(epoch).contains(.halt)) }
        whole.epoch(5)
        #expect(whole.feed(.trainingEnded(SessionDriver.result(epochs: 5))).results.map(\.outcome.status) == [.completed])
    }

    @Test func aStopWithoutAnEpochAbandonsTheTrialAndSaysReady() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1")
        driver.epoch(1)
        #expect(driver.receive(.stop(trial: "t2", afterEpoch: nil)).isEmpty)  // not ours
        #expect(driver.receive(.stop(trial: "t1", afterEpoch: nil)) == [.halt])
        let out = driver.feed(.trainingEnded(SessionDriver.result(epochs: 1)))
        #expect(out == [.log("abandoned t1"), .send(.ready)])
        #expect(driver.session.phase == .idle)
    }

    @Test func byeErrorOrTheParentsEndAbandonTheTrialAndExitWithoutReady() {
        for (message, exit) in [(Message.bye, WorkerSession.Exit.finished), (.error(reason: "no"), .refused("no"))] {
            var driver = SessionDriver()
            driver.welcome()
            driver.assignTraining("t1")
            #expect(driver.receive(message) == [.halt])
            #expect(driver.session.exit == exit)
            // Leaving: what the coordinator says now changes nothing.
            #expect(driver.receive(.stop(trial: "t1", afterEpoch: 1)).isEmpty)
            #expect(driver.feed(.trainingEnded(SessionDriver.result(epochs: 2))) == [.log("abandoned t1"), .exit(exit)])
        }
        var orphan = SessionDriver()
        orphan.welcome()
        orphan.assignTraining("t1")
        #expect(orphan.feed(.orphaned) == [.halt])
        #expect(orphan.feed(.orphaned).isEmpty)
        #expect(orphan.feed(.trainingEnded(SessionDriver.result(epochs: 0))) == [.log("abandoned t1"), .exit(.orphaned)])
    }

    /// Ctrl-C does not cut a built-in trial short (as before the session): its result goes out, then
    /// the worker leaves.
    @Test func anInterruptedTrainerFinishesItsTrialThenLeaves() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1")
        #expect(driver.feed(.interrupted).isEmpty)
        #expect(driver.epoch(1).sent.count == 1)
        let out = driver.feed(.trainingEnded(SessionDriver.result(epochs: 5)))
        #expect(out.results.count == 1)
        #expect(out.last == .exit(.stopped))
    }

    /// At a rung in `pause_at` the checkpoint goes out and the trainer waits for `proceed` or `stop`;
    /// across a reconnect it waits on, and the welcome brings the checkpoint again.
    @Test func aRungWaitOutlastsAReconnectAndEndsAtItsProceed() {
        var driver = SessionDriver()
        driver.checkpoint = Array(repeating: 9, count: 300)
        driver.welcome()
        driver.assignTraining("t1", work: .init(pauseAt: [2, 4]))
        #expect(driver.epoch(1).count == 1)
        let rung = driver.epoch(2)
        let piece = Message.Chunk(trial: "t1", epoch: 2, offset: 0, total: 300, data: Data(driver.checkpoint))
        #expect(rung == [.send(.progress(trial: "t1", metrics: SessionDriver.metrics(2))), .takeCheckpoint, .send(.checkpoint(piece))])
        #expect(driver.session.phase == .atRung(trial: "t1", epoch: 2))
        #expect(driver.session.isWaitingAtRung)
        // Another epoch's or trial's proceed is not this one's.
        driver.receive(.proceed(trial: "t1", epoch: 1))
        driver.receive(.proceed(trial: "t9", epoch: 2))
        #expect(driver.session.isWaitingAtRung)
        // Silence, a reconnect that names the trial, and a welcome: the checkpoint again, no ready.
        let silence = driver.run(for: .seconds(3.1))
        #expect(silence.hellos.map(\.running) == ["t1"])
        #expect(driver.session.connection == .reconnecting(attempt: 1))
        #expect(driver.welcome() == [.send(.checkpoint(piece))])
        // Ctrl-C does not end a rung's wait either.
        #expect(driver.feed(.interrupted).isEmpty)
        #expect(driver.session.isWaitingAtRung)
        #expect(driver.receive(.proceed(trial: "t1", epoch: 2)).isEmpty)
        #expect(driver.session.phase == .training(trial: "t1"))
        driver.epoch(3)
        #expect(driver.epoch(4).pieces.map(\.epoch) == [4])
    }

    @Test func aStopAtTheRungEndsTheWaitAndAStopAfterALaterEpochDoesNot() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1", work: .init(pauseAt: [2]))
        driver.epoch(1)
        driver.epoch(2)
        #expect(driver.receive(.stop(trial: "t1", afterEpoch: 4)).isEmpty)
        #expect(driver.session.isWaitingAtRung)
        #expect(driver.receive(.stop(trial: "t1", afterEpoch: 2)) == [.halt])
        #expect(!driver.session.isWaitingAtRung)
        let out = driver.feed(.trainingEnded(SessionDriver.result(epochs: 2)))
        #expect(out.results.map(\.outcome.status) == [.stopped])

        // Stopped there already, or diverged there: no wait and no checkpoint.
        var stopped = SessionDriver()
        stopped.welcome()
        stopped.assignTraining("t1", work: .init(pauseAt: [2]))
        stopped.receive(.stop(trial: "t1", afterEpoch: 2))
        #expect(stopped.epoch(2).pieces.isEmpty)
        var diverged = SessionDriver()
        diverged.welcome()
        diverged.assignTraining("t1", work: .init(pauseAt: [2]))
        #expect(diverged.epoch(2, loss: .nan).pieces.isEmpty)
        #expect(!diverged.session.isWaitingAtRung)
    }

    /// `checkpoint_every` seconds of training between checkpoints, counted afresh after a rung.
    @Test func checkpointsGoOutEverySoManySecondsButNotDuringARungWait() {
        var driver = SessionDriver()
        driver.checkpoint = Array(repeating: 1, count: Message.chunkSize * 2 + 10)
        driver.welcome()
        driver.assignTraining("t1", work: .init(checkpointEvery: 2, pauseAt: [1]))
        var taken: [Int64] = []
        for _ in 0..<50 {
            if driver.run(for: .milliseconds(100)).contains(.takeCheckpoint) { taken.append(milliseconds(driver.elapsed)) }
        }
        #expect(taken == [2000, 4000])
        // A checkpoint larger than a piece goes in pieces of `chunkSize`, in order.
        let pieces = driver.effects.pieces.suffix(3)
        #expect(pieces.map(\.offset) == [0, Message.chunkSize, 2 * Message.chunkSize])
        #expect(pieces.allSatisfy { $0.total == Message.chunkSize * 2 + 10 && $0.epoch == 0 })
        driver.epoch(1)  // the rung at 5 s
        #expect(driver.run(for: .seconds(10)).contains(.takeCheckpoint) == false)
        driver.receive(.proceed(trial: "t1", epoch: 1))
        taken = []
        let proceeded = driver.elapsed
        for _ in 0..<25 {
            if driver.run(for: .milliseconds(100)).contains(.takeCheckpoint) { taken.append(milliseconds(driver.elapsed - proceeded)) }
        }
        #expect(taken == [2000])

        var never = SessionDriver()
        never.welcome()
        never.assignTraining("t1", work: .init(checkpointEvery: 0))
        #expect(!never.run(for: .seconds(30)).contains(.takeCheckpoint))
    }

    @Test func sendFinalSendsTheLastCheckpointBeforeTheResultOfACompletedRunOnly() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1", work: .init(sendFinal: true))
        for epoch in 1...5 { driver.epoch(epoch) }
        let result = SessionDriver.result(epochs: 5)
        let out = driver.feed(.trainingEnded(result))
        #expect(out.first == .takeCheckpoint)
        #expect(out.sent.map(\.isCheckpoint) == [true, false])
        #expect(out.pieces.map(\.epoch) == [5])
        #expect(out.results.map(\.outcome) == [result])

        for ending in [SessionDriver.result(epochs: 3, status: .diverged), SessionDriver.result(epochs: 5)] {
            var other = SessionDriver()
            other.welcome()
            other.assignTraining("t1", work: .init(sendFinal: true))
            if ending.status == .completed { other.receive(.stop(trial: "t1", afterEpoch: 3)) }
            let end = other.feed(.trainingEnded(ending))
            #expect(!end.contains(.takeCheckpoint) && end.results.count == 1)
        }
    }

    /// The final weights went out while the coordinator counted this worker as lost (so it refused
    /// them): after the reconnect the hello claims the trial, and the weights go out again before
    /// the result, so the kept model is not lost with them.
    @Test func theFinalWeightsGoOutAgainWithTheResultAfterAReconnect() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1", number: 3, work: .init(sendFinal: true))
        for epoch in 1...5 { driver.epoch(epoch) }
        let result = SessionDriver.result(epochs: 5)
        driver.feed(.trainingEnded(result))
        let silence = driver.run(for: .seconds(4))
        #expect(silence.contains(.reconnect))
        let hello = try? #require(silence.hellos.last)
        #expect(hello?.running == "t1" && hello?.number == 3 && hello?.config == SessionDriver.config, "\(String(describing: hello))")
        let again = driver.welcome()
        #expect(again.sent.map(\.isCheckpoint) == [true, false])
        #expect(again.pieces.map(\.epoch) == [5] && again.pieces.first?.data == Data(driver.checkpoint))
        #expect(again.results.map(\.outcome) == [result])
        // Without final weights, a pending result claims nothing (as before).
        var plain = SessionDriver()
        plain.welcome()
        plain.assignTraining("t2")
        for epoch in 1...5 { plain.epoch(epoch) }
        plain.feed(.trainingEnded(result))
        #expect(plain.run(for: .seconds(4)).hellos.last?.running == nil)
    }

    @Test func aTrialIsIgnoredWhileAnotherIsAtHand() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1", work: .init(pauseAt: [1]))
        let offer = Message.trial(id: "t2", number: 9, config: Self.config)
        #expect(driver.receive(offer) == [.log("ignoring trial t2: still busy")])
        driver.epoch(1)
        #expect(driver.receive(offer) == [.log("ignoring trial t2: still busy")])
        var assigned = SessionDriver()
        assigned.welcome()
        assigned.receive(.trial(id: "t1", number: 1, config: Self.config, work: .init(resumeBytes: 10)))
        #expect(assigned.receive(offer) == [.log("ignoring trial t2: still busy")])
        // A trial with neither a configuration nor a program is said, not dropped.
        var empty = SessionDriver()
        empty.welcome()
        #expect(empty.receive(.trial(id: "t3", number: 1, config: nil)).logs == ["ignoring trial t3: it has neither a configuration nor a program"])
        // What the shell says out of turn is said too.
        #expect(empty.epoch(1).logs == ["ignoring an epoch's end: no trial here expects it"])
        #expect(empty.feed(.checkpointTaken([1])).logs == ["ignoring a checkpoint: no trial here expects it"])
    }
}

extension Message {
    var isCheckpoint: Bool {
        if case .checkpoint = self { return true }
        return false
    }
}

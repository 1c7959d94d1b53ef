import Foundation
import Testing
import Training
import Worker
import Wire

/// A trial handed out with a checkpoint: its pieces arrive, in order or not.
@Suite("Worker session: resuming from a checkpoint")
struct ResumeTests {
    static let config = SessionDriver.config
    static let bytes: [UInt8] = (0..<250).map { UInt8($0 % 251) }

    static func piece(_ range: Range<Int>, of bytes: [UInt8] = bytes, trial: String = "t1") -> Message {
        .checkpoint(.init(trial: trial, epoch: 3, offset: range.lowerBound, total: bytes.count, data: Data(bytes[range])))
    }

    static func assigned(total: Int = bytes.count) -> SessionDriver {
        var driver = SessionDriver()
        driver.welcome()
        #expect(driver.receive(.trial(id: "t1", number: 4, config: config, work: .init(resumeBytes: total))).isEmpty)
        return driver
    }

    @Test func piecesInOrderMakeTheCheckpointTheTrainerResumesFrom() {
        var driver = Self.assigned()
        #expect(driver.session.phase == .assigned(trial: "t1", received: 0, total: 250))
        #expect(driver.receive(Self.piece(0..<100)).isEmpty)
        #expect(driver.receive(Self.piece(100..<200)).isEmpty)
        #expect(driver.session.phase == .assigned(trial: "t1", received: 200, total: 250))
        // A hello now claims nothing: the trial is not training yet.
        #expect(driver.run(for: .seconds(3.1)).hellos.map(\.running) == [nil])
        #expect(driver.receive(Self.piece(200..<250)) == [.train(trial: "t1", config: Self.config, resumeFrom: Self.bytes)])
        #expect(driver.session.phase == .training(trial: "t1"))
        #expect(driver.feed(.trainingStarted(epochsDone: 3, resumption: .resumed)).logs == ["training t1 from its checkpoint after epoch 3"])
        // It reports from epoch 4 on.
        #expect(driver.epoch(4).sent == [.progress(trial: "t1", metrics: SessionDriver.metrics(4))])
    }

    @Test func aPieceOutOfOrderStartsTheTrialFromScratchWithOneLine() {
        var driver = Self.assigned()
        driver.receive(Self.piece(0..<100))
        let out = driver.receive(Self.piece(150..<250))
        #expect(out == [.log("checkpoint for t1 arrived out of order; training it from scratch"),
                        .train(trial: "t1", config: Self.config, resumeFrom: nil)])
    }

    /// A test of the test: the check above does fail when the session's answer differs.
    @Test func theOutOfOrderCheckCanFail() {
        var driver = Self.assigned()
        driver.receive(Self.piece(0..<100))
        let out = driver.receive(Self.piece(150..<250))
        withKnownIssue("an out-of-order piece never resumes from what came") {
            #expect(out.contains(.train(trial: "t1", config: Self.config, resumeFrom: Array(Self.bytes[0..<100]))))
        }
    }

    @Test func aCheckpointThatCannotBeRightStartsFromScratch() {
        // Larger than any checkpoint of the configuration: refused at its first piece.
        let huge = TrainingCheckpoint.maximumSize(for: Self.config) + 1
        var tooLarge = Self.assigned(total: huge)
        let first = Message.checkpoint(.init(trial: "t1", epoch: 3, offset: 0, total: huge, data: Data([1, 2, 3])))
        #expect(tooLarge.receive(first).last == .train(trial: "t1", config: Self.config, resumeFrom: nil))
        // A piece that says another total, or runs past the total.
        var otherTotal = Self.assigned()
        let wrong = Message.checkpoint(.init(trial: "t1", epoch: 3, offset: 0, total: 99, data: Data([1])))
        #expect(otherTotal.receive(wrong).last == .train(trial: "t1", config: Self.config, resumeFrom: nil))
        var past = Self.assigned(total: 100)
        let long = Message.checkpoint(.init(trial: "t1", epoch: 3, offset: 0, total: 100, data: Data(Self.bytes[0..<150])))
        #expect(past.receive(long).last == .train(trial: "t1", config: Self.config, resumeFrom: nil))
        // Bytes that do not decode: the shell says so, and the session says it in one line.
        #expect(past.feed(.trainingStarted(epochsDone: 0, resumption: .refused("not a checkpoint"))).logs
                == ["refused the checkpoint of t1 (not a checkpoint); training it from scratch"])
    }

    @Test func anotherTrialsPieceIsSaidAndChangesNothing() {
        var driver = Self.assigned()
        driver.receive(Self.piece(0..<100))
        #expect(driver.receive(Self.piece(100..<200, trial: "t0")).logs == ["ignoring a checkpoint piece of t0: no trial here waits for one"])
        #expect(driver.session.phase == .assigned(trial: "t1", received: 100, total: 250))
    }

    /// A welcome (a new connection) or a stop drops the assignment: its pieces went to the old one.
    @Test func aWelcomeOrAStopWhileAssignedFreesTheWorker() {
        var driver = Self.assigned()
        driver.receive(Self.piece(0..<100))
        #expect(driver.welcome().sent == [.ready])
        #expect(driver.session.phase == .idle)
        #expect(driver.receive(Self.piece(100..<200)).logs.count == 1)

        var stopped = Self.assigned()
        // A stop after an epoch does not apply to a trial still waiting for its checkpoint (as before).
        #expect(stopped.receive(.stop(trial: "t1", afterEpoch: 2)).isEmpty)
        #expect(stopped.receive(.stop(trial: "t1", afterEpoch: nil)).sent == [.ready])
        #expect(stopped.session.phase == .idle)

        var leaving = Self.assigned()
        #expect(leaving.receive(.bye) == [.exit(.finished)])
    }
}

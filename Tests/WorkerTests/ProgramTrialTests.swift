import Foundation
import Programs
import Testing
import Training
import Worker
import SweepCore
import Wire

/// A program trial through `WorkerSession`: a metric line is an epoch, its output goes out in pieces
/// as it comes and the rest before the result, a stop ends it. Scripted inputs, virtual time.
@Suite("Worker session: a program trial")
struct ProgramTrialTests {
    static let job = SessionDriver.job

    static func started(attempt: Int = 2) -> SessionDriver {
        var driver = SessionDriver()
        driver.welcome()
        let out = driver.receive(.trial(id: "p1", number: 2, config: nil, work: .init(program: job, attempt: attempt)))
        #expect(out == [.runProgram(trial: "p1", job: job, attempt: attempt)])
        #expect(driver.feed(.programStarted).logs == ["running p1 (attempt \(attempt))"])
        return driver
    }

    static func line(_ values: (String, Double)...) -> MetricLine {
        MetricLine(epoch: nil, values: values.map { MetricLine.Metric($0.0, $0.1) })
    }

    static func log(_ text: String) -> TrialLog {
        var log = TrialLog()
        log.append(Array(text.utf8))
        return log
    }

    static func progress(_ effects: [WorkerSession.Effect]) -> [EpochMetrics] {
        effects.sent.compactMap { if case .progress(_, let metrics) = $0 { return metrics } else { return nil } }
    }

    @Test func eachMetricLineIsAnEpochAndTheLogGoesOutBeforeTheResult() {
        var driver = Self.started()
        driver.advance(.milliseconds(1500))
        let first = Self.progress(driver.feed(.metricLine(Self.line(("loss", 0.9)))))
        #expect(first.map(\.epoch) == [1] && first.map(\.extra) == [["loss": 0.9]])
        #expect(first.allSatisfy { abs($0.seconds - 1.5) < 1e-9 }, "\(first)")
        driver.advance(.seconds(1))
        // A line that says its own seconds keeps them.
        let second = Self.progress(driver.feed(.metricLine(Self.line(("loss", 0.7), ("seconds", 7)))))
        #expect(second.map(\.epoch) == [2] && second.map(\.seconds) == [7])

        // Output goes out as it comes, at most one piece per interval.
        var output = "epoch 1\n"
        #expect(driver.feed(.logOutput(Self.log(output))).logPieces == [.init(trial: "p1", attempt: 2, offset: 0, data: Data(output.utf8))])
        output += "epoch 2\n"
        #expect(driver.feed(.logOutput(Self.log(output))).logPieces.isEmpty)
        driver.advance(.milliseconds(250))  // the stream's interval
        #expect(driver.feed(.logOutput(Self.log(output))).logPieces.map(\.offset) == [8])
        output += "done\n"
        let end = driver.feed(.programEnded(.completed, log: Self.log(output), ending: "exit 0", leftoverNote: nil))
        #expect(end.sent.count == 2)
        #expect(end.logPieces == [.init(trial: "p1", attempt: 2, offset: 16, data: Data("done\n".utf8), end: "exit 0")])
        guard case .result(let trial, let number, let outcome) = end.sent.last else {
            Issue.record("no result after the log: \(end)")
            return
        }
        #expect(trial == "p1" && number == 2 && outcome.status == .completed && outcome.config == nil && outcome.reason == nil)
        #expect(outcome.epochs.map(\.epoch) == [1, 2])
        #expect(driver.session.phase == .resultPending(trial: "p1"))
        #expect(driver.receive(.ack(trial: "p1")).sent == [.ready])
    }

    @Test func aStopAfterEpochNEndsTheProgramAtItsNthLineAndCutsTheResult() {
        var driver = Self.started()
        #expect(driver.receive(.stop(trial: "p1", afterEpoch: 2)).isEmpty)
        #expect(!driver.feed(.metricLine(Self.line(("loss", 0.9)))).contains(.halt))
        #expect(driver.feed(.metricLine(Self.line(("loss", 0.8)))).last == .halt)
        // A line the program printed before SIGTERM took effect is still progress, but not in the result.
        #expect(Self.progress(driver.feed(.metricLine(Self.line(("loss", 0.7))))).map(\.epoch) == [3])
        let end = driver.feed(.programEnded(.stopped, log: Self.log("x"), ending: "stopped, killed by signal 15", leftoverNote: nil))
        #expect(end.logs == ["stopped p1 after epoch 2"])
        #expect(end.results.map(\.outcome.status) == [.stopped])
        #expect(end.results.map(\.outcome.epochs.count) == [2])
    }

    @Test func aStopWithoutAnEpochAbandonsItsLogGoesOutAndTheWorkerIsReady() {
        var driver = Self.started()
        driver.feed(.metricLine(Self.line(("loss", 0.9))))
        #expect(driver.receive(.stop(trial: "p1", afterEpoch: nil)) == [.halt])
        let end = driver.feed(.programEnded(.stopped, log: Self.log("bye\n"), ending: "stopped, killed by signal 15", leftoverNote: nil))
        #expect(end.logs == ["abandoned p1"])
        #expect(end.logPieces.map(\.end) == ["abandoned: stopped, killed by signal 15"])
        #expect(end.sent.last == .ready)
        #expect(end.results.isEmpty)
        #expect(driver.session.phase == .idle)
    }

    /// A trial that ends within the stream's first interval sends its whole output in one piece, with
    /// its end (the coordinator writes such a log once).
    @Test func aShortTrialsOutputGoesInOnePiece() {
        var driver = Self.started()
        #expect(driver.feed(.logOutput(Self.log("all of it\n"))).logPieces.isEmpty)
        let end = driver.feed(.programEnded(.completed, log: Self.log("all of it\n"), ending: "exit 0", leftoverNote: nil))
        #expect(end.logPieces == [.init(trial: "p1", attempt: 2, offset: 0, data: Data("all of it\n".utf8), end: "exit 0")])
    }

    @Test func byeOrCtrlCAbandonsTheProgramAndTheWorkerLeavesAfterItsLog() {
        for (input, exit) in [(WorkerSession.Input.received(.bye), WorkerSession.Exit.finished), (.interrupted, .stopped),
                              (.orphaned, .orphaned)] {
            var driver = Self.started()
            #expect(driver.feed(input) == [.halt])
            // The program's output still goes out while it ends (the coordinator keeps the log).
            driver.advance(.milliseconds(250))  // the stream's interval after the start
            #expect(driver.feed(.logOutput(Self.log("a"))).logPieces.count == 1)
            let end = driver.feed(.programEnded(.stopped, log: Self.log("ab"), ending: "stopped, exit 0", leftoverNote: nil))
            #expect(end.logPieces.map(\.end) == ["abandoned: stopped, exit 0"])
            #expect(!end.sent.contains(.ready) && end.results.isEmpty)
            #expect(end.last == .exit(exit))
        }
    }

    @Test func aProgramThatCannotStartFailsWithItsReasonInTheLogAndTheResult() {
        var driver = SessionDriver()
        driver.welcome()
        driver.receive(.trial(id: "p1", number: 0, config: nil, work: .init(program: Self.job)))
        let out = driver.feed(.programCouldNotStart("train.py: no such file"))
        #expect(out.logs == ["cannot start p1: train.py: no such file"])
        #expect(out.logPieces == [.init(trial: "p1", attempt: 1, offset: 0, data: Data("cannot start: train.py: no such file\n".utf8),
                                        end: "could not start")])
        #expect(out.results.map(\.outcome) == [TrainingResult(config: nil, epochs: [], status: .failed, reason: "cannot start: train.py: no such file")])
    }

    @Test func howTheProgramEndedIsItsResultsStatusAndReason() {
        let cases: [(ProgramRun.Outcome, String?, TrainingResult.Status, String?, String?)] = [
            (.completed, "it left 1 process running", .completed, "it left 1 process running", nil),
            (.diverged, nil, .diverged, nil, "p1 diverged: loss is not finite at epoch 1"),
            (.failed("exit 1: boom"), "it left 1 process running", .failed, "exit 1: boom; it left 1 process running", "p1 failed: exit 1: boom"),
            (.failed("timeout"), nil, .failed, "timeout", "p1 failed: timeout"),
        ]
        for (outcome, note, status, reason, line) in cases {
            var driver = Self.started()
            driver.feed(.metricLine(Self.line(("loss", 0.5))))
            let end = driver.feed(.programEnded(outcome, log: TrialLog(), ending: "exit 0", leftoverNote: note))
            #expect(end.results.map(\.outcome.status) == [status])
            #expect(end.results.map(\.outcome.reason) == [reason])
            #expect(end.logs == (line.map { [$0] } ?? []))
            // An empty log still has its last piece, which says how the program ended.
            #expect(end.logPieces.map(\.end) == ["exit 0"])
        }
    }

    @Test func aLongLogEndsInPiecesTheWireTakesTheLastSayingHowItEnded() {
        var driver = Self.started()
        let text = String(repeating: "x", count: Message.chunkSize * 2 + 5)
        let end = driver.feed(.programEnded(.completed, log: Self.log(text), ending: "exit 0", leftoverNote: nil))
        #expect(end.logPieces.map(\.offset) == [0, Message.chunkSize, 2 * Message.chunkSize])
        #expect(end.logPieces.map(\.end) == [nil, nil, "exit 0"])
        #expect(end.sent.last.map { if case .result = $0 { true } else { false } } == true)
    }

    @Test func aProgramTrialIgnoresAnotherAndTheShellsOutOfTurnInputsAreSaid() {
        var driver = Self.started()
        #expect(driver.receive(.trial(id: "p2", number: 3, config: nil, work: .init(program: Self.job))).logs == ["ignoring trial p2: still busy"])
        // No rung and no checkpoint for a program: an epoch's end from a trainer is out of turn.
        #expect(driver.epoch(1).logs == ["ignoring an epoch's end: no trial here expects it"])
        #expect(!driver.run(for: .seconds(1)).contains(.takeCheckpoint))
        #expect(driver.session.phase == .training(trial: "p1"))
    }
}

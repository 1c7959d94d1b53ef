import Testing
import Training
import Worker

/// The connection side of `WorkerSession`: hello, welcome, heartbeats, silence, reconnects with
/// backoff, and what a welcome sends again. Scripted inputs, virtual time.
@Suite("Worker session: the connection")
struct ConnectionTests {
    @Test func itSaysHelloAndWaitsForTheWelcomeBeforeReady() {
        var driver = SessionDriver()
        #expect(driver.effects == [.send(.hello(.init(worker: "w1", host: "h", pid: 42)))])
        #expect(driver.session.connection == .connecting)
        #expect(driver.session.phase == .idle)
        // Nothing but heartbeats before the welcome: no ready to a coordinator that has not answered.
        #expect(driver.run(for: .seconds(2)).sent == [.heartbeat, .heartbeat])
        #expect(driver.welcome(heartbeatMilliseconds: 250, liveness: 4).sent == [.ready])
        #expect(driver.session.connection == .welcomed)
    }

    @Test func itBeatsAtTheWelcomedIntervalOnlyWhenItSentNothingElse() {
        var driver = SessionDriver()
        driver.welcome(heartbeatMilliseconds: 200, liveness: 3)
        // Ready went out at 0: the first beat is due at 200 ms, not before.
        #expect(driver.run(for: .milliseconds(100), step: .milliseconds(50)).sent.isEmpty)
        let beats = driver.run(for: .milliseconds(100), step: .milliseconds(50)).sent
        #expect(beats == [.heartbeat])
        driver.receive(.heartbeat)
        // Any message sent counts as a beat: progress at 300 ms puts the next beat at 500 ms.
        driver.advance(.milliseconds(100))
        driver.assignTraining()
        driver.epoch(1)
        #expect(driver.run(for: .milliseconds(150), step: .milliseconds(50)).sent.isEmpty)
        #expect(driver.run(for: .milliseconds(50), step: .milliseconds(50)).sent == [.heartbeat])
        // A heartbeat of under 10 ms is taken as 10 ms; a liveness under 1 as 1.
        driver.welcome(heartbeatMilliseconds: 0, liveness: 0)
        #expect(driver.run(for: .milliseconds(10), step: .milliseconds(5)).sent == [.heartbeat])
        #expect(driver.run(for: .milliseconds(15), step: .milliseconds(5)).contains(.reconnect))
    }

    /// Silence longer than `heartbeat × liveness` makes a fresh socket and a new hello; the next try
    /// waits for that too and for a backoff that doubles from 1 s up to the cap; a welcome resets the
    /// backoff (a try scheduled before it stays scheduled, as it always has).
    @Test func reconnectsBackOffExponentiallyToTheCapAndAWelcomeResetsThem() {
        var driver = SessionDriver()
        var times: [Duration] = []
        for _ in 0..<1200 {
            if driver.run(for: .milliseconds(100)).contains(.reconnect) { times.append(driver.elapsed) }
        }
        let gaps = zip(times, [.zero] + times).map { milliseconds($0 - $1) }
        // 3 s of silence (strictly more: 3.1 s at 100 ms ticks), while the backoff (1, 2 s) is shorter;
        // then the backoff: 4, 8, 16 s, and 30 s, the cap.
        #expect(gaps == [3100, 3100, 3100, 4000, 8000, 16000, 30000, 30000], "\(gaps)")
        #expect(driver.session.connection == .reconnecting(attempt: 8))
        // Every reconnect is a fresh socket followed by a hello, and says why in one line.
        #expect(driver.effects.count(.reconnect) == 8)
        #expect(driver.effects.hellos.count == 9)
        #expect(driver.effects.logs.filter { $0 == "coordinator silent for 3.0 seconds; reconnecting" }.count == 8)

        driver.welcome(heartbeatMilliseconds: 100, liveness: 2)
        #expect(driver.session.connection == .welcomed)
        // While the coordinator talks there is no reconnect, and the try scheduled before the welcome
        // (at 127.3 s) passes.
        for _ in 0..<400 {
            driver.run(for: .milliseconds(100), step: .milliseconds(50))
            driver.receive(.heartbeat)
        }
        #expect(driver.effects.count(.reconnect) == 8)
        let silent = driver.elapsed
        var after: [Duration] = []
        for _ in 0..<80 {
            if driver.run(for: .milliseconds(50), step: .milliseconds(50)).contains(.reconnect) { after.append(driver.elapsed - silent) }
        }
        // 200 ms of silence now (strictly more: 250 ms at 50 ms ticks); the backoff starts again at 1 s, then 2 s.
        #expect(after.map(milliseconds) == [250, 1250, 3250], "\(after)")
    }

    /// A welcome's numbers come off the socket: absurd ones are clamped (a beat of at most an hour,
    /// at most 1,000 beats of silence), never an overflow that traps.
    @Test func anAbsurdWelcomeIsClampedNotATrap() {
        var driver = SessionDriver()
        driver.welcome(heartbeatMilliseconds: Int.max, liveness: Int.max)
        #expect(driver.session.connection == .welcomed)
        // Silence is judged against an hour × 1,000 beats: nothing happens in a day of ticks.
        #expect(!driver.run(for: .seconds(86_400), step: .seconds(60)).contains(.reconnect))
        driver.welcome(heartbeatMilliseconds: Int.min, liveness: Int.min)
        // 10 ms × 1 beat: a reconnect within the first ticks of silence.
        #expect(driver.run(for: .milliseconds(200), step: .milliseconds(20)).contains(.reconnect))
    }

    @Test func theBackoffStopsAtTheGivenCap() {
        var driver = SessionDriver(maxBackoff: .seconds(5))
        var times: [Duration] = []
        for _ in 0..<400 {
            if driver.run(for: .milliseconds(100)).contains(.reconnect) { times.append(driver.elapsed) }
        }
        let gaps = zip(times, [.zero] + times).map { milliseconds($0 - $1) }
        #expect(gaps.prefix(6) == [3100, 3100, 3100, 4000, 5000, 5000], "\(gaps)")
    }

    @Test func aMessageOfAnyKindCountsAsLifeButAnUnexpectedOneIsSaid() {
        var driver = SessionDriver()
        driver.welcome()
        for _ in 0..<10 {
            driver.run(for: .seconds(2))
            driver.receive(.checkpointStored(trial: "x", epoch: 1))
        }
        #expect(!driver.effects.contains(.reconnect))
        #expect(driver.effects.logs.contains("checkpoint of x after epoch 1 stored"))
        let out = driver.receive(.ready)
        #expect(out.logs == ["unexpected ready from the coordinator"])
        #expect(out.sent.isEmpty)
    }

    @Test func aHelloAfterAReconnectNamesTheTrialItsPositionAndItsConfiguration() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1", number: 7)
        let hello = driver.run(for: .seconds(3.1)).hellos
        #expect(hello == [.init(worker: "w1", host: "h", pid: 42, running: "t1", number: 7, config: SessionDriver.config)])
        // Once its result is out, the trial is no longer claimed: the hello names nothing.
        driver.feed(.trainingEnded(SessionDriver.result(epochs: 5)))
        let later = driver.run(for: .seconds(4)).hellos
        #expect(later == [.init(worker: "w1", host: "h", pid: 42)])
    }

    @Test func aProgramTrialIsClaimedWithoutAConfiguration() {
        var driver = SessionDriver()
        driver.welcome()
        driver.receive(.trial(id: "p1", number: 2, config: nil, work: .init(program: SessionDriver.job, attempt: 2)))
        driver.feed(.programStarted)
        #expect(driver.run(for: .seconds(3.1)).hellos == [.init(worker: "w1", host: "h", pid: 42, running: "p1", number: 2)])
    }

    /// The result goes out again after every welcome until it is acknowledged; then `ready`.
    @Test func aPendingResultIsSentAgainAfterEveryWelcomeUntilItsAck() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1", number: 3)
        let result = SessionDriver.result(epochs: 5)
        #expect(driver.feed(.trainingEnded(result)).sent == [.result(trial: "t1", number: 3, outcome: result)])
        #expect(driver.session.phase == .resultPending(trial: "t1"))
        for _ in 0..<3 {
            #expect(driver.run(for: .seconds(3.1)).contains(.reconnect))
            #expect(driver.welcome().sent == [.result(trial: "t1", number: 3, outcome: result)])
        }
        // Another trial's ack changes nothing; a trial offered meanwhile is refused with a line.
        #expect(driver.receive(.ack(trial: "t0")).sent.isEmpty)
        #expect(driver.receive(.trial(id: "t2", number: 4, config: SessionDriver.config)).logs == ["ignoring trial t2: still busy"])
        #expect(driver.receive(.ack(trial: "t1")).sent == [.ready])
        #expect(driver.session.phase == .idle)
        #expect(driver.welcome().sent == [.ready])
    }

    @Test func aStopOfTheTrialWhoseResultWaitsForgetsIt() {
        var driver = SessionDriver()
        driver.welcome()
        driver.assignTraining("t1")
        driver.feed(.trainingEnded(SessionDriver.result(epochs: 5)))
        // Cut by the coordinator itself: the result still waits for its ack.
        #expect(driver.receive(.stop(trial: "t1", afterEpoch: 2)).sent.isEmpty)
        #expect(driver.session.phase == .resultPending(trial: "t1"))
        #expect(driver.receive(.stop(trial: "t1", afterEpoch: nil)).sent == [.ready])
        #expect(driver.session.phase == .idle)
    }

    @Test func byeAndErrorEndAnIdleWorkerAtOnceAndNothingIsDoneAfter() {
        var driver = SessionDriver()
        driver.welcome()
        #expect(driver.receive(.bye) == [.exit(.finished)])
        #expect(driver.session.exit == .finished)
        #expect(driver.run(for: .seconds(10)).isEmpty)
        #expect(driver.receive(.trial(id: "t1", number: 0, config: SessionDriver.config)).isEmpty)

        var refused = SessionDriver()
        #expect(refused.receive(.error(reason: "protocol 2, this coordinator speaks 1")) == [.exit(.refused("protocol 2, this coordinator speaks 1"))])
        var orphan = SessionDriver()
        orphan.welcome()
        #expect(orphan.feed(.orphaned) == [.exit(.orphaned)])
        var interrupted = SessionDriver()
        interrupted.welcome()
        #expect(interrupted.feed(.interrupted) == [.exit(.stopped)])
    }
}

/// Whole milliseconds of `duration` (exact, unlike a conversion through seconds as a Double).
func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

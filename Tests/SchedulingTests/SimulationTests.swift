import Foundation
import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepCore

/// `Simulation`: the real scheduler against workers in virtual time. Its decisions are the fleet's
/// (which the determinism tests tie to any number of workers and faults), whatever the number of
/// simulated workers, their speeds and deaths; its clock is the recorded seconds.
@Suite("Simulation: virtual time")
struct SimulationTests {
    static func simulate(_ spec: SweepSpec, workers: Int, factors: [Double] = [], failures: Double = 0, rejoin: Double? = nil,
                         seed: UInt64 = 0, source: CurveSource = .formula) -> Simulation {
        var options = Simulation.Options()
        options.workers = workers
        options.timeFactors = factors
        options.failuresPerHour = failures
        options.rejoinAfter = rejoin
        options.seed = seed
        options.scheduler.maxAttempts = 1_000  // giving up on a trial is fault-dependent by design
        var simulation = Simulation(spec, source: source, options: options)
        simulation.run()
        return simulation
    }

    @Test(arguments: DeterminismTests.cases)
    func anyNumberOfSimulatedWorkersDecidesAsTheFleetDoes(_ test: DeterminismTests.Case) {
        var reference = Fleet(test.spec, workers: 1, seed: 1)
        let expected = outcomes(reference.run())
        for workers in [1, 2, 7, 64] {
            let simulation = Self.simulate(test.spec, workers: workers, factors: [1, 3.5, 0.5])
            #expect(simulation.harness.scheduler.phase != .running, "\(workers) workers: unfinished")
            #expect(outcomes(simulation.harness.records) == expected, "\(workers) workers")
        }
    }

    @Test(arguments: DeterminismTests.cases)
    func deathsAndRejoinsChangeTimeButNotDecisions(_ test: DeterminismTests.Case) {
        var reference = Fleet(test.spec, workers: 1, seed: 1)
        let expected = outcomes(reference.run())
        // Epochs of 10 to 30 s and a death every 2 minutes a worker: most trials meet one.
        let calm = Self.simulate(test.spec, workers: 4, factors: [1000, 3000])
        let stormy = Self.simulate(test.spec, workers: 4, factors: [1000, 3000], failures: 30, rejoin: 20, seed: 7)
        print("\(test.name): \(stormy.figures.deaths) deaths, \(stormy.figures.joined) joined, "
              + "\(calm.figures.seconds) s calm, \(stormy.figures.seconds) s with deaths")
        #expect(stormy.figures.deaths >= 3, "too few deaths to mean anything")
        #expect(outcomes(stormy.harness.records) == expected)
        #expect(outcomes(calm.harness.records) == expected)
        // Time is not monotone in deaths (rungs reorder who waits), but lost epochs are trained again.
        let again = Self.simulate(test.spec, workers: 4, factors: [1000, 3000], failures: 30, rejoin: 20, seed: 7)
        #expect(again.figures == stormy.figures && again.curve == stormy.curve, "the same seed, the same simulation")
        #expect(stormy.figures.epochsTrained > calm.figures.epochsTrained, "deaths cost epochs")
    }

    /// 10,000 workers on a hyperband sweep of 12,000 trials: every trial once, decided as with one.
    @Test(.timeLimit(.minutes(5)))
    func tenThousandWorkersRecordEveryTrialOnceAndDecideAsOne() {
        let spec = SweepSpec.test("""
            method: random
            run_cap: 12000
            random_seed: 3
            early_terminate: {type: hyperband, min_iter: 1, eta: 3}

            """ + DeterminismTests.space)
        let one = Self.simulate(spec, workers: 1)
        let many = Self.simulate(spec, workers: 10_000, factors: [1, 2, 0.7])
        let records = many.harness.records
        #expect(many.harness.scheduler.phase != .running)
        #expect(records.count == 12_000)
        #expect(Set(records.map(\.id)).count == 12_000, "a trial recorded twice")
        #expect(Set(records.compactMap(\.number)) == Set(0..<12_000))
        #expect(outcomes(records) == outcomes(one.harness.records), "decisions differ from one worker's")
        #expect(records.filter { $0.status == .stopped }.count > 6_000, "hyperband stops most")
        #expect(many.figures.joined == 10_000 && many.figures.deaths == 0)
        // 10,000 workers finish in a small fraction of one worker's time (rungs make some wait).
        print("1 worker: \(one.figures.seconds) s; 10,000: \(many.figures.seconds) s, idle \(many.figures.idleShare)")
        #expect(many.figures.seconds * 100 < one.figures.seconds)
    }

    /// A table's lookups: its own curve, cut or extended only by curves that go further, never by a
    /// shorter diverged one; a program's stopped curve is short however long.
    @Test func aShortCurveIsExtendedOnlyByOneThatGoesFurther() throws {
        let spec = SweepSpec.test("""
            method: random
            run_cap: 4
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              epochs: {value: 8}
            """)
        func point(_ lr: Double) -> TrialPoint {
            var config = TrainingConfig()
            config.learningRate = lr
            config.epochs = 8
            return TrialPoint(config: config)
        }
        func epochs(_ count: Int, loss: Double) -> [EpochMetrics] {
            (1...count).map { EpochMetrics(epoch: $0, trainLoss: loss, testLoss: loss + Double($0), testAccuracy: 0.5, seconds: 1) }
        }
        let table = CurveTable([
            .init(point: point(0.01), epochs: epochs(5, loss: 1), status: .completed),
            .init(point: point(0.011), epochs: epochs(4, loss: 9), status: .diverged),  // nearer, shorter
            .init(point: point(0.05), epochs: epochs(10, loss: 2), status: .completed),
        ]).lookup(for: spec.space)
        let extended = try #require(table.replay(point(0.01), epochs: 8))
        #expect(extended.extended && !extended.cutShort && extended.status == .completed)
        #expect(extended.epochs.map(\.trainLoss) == [1, 1, 1, 1, 1, 2, 2, 2])
        #expect(extended.epochs.map(\.epoch) == Array(1...8))
        // Further than any curve goes: its own, cut where it ends, and said.
        let cut = try #require(table.replay(point(0.01), epochs: 12))
        #expect(cut.cutShort && cut.epochs.count == 5)
        // A stand-in: the nearest that goes as far; the diverged one ends its run as diverged.
        let near = try #require(table.replay(point(0.0105), epochs: 3))
        #expect(near.standIn == point(0.011) && near.status == .completed && near.epochs.count == 3)
        let diverging = try #require(table.replay(point(0.0105), epochs: 8))
        #expect(diverging.standIn == point(0.011) && diverging.status == .diverged && diverging.epochs.count == 4)
        // A program's run ends with its curve, but a stopped curve is not a whole run.
        let program = CurveTable([
            .init(point: RunnerKind.program.point([.init("lr", .real(0.01))]), epochs: epochs(2, loss: 1), status: .stopped),
            .init(point: RunnerKind.program.point([.init("lr", .real(0.3))]), epochs: epochs(6, loss: 3), status: .completed),
        ]).lookup(for: SweepSpec.test("""
            command: [train]
            metric: {name: loss, goal: minimize}
            method: random
            run_cap: 4
            parameters:
              lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
            """).space)
        let run = try #require(program.replay(RunnerKind.program.point([.init("lr", .real(0.01))]), epochs: nil))
        #expect(run.extended && run.epochs.count == 6 && run.epochs.prefix(2).allSatisfy { $0.trainLoss == 1 })
    }

    @Test func aFleetThatDiesWithoutRejoiningStallsInsteadOfRunningForever() {
        let spec = DeterminismTests.hyperband
        let simulation = Self.simulate(spec, workers: 3, factors: [1000], failures: 60, rejoin: nil, seed: 2)
        #expect(simulation.figures.stalled)
        #expect(simulation.figures.deaths == 3)
        #expect(simulation.harness.scheduler.phase == .running, "the sweep did not end: it stalled")
        #expect(simulation.harness.records.count < 30)
        // With rejoins it completes.
        let rejoining = Self.simulate(spec, workers: 3, factors: [1000], failures: 60, rejoin: 30, seed: 2)
        #expect(!rejoining.figures.stalled && rejoining.harness.records.count == 30)
    }

    @Test func theClockIsTheRecordedSecondsTimesEachWorkersFactor() {
        let spec = SweepSpec.test("""
            method: grid
            parameters:
              learning_rate: {values: [0.01, 0.03, 0.1, 0.3]}
              epochs: {value: 5}
            """)
        // One worker, factor 3: 4 trials × 5 epochs × 0.01 s × 3, with no time between them.
        let slow = Self.simulate(spec, workers: 1, factors: [3])
        #expect(abs(slow.figures.seconds - 0.6) < 1e-9, "\(slow.figures.seconds)")
        #expect(slow.figures.epochsTrained == 20)
        #expect(slow.harness.records.allSatisfy { abs($0.seconds - 0.15) < 1e-9 }, "a record's seconds are its worker's")
        #expect(slow.figures.idleShare < 1e-9)
        // Two workers, one four times as slow: the fast one takes 3 trials (0.05 s each) while the
        // slow one takes 1 (0.2 s); the fast one then waits 0.05 s of the 0.4 worker-seconds.
        let two = Self.simulate(spec, workers: 2, factors: [1, 4])
        #expect(abs(two.figures.seconds - 0.2) < 1e-9, "\(two.figures.seconds)")
        #expect(Dictionary(grouping: two.harness.records, by: \.worker).mapValues(\.count) == ["sim1": 3, "sim2": 1])
        #expect(abs(two.figures.idleShare - 0.05 / 0.4) < 1e-9, "\(two.figures.idleShare)")
        // The any-time curve only improves, and ends at the best completed trial.
        let values = two.curve.map(\.value)
        #expect(values == values.sorted(by: >))
        #expect(values.last == two.harness.records.compactMap { $0.metric("test_loss") }.min())
    }
}

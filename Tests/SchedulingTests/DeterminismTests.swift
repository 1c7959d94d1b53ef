import Foundation
@testable import Scheduling
import SweepSimulation
import Sweeping
import Testing
import Training
import SweepFiles

/// The same sweep file gives the same trials — ids, positions, statuses, stops and figures — whether
/// 1, 2 or 8 workers ran it, in whatever order their epochs arrived, and whatever died on the way.
@Suite("Scheduler: determinism")
struct DeterminismTests {
    static let space = """
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          dropout: {distribution: uniform, min: 0, max: 0.5}
          augment: {values: [none, flip, rotate_flip]}
          epochs: {value: 9}
        """

    static let bayes = SweepSpec.test("method: bayes\nrun_cap: 30\nparallelism: 3\nrandom_seed: 5\n" + space)
    static let hyperband = SweepSpec.test("""
        method: random
        run_cap: 30
        random_seed: 2
        early_terminate: {type: hyperband, min_iter: 1, eta: 3}

        """ + space)
    static let both = SweepSpec.test("""
        method: bayes
        run_cap: 24
        parallelism: 4
        early_terminate: {type: asha, min_iter: 1, eta: 2}

        """ + space)
    static let brackets = SweepSpec.test("""
        method: bayes
        run_cap: 40
        parallelism: 2
        random_seed: 3
        early_terminate: {type: asha, min_iter: 1, eta: 2, brackets: 3}

        """ + space)
    // The anchor's configuration: asha that promotes nobody from a rung before eta trials reached it
    // and judges each trial by its best so far, an epoch budget, and a seed drawn per trial (never learnt).
    static let anchor = SweepSpec.test("""
        method: bayes
        run_cap: 1000
        parallelism: 2
        random_seed: 11
        epoch_budget: 110
        early_terminate: {type: asha, min_iter: 1, eta: 3, bootstrap_count: 2, strict: false}

        """ + space + "\n  seed: {distribution: int_uniform, min: 0, max: 2147483647}")
    static let median = SweepSpec.test("""
        method: random
        run_cap: 24
        early_terminate: {type: median, min_iter: 2, min_trials: 3}

        """ + space)
    static let budget = SweepSpec.test("""
        method: random
        run_cap: 500
        epoch_budget: 60
        early_terminate: {type: hyperband, min_iter: 1, eta: 3}

        """ + space)

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: SweepSpec
        var testDescription: String { name }
    }

    static let cases = [Case(name: "bayes", spec: bayes), Case(name: "hyperband", spec: hyperband),
                        Case(name: "bayes + asha", spec: both), Case(name: "bayes + asha, 3 brackets", spec: brackets),
                        Case(name: "bayes + asha, bootstrap 2, not strict, epoch budget, drawn seeds", spec: anchor),
                        Case(name: "median", spec: median),
                        Case(name: "hyperband with an epoch budget", spec: budget)]

    @Test(arguments: cases)
    func oneTwoAndEightWorkersInAnyOrderGiveTheSameTrials(_ test: Case) {
        var reference = Fleet(test.spec, workers: 1, seed: 1)
        let expected = outcomes(reference.run())
        #expect(reference.harness.scheduler.phase != .running, "the one-worker run did not finish")
        #expect(expected.count >= 3)
        for (workers, seed) in [(2, 7), (2, 8), (8, 9), (3, 10)] as [(Int, UInt64)] {
            var fleet = Fleet(test.spec, workers: workers, seed: seed)
            let observed = outcomes(fleet.run())
            #expect(observed == expected, "\(workers) workers, interleaving \(seed): \(observed.count) trials vs \(expected.count)")
        }
    }

    @Test(arguments: cases)
    func killedWorkersAndRestartedSchedulersChangeNothing(_ test: Case) {
        var reference = Fleet(test.spec, workers: 1, seed: 1)
        let expected = outcomes(reference.run())
        // Several fault schedules: which worker dies, how often, and when the scheduler restarts.
        let schedules: [(seed: UInt64, workers: Int, killEvery: Int, restarts: Set<Int>)] = [
            (21, 3, 15, [40, 120, 300]), (22, 2, 9, [25, 70]), (23, 4, 25, [10, 200, 400, 600]), (24, 8, 6, [55]),
        ]
        for schedule in schedules {
            var fleet = Fleet(test.spec, workers: schedule.workers, seed: schedule.seed)
            let observed = outcomes(fleet.run(killEvery: schedule.killEvery, restartAt: schedule.restarts))
            print("\(test.name), schedule \(schedule.seed): \(fleet.kills) workers killed, \(fleet.restarts) restarts, "
                  + "\(observed.count) trials")
            #expect(fleet.kills >= 2, "too few kills to mean anything")
            #expect(observed == expected, "schedule \(schedule.seed)")
        }
    }

    @Test func hyperbandStopsMostTrialsEarlyAndKeepsTheirEpochsUpToTheRung() {
        var fleet = Fleet(Self.hyperband, workers: 2, seed: 3)
        let records = fleet.run()
        let stopped = records.filter { $0.status == .stopped }
        #expect(stopped.count >= records.count / 2, "\(stopped.count) of \(records.count) stopped")
        for record in stopped {
            // Rungs at 1, 3 (and 9, the last epoch, is none): stopped at one, with exactly those epochs.
            #expect([1, 3].contains(record.stoppedAt!))
            #expect(record.epochsRun == record.stoppedAt)
            #expect(fleet.harness.epochs[record.id]?.count == record.stoppedAt)
        }
        #expect(records.contains { $0.status == .completed })
        #expect(fleet.harness.scheduler.statistics.stopped == stopped.count)
    }

    @Test func ashaBracketsJudgeEachTrialFromItsBracketsFirstRungAgainstItsBracketOnly() {
        var fleet = Fleet(Self.brackets, workers: 2, seed: 3)
        let records = fleet.run()
        let rule = Self.brackets.earlyTermination!
        let bracketOf = { (record: TrialRecord) in rule.bracket(at: record.number!, randomSeed: Self.brackets.randomSeed) }
        // Rungs at 1, 2, 4, 8 (8 is none: the last epoch is 9); bracket b is first judged at the b-th.
        #expect(Set(records.map(bracketOf)) == [0, 1, 2], "every bracket is used")
        for record in records where record.status == .stopped {
            #expect(rule.rungs(forEpochs: 9, bracket: bracketOf(record)).contains(record.stoppedAt!),
                    "\(record.number!): bracket \(bracketOf(record)), stopped at \(record.stoppedAt!)")
        }
        #expect(records.contains { $0.status == .stopped && bracketOf($0) == 0 && $0.stoppedAt == 1 })
        // Against its own bracket only: replaying the rule bracket by bracket, in sweep order, gives the
        // same stops. (Judged against all earlier trials instead, the stops would differ: checked below.)
        func replay(grouped: Bool) -> [Int: Int] {
            var stops: [Int: Int] = [:]
            var values: [String: [Double]] = [:]
            let ledger = RungLedger(rule: rule)
            for record in records.sorted(by: { $0.number! < $1.number! }) {
                let epochs = fleet.harness.epochs[record.id]!
                for rung in rule.rungs(forEpochs: 9, bracket: bracketOf(record)) where epochs.count >= rung {
                    let key = grouped ? "\(bracketOf(record))/\(rung)" : "\(rung)"
                    let value = Double(epochs[rung - 1].testLoss)
                    guard value.isFinite else { break }  // diverged: takes no part at the rung
                    let earlier = values[key, default: []].sorted()
                    values[key, default: []].append(value)
                    if ledger.decide(value: value, best: value, earlier: earlier) {
                        stops[record.number!] = rung
                        break
                    }
                }
            }
            return stops
        }
        let recorded = Dictionary(uniqueKeysWithValues: records.compactMap { r in r.stoppedAt.map { (r.number!, $0) } })
        #expect(replay(grouped: true) == recorded)
        #expect(replay(grouped: false) != recorded, "the check cannot tell brackets apart")
    }

    @Test func withEarlyTerminationAProposalWaitsForRecentTrialsRungDecisionsNotTheirLastEpoch() {
        // bayes + asha, parallelism P = 2: proposal k needs trials before k − 2P recorded, and trials
        // k − 2P … k − P − 1 only decided at their rungs (here at epochs 1 and 3 of 9).
        let spec = SweepSpec.test("""
            method: bayes
            run_cap: 60
            parallelism: 2
            early_terminate: {type: asha, min_iter: 1, eta: 3}

            """ + Self.space)
        let p = spec.parallelism
        var fleet = Fleet(spec, workers: 2, seed: 3)
        let records = fleet.run()
        var assignedAt: [Int: Int] = [:], recordedAt: [Int: Int] = [:]
        for (index, action) in fleet.harness.actions.enumerated() {
            if case .assign(_, let assignment) = action, assignedAt[assignment.number] == nil { assignedAt[assignment.number] = index }
            if case .record(let record, _) = action { recordedAt[record.number!] = index }
        }
        let proposals = assignedAt.keys.filter { $0 - p > 10 }.sorted()  // the model's, past the random start-up
        #expect(proposals.count >= 5)
        // Never before the trials older than its window were recorded...
        for k in proposals {
            for j in 0..<(k - 2 * p) {
                #expect((recordedAt[j] ?? .max) < assignedAt[k]!, "proposal \(k) made before trial \(j) was recorded")
            }
        }
        // ...but sometimes before a trial in its window, promoted past its last rung, finished.
        let before = records.filter { $0.status == .completed }.flatMap { trial in
            proposals.filter { k in (k - 2 * p..<k - p).contains(trial.number!) && assignedAt[k]! < recordedAt[trial.number!]! }
        }
        #expect(!before.isEmpty, "no proposal went ahead of a completing trial")
    }

    @Test func theEpochBudgetEndsTheSweepAtTheSameTrialAndMovesLaterOnesAside() {
        var one = Fleet(Self.budget, workers: 1, seed: 1)
        let records = one.run()
        let spent = records.map(\.epochsRun).reduce(0, +)
        let last = records.compactMap(\.number).max()!
        // The trials in order up to the one that crossed the budget, and no more.
        #expect(spent >= 60 && spent - records.first { $0.number == last }!.epochsRun < 60)
        #expect(Set(records.compactMap(\.number)) == Set(0...last))
        #expect(one.harness.scheduler.outcome == .budgetSpent)
        // With 8 workers, trials after the end finish too; they are moved aside, not kept.
        var eight = Fleet(Self.budget, workers: 8, seed: 4)
        #expect(outcomes(eight.run()) == outcomes(records))
        #expect(eight.harness.actions.contains { if case .moveBeyondEnd = $0 { return true } else { return false } }
                || eight.harness.actions.contains { if case .stop(_, _, nil) = $0 { return true } else { return false } })
    }

    @Test func aBayesProposalWaitsForTheTrialsItLearnsFrom() throws {
        // parallelism 3: proposal k learns from trials 0…k−4. Until more than 10 (the random start-up)
        // lie before that horizon, proposals are random draws and wait for nothing: trials 0…13.
        var harness = Harness(Self.bayes)
        var given: [Harness.Assignment] = []
        for index in 0..<14 {
            let assignment = harness.join("w\(index)")
            given.append(try #require(assignment))
        }
        #expect(given.map(\.number) == Array(0..<14))
        #expect(given.map(\.trial) == Self.bayes.space.prefix(14).map(\.id))
        // Trial 14 is the model's first: it needs trials 0…10 recorded.
        #expect(harness.join("late") == nil)
        for index in 0..<10 { harness.finish("w\(index)", given[index]) }
        harness.advance(.milliseconds(400), beating: (0..<14).map { "w\($0)" } + ["late"])
        let early = harness.assignment(in: harness.actions, to: "late")
        #expect(early == nil)
        harness.finish("w10", given[10])
        let proposal = try #require(harness.assignment(in: harness.actions, to: "late"))
        #expect(proposal.number == 14)
        #expect(proposal.trial != Self.bayes.space[14].id, "the model's proposal, not the random draw")
        #expect(harness.scheduler.statistics.waiting >= .milliseconds(400))
    }
}

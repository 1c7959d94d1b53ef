import Foundation
import Programs
@testable import Scheduling
import Sweeping
import Testing
import Training
import SweepFiles

/// The searchers alone: what each proposes for a position, what it asks about, when it waits, and
/// what it learns.
@Suite("Parts: searchers")
struct SearcherTests {
    static let space = """
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
          momentum: {distribution: uniform, min: 0, max: 0.95}
          epochs: {value: 3}
        """
    static let bayes = SweepSpec.test("method: bayes\nrun_cap: 40\nparallelism: 2\nrandom_seed: 3\n" + space)
    static let bayesAsha = SweepSpec.test("method: bayes\nrun_cap: 40\nparallelism: 2\nrandom_seed: 3\n"
                                          + "early_terminate: {type: asha, min_iter: 1, eta: 3}\n" + space)

    /// Records of positions `0..<count`, with losses set by a formula of the configuration.
    func history(_ spec: SweepSpec, _ count: Int) -> [TrialRecord] {
        (0..<count).map { position in
            let lr = spec.point(at: position).trainingConfig!.learningRate
            let loss = 0.3 + abs(log10(lr) + 1.5) / 10
            return Parts.record(spec, position, losses: [loss + 0.2, loss + 0.1, loss])
        }
    }

    @Test func gridAndRandomAreTheSpacesPointsAndNeverAskAnything() {
        let random = SweepSpec.test("method: random\nrun_cap: 5\n" + Self.space)
        for spec in [Parts.grid, random] {
            let searcher = makeSearcher(for: spec)
            #expect(searcher is SpaceSearcher && !searcher.learns)
            for position in 0..<spec.count {
                let point = searcher.point(at: position, frontier: 0, evidence: { _ in
                    Issue.record("a space searcher asked about a trial")
                    return .pending
                })
                #expect(point == spec.point(at: position))
            }
        }
        #expect(makeSearcher(for: Self.bayes) is BayesSearcher)
    }

    /// Positions after the horizon as the scheduler shows them: opened, their points known.
    static func running(_ position: Int) -> Evidence { .running(bayes.point(at: position)) }
    var running: (Int) -> Evidence { Self.running }

    @Test func bayesDrawsAtRandomThenWaitsForWhatItLearnsFrom() {
        var searcher = BayesSearcher(spec: Self.bayes)
        #expect(searcher.learns)
        // Horizon 12 − 2 = 10 is not past the 10 start-up trials: the random draw.
        #expect(searcher.point(at: 12, frontier: 0, evidence: running) == Self.bayes.point(at: 12))
        // Position 13 learns from positions 0…10: it waits until the frontier has passed them.
        #expect(searcher.point(at: 13, frontier: 10, evidence: running) == nil)
        for (position, record) in history(Self.bayes, 11).enumerated() {
            searcher.learn(from: record, at: position, atStop: nil)
        }
        let proposal = searcher.point(at: 13, frontier: 11, evidence: running)
        #expect(proposal != nil && proposal != Self.bayes.point(at: 13), "the model's proposal")
        #expect(searcher.point(at: 13, frontier: 11, evidence: running) == proposal, "the same however often it is asked")
        #expect(searcher.point(at: 13, frontier: 11, evidence: { _ in .pending }) == nil,
                "a running position not opened yet (a later one claimed first): it waits for its point")
        // Constant liar: with the trials after the horizon running at the spot it would pick, it picks another.
        let alone = searcher.point(at: 13, frontier: 11, evidence: { _ in .none })!
        let lied = searcher.point(at: 13, frontier: 11, evidence: { _ in .running(alone) })!
        let moved = Self.bayes.parameters.map(\.name).filter { lied[$0] != alone[$0] }
        #expect(moved.count >= 2, "running trials count among the bad ones; moved: \(moved)")
    }

    @Test func aFailedTrialTeachesNothing() {
        var plain = BayesSearcher(spec: Self.bayes), withFailure = plain
        let records = history(Self.bayes, 12)
        for (position, record) in records.prefix(11).enumerated() {
            plain.learn(from: record, at: position, atStop: nil)
            withFailure.learn(from: record, at: position, atStop: nil)
        }
        let failed = TrialRecord(failed: Parts.trial(Self.bayes, 11), reason: "x", attempts: 3, worker: "w", host: "h", number: 11,
                                 layout: Self.bayes.layout)
        withFailure.learn(from: failed, at: 11, atStop: nil)
        // Completed, and the best so far: among the good trials, it must move the proposal.
        plain.learn(from: Parts.record(Self.bayes, 11, losses: [0.05, 0.04, 0.03]), at: 11, atStop: nil)
        var blank = BayesSearcher(spec: Self.bayes)
        for (position, record) in records.prefix(11).enumerated() { blank.learn(from: record, at: position, atStop: nil) }
        // Position 14 learns from 0…11: with 11 failed, it is what 0…10 alone teach.
        let nothing = blank.point(at: 14, frontier: 12, evidence: running)
        #expect(withFailure.point(at: 14, frontier: 12, evidence: running) == nothing)
        #expect(plain.point(at: 14, frontier: 12, evidence: running) != nothing, "a completed trial does teach")
    }

    @Test func withEarlyTerminationTheLatestTrialsAreSeenByTheirRungDecisions() {
        var searcher = BayesSearcher(spec: Self.bayesAsha)
        let records = history(Self.bayesAsha, 13)
        // Position 15: horizon 13; positions before 11 as recorded, 11 and 12 by their evidence.
        for (position, record) in records.prefix(11).enumerated() {
            searcher.learn(from: record, at: position, atStop: nil)
        }
        var asked: [Int] = []
        #expect(searcher.point(at: 15, frontier: 11, evidence: { asked.append($0); return .pending }) == nil)
        #expect(asked == [11], "stops at the first position not known")
        #expect(searcher.point(at: 15, frontier: 10, evidence: { _ in .none }) == nil, "position 10 is not settled")
        let point11 = Self.bayesAsha.point(at: 11), point12 = Self.bayesAsha.point(at: 12)
        let byRungs = searcher.point(at: 15, frontier: 11, evidence: {
            $0 == 11 ? .rung(point11, rung: 1, value: 0.6, passed: false, objectives: nil) : .rung(point12, rung: 3, value: 0.3, passed: true, objectives: nil)
        })
        #expect(byRungs != nil)
        let skipped = searcher.point(at: 15, frontier: 11, evidence: { _ in .none })
        #expect(skipped != nil && skipped != byRungs, "what the rung decisions say is learnt")
        let asRecorded = searcher.point(at: 15, frontier: 11, evidence: {
            $0 < records.count ? .recorded(records[$0], atStop: nil) : .running(Self.bayesAsha.point(at: $0))
        })
        #expect(asRecorded != nil)
    }
}

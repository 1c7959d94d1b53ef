@testable import Scheduling
import Sweeping
import Testing
import Training
import SweepCore
import SweepFiles

/// The rung judge alone: rungs per position, the epochs it knows, decisions in sweep order (each
/// taken once, one rung at a time), and what a trial holds at a rung.
@Suite("Parts: rung judge")
struct RungJudgeTests {
    static let spec = SweepSpec.test("""
        early_terminate: {type: hyperband, min_iter: 1, eta: 3}
        parameters:
          learning_rate: {values: [0.01, 0.1, 0.2]}
          momentum: {values: [0.0, 0.5, 0.9]}
          epochs: {value: 9}
        """)

    func judge(_ spec: SweepSpec = spec, recorded: [String: [EpochMetrics]] = [:]) -> RungJudge {
        RungJudge(rule: spec.earlyTermination, randomSeed: spec.randomSeed, runner: Runner(spec), recordedEpochs: recorded)
    }

    func metrics(_ epoch: Int, _ loss: Double) -> EpochMetrics { Parts.epochs(Array(repeating: loss, count: epoch))[epoch - 1] }

    @Test func decisionsWaitForEveryEarlierPositionAndComeOneRungAtATime() {
        var judge = judge()
        for position in 0..<3 { judge.open(position, length: 9, stored: nil) }
        #expect(judge.rungs(0) == [1, 3], "9 is the last epoch: no rung there")
        let running: (Int) -> RungJudge.Facts = { _ in .opened(ended: false) }
        judge.progress(1, metrics(1, 0.5))
        judge.progress(2, metrics(2, 0.1))  // not the next epoch of position 2: not kept
        #expect(judge.epochs(2).isEmpty)
        #expect(judge.decisions(limit: 3, facts: running).isEmpty, "position 0 has not reached rung 1")
        for (epoch, loss) in [(1, 0.4), (2, 0.35), (3, 0.3)] { judge.progress(0, metrics(epoch, loss)) }
        let first = judge.decisions(limit: 3, facts: running)
        // Position 0 is first at rung 1 (passes); position 1 is worse than the threshold there (stops).
        // Position 0's rung 3 waits: its rung 1 decision is not applied yet.
        #expect(first == [.init(position: 0, rung: 1, stop: false), .init(position: 1, rung: 1, stop: true)])
        for decision in first { judge.apply(decision) }
        #expect(judge.stops == 1 && judge.stopAt(1) == 1 && judge.stopAt(0) == nil)
        #expect(judge.word(0, at: 1) == .passed && judge.word(1, at: 1) == .stopped && judge.word(0, at: 3) == .undecided)
        #expect(judge.word(0, at: 2) == .notARung)
        #expect(judge.pauseAt(0, after: 0) == [3] && judge.lastDecidedRung(0) == 1)
        #expect(judge.decisionsComplete(0, epochs: 2, lastToo: false) && !judge.decisionsComplete(0, epochs: 4, lastToo: false))
        #expect(judge.decisionsComplete(1, epochs: 9, lastToo: false), "stopped: nothing more to wait for")
        #expect(judge.value(1, at: 1) == 0.5)
        if case .stopped(rung: 1, value: 0.5, objectives: nil)? = judge.verdict(1) {} else { Issue.record("position 1 stands stopped at rung 1") }
        let second = judge.decisions(limit: 3, facts: running)
        #expect(second == [.init(position: 0, rung: 3, stop: false)], "position 2 holds rung 1; rung 3 is position 0's alone so far")
        judge.apply(second[0])
        if case .passedLast(rung: 3, value: 0.3, objectives: nil)? = judge.verdict(0) {} else { Issue.record("position 0 passed its last rung") }
    }

    @Test func aPositionThatEndedBeforeARungOrIsAbsentTakesNoPartThere() {
        var judge = judge()
        for position in 0..<3 { judge.open(position, length: 9, stored: nil) }
        judge.progress(2, metrics(1, 0.9))
        // 0 is a repeat, 1 ended (diverged) before rung 1: both are passed; 2 is first at the rung.
        let facts: (Int) -> RungJudge.Facts = { [0: .absent, 1: .opened(ended: true)][$0] ?? .opened(ended: false) }
        #expect(judge.decisions(limit: 3, facts: facts) == [.init(position: 2, rung: 1, stop: false)])
        // A position not opened holds the rung's frontier.
        var later = self.judge()
        later.open(1, length: 9, stored: Parts.epochs([0.2]))
        #expect(later.epochs(1).count == 1, "the stored checkpoint's epochs")
        #expect(later.decisions(limit: 2, facts: { $0 == 0 ? .unopened : .opened(ended: false) }).isEmpty)
    }

    @Test func aRecordedTrialCountsAtItsRungsWithoutBeingDecidedAgain() {
        let earlier = Parts.record(Self.spec, 0, losses: [0.3], status: .stopped)
        var judge = judge(recorded: [earlier.id: Parts.epochs([0.3])])
        judge.open(0, length: 9, stored: nil)
        judge.openRecorded(0, id: earlier.id, record: earlier)
        judge.open(1, length: 9, stored: nil)
        judge.progress(1, metrics(1, 0.5))
        #expect(judge.stopAt(0) == 1 && judge.lastDecidedRung(0) == 3, "its decisions are in its record")
        #expect(judge.decisions(limit: 2, facts: { _ in .opened(ended: false) }) == [.init(position: 1, rung: 1, stop: true)],
                "compared with the recorded 0.3")
        #expect(judge.stops == 0)
    }

    @Test func theEpochsOfACheckpointOrAResultReplaceFewerKnownOnes() {
        var judge = judge()
        judge.open(0, length: 9, stored: nil)
        judge.progress(0, metrics(1, 0.5))
        judge.checkpoint(0, Parts.epochs([0.5, 0.4, 0.3]))
        #expect(judge.epochs(0).count == 3)
        judge.checkpoint(0, Parts.epochs([0.5]))
        #expect(judge.epochs(0).count == 3, "an older checkpoint tells nothing new")
        judge.result(0, Parts.epochs([0.5, 0.4]))
        #expect(judge.epochs(0).count == 2, "a result is what the trial ran")
    }

    @Test func aProgramsRungsAreEveryRungOfTheRuleAndAshaBracketsAreDrawnPerPosition() {
        var judge = judge()
        judge.open(0, length: nil, stored: nil)
        #expect(judge.rungs(0).prefix(4) == [1, 3, 9, 27])
        let asha = SweepSpec.test("early_terminate: {type: asha, min_iter: 1, eta: 2, brackets: 3}\nmethod: random\nrun_cap: 20\n"
                                  + "parameters:\n  learning_rate: {distribution: uniform, min: 0.01, max: 0.1}\n  epochs: {value: 9}\n")
        var brackets = self.judge(asha)
        let rule = asha.earlyTermination!
        var seen: Set<Int> = []
        for position in 0..<20 {
            brackets.open(position, length: 9, stored: nil)
            let bracket = rule.bracket(at: position, randomSeed: asha.randomSeed)
            seen.insert(bracket)
            #expect(brackets.rungs(position) == rule.rungs(forEpochs: 9, bracket: bracket))
        }
        #expect(seen.count > 1)
    }

    @Test func withoutARuleNothingIsKeptAndNothingWaits() {
        var judge = judge(Parts.grid, recorded: ["x": Parts.epochs([0.1])])
        judge.open(0, length: 9, stored: Parts.epochs([0.5]))
        judge.progress(0, metrics(2, 0.4))
        #expect(!judge.isActive && judge.rungs(0).isEmpty && judge.epochs(0).isEmpty)
        #expect(judge.decisions(limit: 1, facts: { _ in .opened(ended: false) }).isEmpty)
        #expect(judge.decisionsComplete(0, epochs: 9, lastToo: true) && judge.verdict(0) == nil && judge.stopAt(0) == nil)
    }
}

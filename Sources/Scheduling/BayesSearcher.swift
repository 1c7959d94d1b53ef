import Sweeping
import Training
import SweepCore

/// `method: bayes`: position k's point is `TPE`'s proposal from the trials before k − `parallelism`,
/// drawn with its own random stream (`random_seed`, k), so it is the same whichever worker asks and
/// when; until those trials are known, the position waits. Before `TPE.startupTrials` trials lie
/// before that horizon, it is the space's random draw.
///
/// The trials between the horizon and k are running as far as k may know: they count among the bad
/// trials (Optuna's constant liar, its default), so that workers are not sent to one spot.
///
/// With early termination, the latest `parallelism` trials before the horizon are seen as their rung
/// decisions left them (stopped at rung r with the value it holds there, or past the last rung with
/// the value there, ranked between the deepest stops and the completed), so a trial promoted past
/// its last rung holds proposals back only until that decision, not until its last epoch; older ones
/// as recorded.
struct BayesSearcher: Searcher {
    private let spec: SweepSpec
    private let tpe: TPE
    private let runner: Runner
    /// Whether rung decisions may stand in for the latest trials' records.
    private let rungs: Bool
    /// What it learnt: recorded trials (not failed) in sweep order, with their positions.
    private var history: [(number: Int, observation: TPE.Observation)] = []
    /// What `warm_start:` folders taught it before trial 0 (learnt at negative positions), in order.
    private var priors: [TPE.Observation] = []

    /// The random stream bayes draws its candidates from ("BAE5").
    static let stream: UInt64 = 0xBAE5

    init(spec: SweepSpec) {
        self.spec = spec
        tpe = TPE(spec: spec)
        runner = Runner(spec)
        rungs = spec.earlyTermination != nil
    }

    var learns: Bool { true }

    func point(at position: Int, frontier: Int, evidence: (Int) -> Evidence) -> TrialPoint? {
        // `enqueue:`'s points come first, whatever the model would propose.
        if position < spec.space.enqueued.count { return spec.point(at: position) }
        let horizon = max(position - spec.parallelism, 0)
        // Too few trials (warm-start ones included) before the horizon for the model: a random draw,
        // whatever their results.
        guard horizon + priors.count > tpe.startupTrials else { return spec.point(at: position) }
        let recent = rungs ? max(horizon - spec.parallelism, 0) : horizon
        guard frontier >= recent else { return nil }
        var observations = priors + history.prefix { $0.number < recent }.map(\.observation)
        for number in recent..<horizon {
            switch evidence(number) {
            case .pending, .running: return nil
            case .none: continue
            case .rung(let point, let rung, let value, let passed, let objectives):
                // Not recorded yet, so its constraints are not judged: it counts as feasible until it is.
                // With several objectives, one not known at the rung (a figure not printed there) is the worst.
                let count = runner.objectives.metrics.count
                let losses = runner.objectives.areSeveral ? objectives ?? [value] + Array(repeating: .infinity, count: count - 1) : nil
                observations.append(TPE.Observation(coordinates: tpe.coordinates(of: point, in: spec),
                                                    depth: Double(rung) + (passed ? 0.5 : 0), loss: value, losses: losses))
            case .recorded(let record, let atStop):
                guard record.status != .failed else { continue }
                observations.append(observation(of: record, atStop: atStop))
            }
        }
        // The trials after the horizon are running as far as this proposal may know (whatever they
        // have done since): Optuna's constant liar counts them among the bad ones.
        var running: [[Double?]] = []
        for number in horizon..<position {
            switch evidence(number) {
            case .pending: return nil  // not opened yet (a later position claimed first): its point comes
            case .none: continue
            case .running(let point), .rung(let point, _, _, _, _): running.append(tpe.coordinates(of: point, in: spec))
            case .recorded(let record, _): running.append(tpe.coordinates(of: record.point, in: spec))
            }
        }
        var random = SplitMix64(seed: spec.randomSeed, stream: BayesSearcher.stream, index: UInt64(position))
        guard let coordinates = tpe.propose(after: observations, running: running, random: &random) else { return spec.point(at: position) }
        return tpe.point(at: coordinates, in: spec)
    }

    mutating func learn(from record: TrialRecord, at position: Int, atStop: HeldAtRung?) {
        guard record.status != .failed else { return }
        if position < 0 {
            priors.append(observation(of: record, atStop: atStop))
        } else {
            history.append((position, observation(of: record, atStop: atStop)))
        }
    }

    /// What the model learns from a recorded trial: a stopped one as it stood at its rung, as the rung
    /// decisions saw it; a diverged one as the worst; with several objectives, each one's value; with
    /// constraints, how far it missed them (an infeasible trial whose miss cannot be measured: +∞).
    private func observation(of record: TrialRecord, atStop: HeldAtRung?) -> TPE.Observation {
        var loss = runner.score(of: record)
        var losses = runner.objectives.areSeveral ? runner.objectives.signed(record) : nil
        if record.stoppedAt != nil, let atStop {
            loss = atStop.value
            if let held = atStop.objectives { losses = held }
        }
        var violation = 0.0
        if record.feasible == false {
            let measured = runner.objectives.violation { record.metric($0) } ?? 0
            violation = measured > 0 ? measured : .infinity
        }
        return TPE.Observation(coordinates: tpe.coordinates(of: record.point, in: spec),
                               depth: record.stoppedAt.map(Double.init) ?? .infinity, loss: loss, losses: losses,
                               violation: violation)
    }
}

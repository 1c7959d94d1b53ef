import Foundation
import Testing
import Training
@testable import Sweeping
import SweepFiles

/// Every parameter form of the W&B sweep schema: run as W&B runs it, or refused in one line.
@Suite("W&B parameter forms")
struct ParameterFormTests {
    static func spec(_ parameters: String, method: String = "random", extra: String = "run_cap: 200\n") throws(SpecError) -> SweepSpec {
        try SweepSpec(yaml: "name: f\nmethod: \(method)\n\(method == "random" ? extra : "")parameters:\n" + parameters, file: "f.yaml")
    }

    /// The values a random sweep of one parameter draws.
    static func draws(_ parameter: String, _ name: Hyperparameter) throws -> [HyperparameterValue] {
        try spec("  \(name.rawValue): \(parameter)\n").space.map { $0.config![name] }
    }

    static func numbers(_ parameter: String, _ name: Hyperparameter = .learningRate) throws -> [Double] {
        try draws(parameter, name).map { try #require($0.number) }
    }

    @Test func valueValuesAndConstantAreTheSameTrials() throws {
        let forms = ["{value: 0.05}", "{distribution: constant, value: 0.05}", "{values: [0.05]}",
                     "{distribution: categorical, values: [0.05]}"]
        for form in forms {
            #expect(try Self.numbers(form) == Array(repeating: 0.05, count: 200), "\(form)")
        }
    }

    @Test func minAndMaxWithoutADistributionAreIntUniformForIntegersElseUniform() throws {
        let whole = try Self.spec("  learning_rate: {min: 1, max: 3}\n")
        #expect(whole.parameters[0].form == "int_uniform")
        #expect(Set(whole.space.map(\.config!.learningRate)) == [1, 2, 3])
        let real = try Self.spec("  learning_rate: {min: 0.001, max: 0.1}\n")
        #expect(real.parameters[0].form == "uniform")
        let values = real.space.map(\.config!.learningRate)
        #expect(values.allSatisfy { $0 >= 0.001 && $0 <= 0.1 })
        #expect(Set(values).count == 200, "a continuous draw repeats only by accident")
        // An integer distribution on a real parameter is fine (the issue's SIGILL).
        let explicit = try Self.spec("  learning_rate: {distribution: int_uniform, min: 1, max: 2}\n")
        #expect(Set(explicit.space.map(\.config!.learningRate)) == [1, 2])
    }

    @Test func quantisedFormsGiveMultiplesOfQWithQDefaultingToOne() throws {
        for value in try Self.numbers("{distribution: q_uniform, min: 0.0, max: 0.5, q: 0.1}", .dropout) {
            #expect(abs((value / 0.1).rounded() * 0.1 - value) < 1e-12 && value >= 0 && value <= 0.5)
        }
        let batches = try Self.draws("{distribution: q_uniform, min: 16, max: 256}", .batchSize)
        #expect(batches.allSatisfy { if case .whole(let n) = $0 { return (16...256).contains(n) } else { return false } })
        let eights = try Self.draws("{distribution: q_log_uniform_values, min: 16, max: 256, q: 8}", .batchSize)
        #expect(eights.allSatisfy { if case .whole(let n) = $0 { return n % 8 == 0 && (16...256).contains(n) } else { return false } })
    }

    @Test func logFormsTakeValuesOrExponentsAsWandBDoes() throws {
        let values = try Self.numbers("{distribution: log_uniform_values, min: 1.0e-4, max: 0.1}")
        #expect(values.allSatisfy { $0 >= 1e-4 * (1 - 1e-12) && $0 <= 0.1 * (1 + 1e-12) })
        // About half the draws below the geometric mean (1e-4 · 0.1)^½ ≈ 0.00316: log-uniform, not uniform.
        let below = values.filter { $0 < 0.00316 }.count
        #expect((70...130).contains(below), "\(below) of 200 below the geometric mean")
        // log_uniform: min and max are natural-log exponents.
        let exponents = try Self.numbers("{distribution: log_uniform, min: -9.2, max: -2.3}").map(log)
        #expect(exponents.allSatisfy { $0 >= -9.2 - 1e-12 && $0 <= -2.3 + 1e-12 })
        // inv_log_uniform: 1/x is log-uniform in exponents, x = exp(−U(min, max)).
        let inverse = try Self.numbers("{distribution: inv_log_uniform, min: 2.3, max: 9.2}").map { -log($0) }
        #expect(inverse.allSatisfy { $0 >= 2.3 - 1e-12 && $0 <= 9.2 + 1e-12 })
        let inverseValues = try Self.numbers("{distribution: inv_log_uniform_values, min: 1.0e-4, max: 0.1}")
        #expect(inverseValues.allSatisfy { $0 >= 1e-4 * (1 - 1e-12) && $0 <= 0.1 * (1 + 1e-12) })
        let quantised = try Self.numbers("{distribution: q_log_uniform, min: 0, max: 4.6, q: 2}", .weightDecay)
        #expect(quantised.allSatisfy { $0.truncatingRemainder(dividingBy: 2) == 0 && $0 <= 100 })
    }

    @Test func quantileFunctionsMatchScipy() {
        // Reference values: scipy 1.17 (norm.ppf, beta.ppf, lognorm.ppf with scale=exp(mu)).
        let normal = Distribution(name: "normal", family: .normal(mu: 0, sigma: 1))
        let beta = Distribution(name: "beta", family: .beta(a: 2, b: 5))
        let arcsine = Distribution(name: "beta", family: .beta(a: 0.5, b: 0.5))
        let logNormal = Distribution(name: "log_normal", family: .logNormal(mu: -4, sigma: 1))
        let cases: [(Distribution, Double, Double)] = [
            (normal, 0.001, -3.090232306167813), (normal, 0.3, -0.5244005127080409), (normal, 0.5, 0),
            (normal, 0.975, 1.959963984540054), (normal, 0.999999, 4.753424308817087),
            (beta, 0.001, 0.008255492787746678), (beta, 0.3, 0.18180347131894917), (beta, 0.975, 0.6412345789976748),
            (arcsine, 0.3, 0.2061073738537634), (arcsine, 0.999999, 0.9999999999975326),
            (logNormal, 0.3, 0.010841211657358909), (logNormal, 0.975, 0.13002402791892742),
        ]
        for (distribution, u, expected) in cases {
            let got = distribution.value(atPercentile: u)
            #expect(abs(got - expected) <= 1e-12 * max(1, abs(expected)), "\(distribution.name) ppf(\(u)) = \(got), scipy \(expected)")
        }
        // W&B's inv_log_uniform: exp(−uniform.ppf(1 − u, min, max − min)).
        let inverse = Distribution(name: "inv_log_uniform", family: .inverseLogUniform(minExponent: 1, maxExponent: 3))
        #expect(inverse.value(atPercentile: 0.3) == 0.09071795328941251)
    }

    @Test func betaSuitsTheUnitIntervalParameters() throws {
        let momenta = try Self.numbers("{distribution: beta, a: 9, b: 1}", .momentum)
        #expect(momenta.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(momenta.reduce(0, +) / 200 > 0.85, "Beta(9, 1) has mean 0.9")
        let decays = try Self.numbers("{distribution: q_beta, a: 2, b: 5, q: 0.05}", .weightDecay)
        #expect(decays.allSatisfy { $0 >= 0 && $0 <= 1 && abs(($0 / 0.05).rounded() * 0.05 - $0) < 1e-12 })
        let rates = try Self.numbers("{distribution: log_normal, mu: -4, sigma: 1}")
        #expect(rates.allSatisfy { $0 > 0 })
        // No built-in hyperparameter takes negative numbers, so normal and q_normal are refused on every
        // one of them (a program sweep takes them); their values, directly:
        let normal = Distribution(name: "q_normal", family: .normal(mu: 1000, sigma: 50), q: 5)
        let values = (1..<100).map { normal.value(atPercentile: Double($0) / 100) }
        #expect(values.allSatisfy { $0.truncatingRemainder(dividingBy: 5) == 0 })
        #expect(values == values.sorted() && values[49] == 1000 && values[0] < 900 && values[98] > 1100)
    }

    @Test func probabilitiesWeightTheDrawsAndRepeatWithTheSeed() throws {
        let text = "  augment: {values: [none, flip, rotate_flip], probabilities: [0.7, 0.2, 0.1]}\n"
        let spec = try Self.spec(text, extra: "run_cap: 2000\nrandom_seed: 4\n")
        let counts = Dictionary(grouping: spec.space.map(\.config!.augment), by: { $0 }).mapValues(\.count)
        #expect((1300...1500).contains(counts[.none] ?? 0), "\(counts)")
        #expect((320...480).contains(counts[.flip] ?? 0), "\(counts)")
        #expect((130...270).contains(counts[.rotateFlip] ?? 0), "\(counts)")
        let again = try Self.spec(text, extra: "run_cap: 2000\nrandom_seed: 4\n")
        #expect(again.space.map(\.id) == spec.space.map(\.id))
    }

    @Test func gridEnumeratesIntUniformAndQUniformAsWandBDoes() throws {
        let spec = try Self.spec("""
              epochs: {distribution: int_uniform, min: 2, max: 4}
              dropout: {distribution: q_uniform, min: 0.1, max: 1.0, q: 0.1}
              momentum: {distribution: q_uniform, min: 0, max: 1, q: 0.25}

            """, method: "grid")
        #expect(spec.count == 3 * 9 * 4)
        #expect(Array(Set(spec.space.map(\.config!.epochs))).sorted() == [2, 3, 4])
        // numpy.arange(0.1, 1.0, 0.1): max excluded, start + i·step in floating point.
        #expect(Array(Set(spec.space.map(\.config!.dropout))).sorted()
                == [0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6, 0.7000000000000001, 0.8, 0.9])
        #expect(Array(Set(spec.space.map(\.config!.momentum))).sorted() == [0, 0.25, 0.5, 0.75])
    }

    @Test func runCapCapsAGridAndAHugeGridCostsNothing() throws {
        var text = ""
        for name in ["learning_rate", "momentum", "weight_decay", "l1", "max_norm", "dropout"] {
            text += "  \(name): {values: [\((1...9).map { "0.0\($0)" }.joined(separator: ", ")), 0.1]}\n"
        }
        text += "  epochs: {min: 1, max: 10}\n  batch_size: {min: 1, max: 10}\n  seed: {min: 0, max: 9}\n"
        text += "  hidden: {values: [\((1...10).map { "\"\($0)\"" }.joined(separator: ", "))]}\n"
        let huge = try Self.spec(text, method: "grid")
        #expect(huge.count == 10_000_000_000)
        #expect(huge.space.gridSize == 10_000_000_000)
        let last = huge.space[huge.count - 1].config!
        #expect(last.learningRate == 0.1 && last.epochs == 10 && last.seed == 9 && last.hidden == [10])
        let capped = try SweepSpec(yaml: "name: g\nrun_cap: 7\nparameters:\n" + text, file: "g.yaml")
        #expect(capped.count == 7)
        #expect(Array(capped.space.map(\.id)) == Array(huge.space.prefix(7).map(\.id)))
        // Nine parameters of 1000 values: 10²⁷ points, more than an Int holds; refused, unless capped.
        var twenty = ""
        for name in Hyperparameter.allCases where name.kind == .whole || [.learningRate, .weightDecay, .l1, .maxNorm].contains(name) {
            twenty += "  \(name.rawValue): {distribution: int_uniform, min: 1, max: 1000}\n"
        }
        #expect(throws: SpecError.self) { try Self.spec(twenty, method: "grid") }
        do {
            _ = try Self.spec(twenty, method: "grid")
        } catch {
            #expect(error.message.contains("more than 9223372036854775807; add run_cap"), "\(error)")
        }
        #expect(try SweepSpec(yaml: "name: g\nrun_cap: 3\nparameters:\n" + twenty, file: "g.yaml").count == 3)
    }

    @Test func targetIsReadAndHonoursTheGoal() throws {
        let spec = try SweepSpec(yaml: "name: t\nmetric: {name: test_accuracy, goal: maximize, target: 0.9}\nparameters:\n  seed: {value: 1}\n",
                                 file: "t.yaml")
        #expect(spec.metric.target == 0.9)
        #expect(spec.metric.reachesTarget(0.91) && spec.metric.reachesTarget(0.9) && !spec.metric.reachesTarget(0.89))
        let loss = Metric(name: "test_loss", target: 0.3)
        #expect(loss.reachesTarget(0.29) && !loss.reachesTarget(0.31) && !loss.reachesTarget(.nan))
    }

    @Test func keysWithNoEffectHereAreAcceptedWithAWarning() throws {
        let spec = try SweepSpec(yaml: "entity: me\nproject: p\ncontroller: {type: local}\nparameters:\n  seed: {value: 1}\n",
                                 file: "w.yaml")
        #expect(spec.warnings.count == 3)
        #expect(spec.warnings[0].hasPrefix("w.yaml:1: entity: "))
        #expect(spec.warnings.allSatisfy { $0.contains("no effect") })
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var yaml: String
        var line: Int
        var fragment: String
        var testDescription: String { fragment }
    }

    static let refusals: [Refusal] = [
        Refusal(yaml: "method: grid\nparameters:\n  learning_rate: {distribution: normal, mu: 1, sigma: 0.1}\n", line: 3,
                fragment: "parameters.learning_rate.distribution: grid search cannot enumerate a 'normal' distribution"),
        Refusal(yaml: "parameters:\n  dropout: {values: [0.1], min: 0}\n", line: 2,
                fragment: "parameters.dropout.min: does not belong to a categorical parameter (it takes values)"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  dropout: {distribution: uniform, min: 0, max: 0.5, q: 0.1}\n",
                line: 4, fragment: "parameters.dropout.q: does not belong to a uniform parameter (it takes min, max); use distribution: q_uniform"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  epochs: {distribution: uniform, min: 1, max: 9}\n", line: 4,
                fragment: "parameters.epochs: epochs takes whole numbers; a uniform distribution gives fractions"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  dropout: {distribution: q_uniform, min: 0, max: 0.96, q: 0.1}\n",
                line: 4, fragment: "dropout must be in [0, 1), but this q_uniform distribution gives values in [0, 1]"),
        Refusal(yaml: "parameters:\n  dropout: {min: 0, max: 1}\n", line: 2,
                fragment: "dropout must be in [0, 1), but this int_uniform distribution gives values in [0, 1]"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  learning_rate: {distribution: normal}\n", line: 4,
                fragment: "learning_rate must be greater than 0, but this normal distribution gives values in (-inf, inf)"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  learning_rate: {distribution: q_log_normal, q: 0.01}\n", line: 4,
                fragment: "this q_log_normal distribution gives values in [0, inf)"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  epochs: {distribution: int_uniform, min: 1.5, max: 3}\n", line: 4,
                fragment: "parameters.epochs.min: int_uniform takes whole numbers, got '1.5'"),
        Refusal(yaml: "parameters:\n  epochs: {min: 3, max: 3}\n", line: 2, fragment: "parameters.epochs.max: must be greater than min (3), got 3"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  augment: {values: [none, flip], probabilities: [0.5]}\n", line: 4,
                fragment: "has 1 entries for 2 values"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  augment: {values: [none, flip], probabilities: [0.5, 0.6]}\n", line: 4,
                fragment: "must add up to 1, got 1.1"),
        Refusal(yaml: "parameters:\n  augment: {values: [none, flip], probabilities: [0.5, 0.5]}\n", line: 2,
                fragment: "grid search tries every value; probabilities are for method: random or bayes"),
        Refusal(yaml: "parameters:\n  hidden:\n    parameters:\n      first: {value: 3}\n", line: 3,
                fragment: "nested parameters are for sweeping your own program"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  dropout: {distribution: gaussian}\n", line: 4,
                fragment: "'gaussian' is not a distribution; use one of constant, categorical"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  nesterov: {distribution: uniform, min: 0, max: 1}\n", line: 4,
                fragment: "nesterov takes true or false from value or values, not a uniform distribution"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0, max: 1}\n",
                line: 4, fragment: "log_uniform_values needs min > 0"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  momentum: {distribution: beta, a: 0}\n", line: 4,
                fragment: "parameters.momentum.a: must be greater than 0, got 0.0"),
        Refusal(yaml: "method: random\nrun_cap: 2\nparameters:\n  momentum: {distribution: normal, sigma: -1}\n", line: 4,
                fragment: "parameters.momentum.sigma: must be 0 or more"),
        Refusal(yaml: "parameters:\n  nesterov: {values: [true, false]}\n  momentum: {values: [0.0, 0.9]}\n", line: 2,
                fragment: "parameters.nesterov: true needs a momentum greater than 0, but momentum can be 0 (line 3)"),
        Refusal(yaml: "parameters:\n  nesterov: {value: true}\n", line: 2,
                fragment: "but momentum is not swept, so it is 0"),
        Refusal(yaml: "early_terminate: {type: hyperband, min_iter: 3, max_iter: 27}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.s: max_iter needs s"),
        Refusal(yaml: "early_terminate: {type: hyperband}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate: hyperband needs min_iter, or max_iter with s"),
        Refusal(yaml: "early_terminate: {type: hyperband, max_iter: 2, s: 3, eta: 3}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "these settings give no band of at least one epoch"),
        Refusal(yaml: "early_terminate: {type: median, min_iter: 3, strict: true}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.strict: does not belong to type median (it takes min_iter, min_trials)"),
        Refusal(yaml: "early_terminate: {type: asha, min_iter: 3, strict: maybe}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.strict: must be true or false, got 'maybe'"),
        Refusal(yaml: "early_terminate: {type: asha, min_iter: 1, max_iter: 20, brackets: 4}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.brackets: at most 3 here (one per rung: 1, 3, 9), got 4"),
        Refusal(yaml: "early_terminate: {type: median, min_iter: 1, brackets: 2}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.brackets: does not belong to type median"),
        Refusal(yaml: "early_terminate: {type: median, eta: 2}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.eta: does not belong to type median"),
        Refusal(yaml: "early_terminate: {type: pbt}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.type: 'pbt' is not supported; use hyperband, asha or median"),
        Refusal(yaml: "early_terminate: {type: asha, eta: 1}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "early_terminate.eta: must be greater than 1"),
        Refusal(yaml: "method: bayes\nparameters:\n  seed: {value: 1}\n", line: 1, fragment: "run_cap: bayes needs run_cap"),
        Refusal(yaml: "program: no-such-train.py\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "program: 'no-such-train.py' not found"),
        Refusal(yaml: "command: python train.py\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "command: must be a list"),
        Refusal(yaml: "job: me/job:latest\nparameters:\n  seed: {value: 1}\n", line: 1, fragment: "job: W&B Launch jobs are not supported"),
        Refusal(yaml: "nmae: x\nparameters:\n  seed: {value: 1}\n", line: 1, fragment: "nmae: unknown key; did you mean name?"),
        Refusal(yaml: "metric: {name: test_loss, impute_while_running: sometimes}\nparameters:\n  seed: {value: 1}\n", line: 1,
                fragment: "metric.impute_while_running: must be latest, best, worst or false"),
        Refusal(yaml: "metric: {goal: maximize}\nparameters:\n  seed: {value: 1}\n", line: 1, fragment: "metric.name: missing"),
        Refusal(yaml: "method: random\nparameters:\n  seed: {value: 1}\n", line: 1, fragment: "run_cap: random search needs run_cap"),
    ]

    @Test(arguments: refusals)
    func eachMisfitIsRefusedInOneLineWithItsKeyAndLine(_ refusal: Refusal) {
        do {
            _ = try SweepSpec(yaml: refusal.yaml, file: "bad.yaml")
            Issue.record("accepted: \(refusal.yaml)")
        } catch {
            #expect(error.line == refusal.line, "\(error)")
            #expect(error.problems.count == 1, "one mistake, one line: \(error.lines())")
            #expect(error.description.contains(refusal.fragment), "\(error)")
            #expect(error.description.hasPrefix("bad.yaml:"))
            #expect(!error.description.contains("\n"))
        }
    }
}

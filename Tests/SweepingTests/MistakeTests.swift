import Programs
import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Sweeping
import SweepCore
@testable import SweepFiles

/// Every mistake of a sweep file in one reading, each on its own line, with "did you mean" for
/// misspellings; one mistake is still one line; W&B's exponent forms with bounds that look like values
/// are pointed out.
@Suite("Every mistake in one pass")
struct MistakeTests {
    static func problems(_ yaml: String) -> [SpecError] {
        do throws(SpecError) {
            _ = try SweepSpec(yaml: yaml, file: "bad.yaml", checkFiles: false)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func aFileWithSeveralMistakesGetsThemAllInFileOrder() throws {
        let problems = Self.problems("""
            name: several
            method: random
            run_cap: 8
            metric: {name: test_loss, gaol: minimize}
            parameters:
              momentun: {values: [0.0, 0.9]}
              learning_rate: {distribution: log_uniform_values, min: 0, max: 0.1}
              dropout: {values: [0.1, 1.5, lots]}
              batch_size: {min: 16, max: 8}
            early_terminate: {type: asha, min_itr: 2}
            bogus: 1
            """)
        #expect(problems.map(\.description) == [
            "bad.yaml:4: metric.gaol: unknown key; did you mean goal?",
            "bad.yaml:6: parameters.momentun: unknown parameter; did you mean momentum?",
            "bad.yaml:7: parameters.learning_rate.min: log_uniform_values needs min > 0 (the values' logarithms are used), got 0.0",
            "bad.yaml:8: parameters.dropout: must be in [0, 1), got 1.5",
            "bad.yaml:8: parameters.dropout.values: must be a number, got 'lots'",
            "bad.yaml:9: parameters.batch_size.max: must be greater than min (16), got 8",
            "bad.yaml:10: early_terminate.min_itr: does not belong to type asha (it takes min_iter, max_iter, eta, brackets, "
                + "bootstrap_count, strict); did you mean min_iter?",
            "bad.yaml:11: bogus: unknown key; expected one of " + SweepSpec.keyRules.map(\.key).joined(separator: ", "),
        ])
        // The error itself is the first, so one-line readers still see the first mistake.
        do {
            _ = try SweepSpec(yaml: "bogus: 1\nparameters:\n  momentun: {value: 0}\n", file: "bad.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 1 && error.key == "bogus" && error.also.count == 1)
        }
    }

    @Test func aProgramSweepsMistakesAreCollectedToo() {
        let problems = Self.problems("""
            program: train.py
            metric: {name: loss}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.1, max: 0.01}
              optimizer:
                parameters:
                  beta: {valeus: [0.9]}
                  eps: {value: 1e-8}
              seconds: {value: 1}
            """)
        #expect(problems.map(\.description) == [
            "bad.yaml:4: parameters.lr.max: must be greater than min (0.1), got 0.01",
            "bad.yaml:7: parameters.optimizer.beta.valeus: unknown key; did you mean values?",
            "bad.yaml:9: parameters.seconds: is also the name of a trials.csv column ("
                + RecordLayout.reservedNames(metric: "loss").sorted().joined(separator: ", ") + "); rename it",
        ])
    }

    struct Single: CustomTestStringConvertible, Sendable {
        var yaml: String
        var line: String
        var testDescription: String { line }
    }

    /// A mistake that another check depends on is reported once: the misspelt key, not also the
    /// key it was meant to be as missing, nor the checks the unreadable value would feed.
    static let singles: [Single] = [
        Single(yaml: "method: random\nrun_cpa: 5\nparameters:\n  dropout: {value: 0}\n",
               line: "bad.yaml:2: run_cpa: unknown key; did you mean run_cap?"),
        Single(yaml: "method: random\nrun_cap: five\nparameters:\n  dropout: {value: 0}\n",
               line: "bad.yaml:2: run_cap: must be a number, got 'five'"),
        Single(yaml: "name: a\nparamters:\n  dropout: {value: 0}\n", line: "bad.yaml:2: paramters: unknown key; did you mean parameters?"),
        Single(yaml: "metric: {nmae: test_loss}\nparameters:\n  dropout: {value: 0}\n",
               line: "bad.yaml:1: metric.nmae: unknown key; did you mean name?"),
        Single(yaml: "metric: {name: test_los}\nparameters:\n  dropout: {value: 0}\n",
               line: "bad.yaml:1: metric.name: 'test_los' is not a metric; did you mean test_loss?"),
        Single(yaml: "method: rnadom\nparameters:\n  learning_rate: {distribution: uniform, min: 0.01, max: 0.1}\n",
               line: "bad.yaml:1: method: 'rnadom' is not supported; did you mean random?"),
        Single(yaml: "method: random\nrun_cap: 2\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0.001, mx: 0.1}\n",
               line: "bad.yaml:4: parameters.learning_rate.mx: unknown key; did you mean max?"),
        Single(yaml: "method: random\nrun_cap: 2\nparameters:\n  learning_rate: {distrbution: log_uniform_values, min: 0.001, max: 0.1}\n",
               line: "bad.yaml:4: parameters.learning_rate.distrbution: unknown key; did you mean distribution?"),
        Single(yaml: "method: random\nrun_cap: 2\nparameters:\n  learning_rate: {distribution: log_unifrom_values, min: 0.001, max: 0.1}\n",
               line: "bad.yaml:4: parameters.learning_rate.distribution: 'log_unifrom_values' is not a distribution; did you mean log_uniform_values?"),
        Single(yaml: "early_terminate: {type: hyperbnd, min_iter: 1}\nparameters:\n  dropout: {value: 0}\n",
               line: "bad.yaml:1: early_terminate.type: 'hyperbnd' is not supported; did you mean hyperband?"),
        Single(yaml: "parameters:\n  Momentum: {value: 0.9}\n", line: "bad.yaml:2: parameters.Momentum: unknown parameter; did you mean momentum?"),
        Single(yaml: "parameters:\n  learningrate: {value: 0.1}\n",
               line: "bad.yaml:2: parameters.learningrate: unknown parameter; did you mean learning_rate?"),
        Single(yaml: "parameters:\n  nesterov: {value: true}\n  momentum: {values: [0.9, fast]}\n",
               line: "bad.yaml:3: parameters.momentum.values: must be a number, got 'fast'"),
    ]

    @Test(arguments: singles)
    func oneMistakeIsOneLine(_ single: Single) {
        #expect(Self.problems(single.yaml).map(\.description) == [single.line])
    }

    @Test func aNameNothingIsCloseToListsEveryName() {
        let line = Self.problems("parameters:\n  lr: {value: 0.1}\n").first?.description ?? ""
        #expect(line == "bad.yaml:2: parameters.lr: unknown parameter; expected one of "
                + Hyperparameter.allCases.map(\.rawValue).joined(separator: ", "))
    }

    @Test func suggestionsAreCloseByDamerauLevenshtein() {
        #expect(Suggestion.distance(Array("momentun".unicodeScalars), Array("momentum".unicodeScalars), cap: 2) == 1)
        #expect(Suggestion.distance(Array("nmae".unicodeScalars), Array("name".unicodeScalars), cap: 2) == 1)  // a swap
        #expect(Suggestion.distance(Array("abc".unicodeScalars), Array("xyz".unicodeScalars), cap: 2) == 3)  // capped
        #expect(Suggestion.closest(to: "weight_decy", in: Hyperparameter.allCases.map(\.rawValue)) == ["weight_decay"])
        #expect(Suggestion.closest(to: "lr", in: ["l1", "learning_rate"]).isEmpty)  // two letters: too short to guess
        #expect(Suggestion.closest(to: "mx", in: ["min", "max", "mu"]) == ["max"])  // but a dropped letter is clear
        #expect(Suggestion.closest(to: "seeds", in: ["seed", "sweep"]) == ["seed"])
        #expect(Suggestion.closest(to: "hyperparameters", in: ["parameters"]).isEmpty)
        // A megabyte-long key is skipped by its length, not compared.
        #expect(Suggestion.closest(to: String(repeating: "x", count: 1 << 20), in: ["parameters"]).isEmpty)
    }

    @Test func atMostTwentyLinesAreShownAndTheRestCounted() {
        let values = (0..<25).map { "bad\($0)" }.joined(separator: ", ")
        do {
            _ = try SweepSpec(yaml: "parameters:\n  learning_rate: {values: [\(values)]}\n", file: "bad.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 25)
            let lines = error.lines()
            #expect(lines.count == 21)
            #expect(lines[19] == "bad.yaml:2: parameters.learning_rate.values: must be a number, got 'bad19'")
            #expect(lines[20] == "… and 5 more")
        }
    }

    // MARK: - W&B's exponent forms

    @Test func exponentFormsWithBoundsThatLookLikeValuesAreWarnedAbout() throws {
        let spec = try SweepSpec(yaml: """
            method: random
            run_cap: 4
            parameters:
              learning_rate: {distribution: log_uniform, min: 0.001, max: 0.1}
              weight_decay: {distribution: inv_log_uniform, min: 0.0001, max: 0.01}
              l1: {distribution: log_uniform, min: -12, max: -6}
              max_norm: {distribution: log_uniform_values, min: 0.001, max: 0.1}
            """, file: "exp.yaml")
        #expect(spec.warnings == [
            "exp.yaml:4: parameters.learning_rate: log_uniform takes min and max as natural-log exponents, so this gives values "
                + "from 1.001 to 1.105; did you mean log_uniform_values?",
            "exp.yaml:5: parameters.weight_decay: inv_log_uniform takes min and max as natural-log exponents, so this gives values "
                + "from 0.99 to 0.9999; did you mean inv_log_uniform_values?",
        ])
        // What the form is for (negative exponents) and the values forms say nothing.
        #expect(Distribution(name: "log_uniform", family: .logUniform(minExponent: -9.2, maxExponent: -2.3)).exponentFormWarning == nil)
        // A batch size typed as values: e¹⁶ to e²⁵⁶.
        let batch = Distribution(name: "q_log_uniform", family: .logUniform(minExponent: 16, maxExponent: 256), q: 1)
        #expect(batch.exponentFormWarning?.hasSuffix("did you mean q_log_uniform_values?") == true)
        // A min of 0 would be refused by the values form: no suggestion to make.
        #expect(Distribution(name: "log_uniform", family: .logUniform(minExponent: 0, maxExponent: 1)).exponentFormWarning == nil)
    }

    @Test func aProgramsExponentFormIsWarnedAboutToo() throws {
        let spec = try SweepSpec(yaml: "program: train.py\nmethod: random\nparameters:\n  lr: {distribution: log_uniform, min: 0.0001, max: 0.1}\n",
                                 file: "p.yaml", checkFiles: false)
        #expect(spec.warnings == ["p.yaml:4: parameters.lr: log_uniform takes min and max as natural-log exponents, so this gives "
                                  + "values from 1 to 1.105; did you mean log_uniform_values?"])
    }

    @Test func theBuiltInTrainersRefusalOfAnExponentFormSaysWhatWasMeant() {
        #expect(Self.problems("method: random\nrun_cap: 2\nparameters:\n  momentum: {distribution: log_uniform, min: 0.5, max: 0.99}\n")
            .map(\.description) == ["bad.yaml:4: parameters.momentum: momentum must be in [0, 1), but this log_uniform distribution gives "
                                    + "values in [1.649, 2.691]; did you mean log_uniform_values? (log_uniform's min and max are "
                                    + "natural-log exponents)"])
        // When the values form would not fit either, there is nothing to suggest.
        let refusal = Self.problems("method: random\nrun_cap: 2\nparameters:\n  dropout: {distribution: log_uniform, min: 0.5, max: 2}\n")
        #expect(refusal.count == 1 && !(refusal.first?.message.contains("did you mean") ?? true), "\(refusal)")
    }

    // MARK: - Reading the file

    @Test func aFileThatCannotBeReadIsUnreadableNotAMistake() throws {
        let scratch = Scratch("mistakes")
        for path in [scratch.file("missing.yaml"), scratch.path] {
            do {
                _ = try SweepSpec(contentsOf: path)
                Issue.record("read \(path)")
            } catch {
                #expect(error.unreadable, "\(error)")
                #expect(error.description.hasPrefix(path + ": "), "\(error)")
            }
        }
        scratch.write("parameters: [\n", to: "broken.yaml")
        do {
            _ = try SweepSpec(contentsOf: scratch.file("broken.yaml"))
            Issue.record("read a broken file")
        } catch {
            #expect(!error.unreadable && error.message.hasPrefix("not valid YAML"), "\(error)")
        }
        scratch.write("parameters:\n  seed: {value: 1}\n", to: "good.yaml")
        #expect(try SweepSpec(contentsOf: scratch.file("good.yaml")).count == 1)
    }
}

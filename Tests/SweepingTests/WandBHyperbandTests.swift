import Foundation
import SweepTestSupport
import Testing
@testable import Sweeping
import SweepFiles

/// The `early_terminate` and `metric` keys against W&B's `hyperband_stopping.py` and `schema.json`: every
/// form W&B runs is read, with W&B's bands and a one-line warning where a key has no effect; what W&B
/// itself would not run is refused.
@Suite("W&B hyperband and metric keys")
struct WandBHyperbandTests {
    static func spec(_ yaml: String) throws(SpecError) -> SweepSpec {
        try SweepSpec(yaml: yaml, file: "w.yaml", checkFiles: false)
    }

    /// A program sweep whose `metric` is on line 2 and `early_terminate` on line 3.
    static func file(earlyTerminate: String, metric: String = "{name: loss}") -> String {
        "program: train.py\nmetric: \(metric)\nearly_terminate: \(earlyTerminate)\nparameters:\n  a: {values: [1, 2]}\n"
    }

    @Test(arguments: WandBHyperbandForm.all)
    func wandbsFormsAreReadWithWandBsBands(_ form: WandBHyperbandForm) throws {
        let spec = try Self.spec(form.yaml)
        let rule = try #require(spec.earlyTermination)
        #expect(rule.rungs(forEpochs: .max) == Array(Set(form.bands)).sorted())
        #expect(rule.rule == .hyperband(strict: form.strict))
        #expect(rule.eta == form.eta)
        #expect(spec.metric.goal.rawValue == form.goal)
        #expect(spec.warnings.count == form.warnedKeys.count, "\(spec.warnings)")
        for (warning, key) in zip(spec.warnings, form.warnedKeys) {
            #expect(warning.hasPrefix("w.yaml:\(WandBHyperbandForm.line(of: key)): \(key): "), "\(warning)")
            #expect(!warning.contains("\n"))
        }
    }

    @Test func sBesideMinIterIsOneWarningWhateverNumberItIs() throws {
        for s in ["2", "0", "-4", "2.5", "500"] {
            let spec = try Self.spec(Self.file(earlyTerminate: "{type: hyperband, min_iter: 3, s: \(s), eta: 3}"))
            #expect(spec.warnings == ["w.yaml:3: early_terminate.s: has no effect beside min_iter: the bands come from min_iter "
                                      + "and eta, as in W&B (s counts the bands below max_iter)"], "s: \(s)")
            #expect(spec.earlyTermination?.rungs(forEpochs: 100) == [3, 9, 27, 81])
        }
        // The same without s: no warning, the same rungs.
        let plain = try Self.spec(Self.file(earlyTerminate: "{type: hyperband, min_iter: 3, eta: 3}"))
        #expect(plain.warnings.isEmpty)
        #expect(plain.earlyTermination?.rungs(forEpochs: 100) == [3, 9, 27, 81])
    }

    @Test func theBuiltInTrainerTakesTheSameForm() throws {
        let spec = try SweepSpec(yaml: "early_terminate: {type: hyperband, min_iter: 1, s: 3}\nparameters:\n  epochs: {value: 30}\n",
                                 file: "t.yaml")
        #expect(spec.warnings.count == 1 && spec.warnings[0].hasPrefix("t.yaml:1: early_terminate.s: has no effect"))
        #expect(spec.earlyTermination?.rungs(forEpochs: 30) == [1, 3, 9, 27])
    }

    @Test func metricSettingsWandBRunsAreReadWithAWarningWhereTheyDoNothingHere() throws {
        let silent = ["{name: loss, impute: worst}", "{name: loss, impute_while_running: 'false'}",
                      "{name: loss, impute_while_running: false}", "{name: loss, goal: maximize, target: 0.9}"]
        for metric in silent {
            #expect(try Self.spec(Self.file(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: metric)).warnings.isEmpty, "\(metric)")
        }
        let warned: [(metric: String, key: String, fragment: String)] = [
            ("{name: loss, impute: latest}", "metric.impute", "latest has no effect: sweep's bayes counts a diverged trial as the worst"),
            ("{name: loss, impute: best}", "metric.impute", "best has no effect"),
            // W&B drops an impute it does not know and uses worst.
            ("{name: loss, impute: median}", "metric.impute", "'median' is not latest, best or worst (W&B uses worst then)"),
            ("{name: loss, impute_while_running: best}", "metric.impute_while_running",
             "best has no effect: sweep's bayes learns only from finished trials"),
            // W&B drops a goal it does not know and minimizes: test_schema.py corrects "minimise" so.
            ("{name: val_accuracy, goal: maximise}", "metric.goal", "'maximise' is not minimize or maximize, so W&B minimizes, "
             + "and so does sweep: this sweep minimizes val_accuracy"),
        ]
        for (metric, key, fragment) in warned {
            let spec = try Self.spec(Self.file(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: metric))
            #expect(spec.warnings.count == 1, "\(metric): \(spec.warnings)")
            #expect(spec.warnings.first?.hasPrefix("w.yaml:2: \(key): \(fragment)") == true, "\(spec.warnings)")
        }
        #expect(try Self.spec(Self.file(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: "{name: val_accuracy, goal: maximise}"))
                    .metric.goal == .minimize)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var earlyTerminate: String
        var metric = "{name: loss}"
        var line = 3
        var fragment: String
        var testDescription: String { fragment }
    }

    /// What W&B refuses (its error in the comment), each refused here in one line with its key.
    static let refusals: [Refusal] = [
        // test_hyperband_runs_with_bad_config: ValueError.
        Refusal(earlyTerminate: "hyperband", fragment: "w.yaml:3: early_terminate: must be a mapping of keys to values, got 'hyperband'"),
        // "early terminate must be a dict with a "type" section"
        Refusal(earlyTerminate: "{min_iter: 3}", fragment: "early_terminate.type: missing"),
        // "Invalid early stopping type pbt"
        Refusal(earlyTerminate: "{type: pbt, min_iter: 3}", fragment: "early_terminate.type: 'pbt' is not supported"),
        // The schema's anyOf: max_iter with s, or min_iter.
        Refusal(earlyTerminate: "{type: hyperband}", fragment: "early_terminate: hyperband needs min_iter, or max_iter with s"),
        Refusal(earlyTerminate: "{type: hyperband, s: 2}", fragment: "early_terminate: hyperband needs min_iter, or max_iter with s"),
        Refusal(earlyTerminate: "{type: hyperband, max_iter: 27}", fragment: "early_terminate.s: max_iter needs s"),
        // A misspelt key is dropped by W&B, and then nothing is left to make bands from.
        Refusal(earlyTerminate: "{type: hyperband, max_iters: 27, s: 2}",
                fragment: "hyperband needs min_iter, or max_iter with s (max_iters is not a hyperband key; did you mean max_iter?)"),
        // KeyError: 's' (W&B reads max_iter before min_iter).
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 3, max_iter: 27}",
                fragment: "early_terminate.s: max_iter needs s, the number of bands below it (W&B reads max_iter before min_iter"),
        // "'two' is not of type 'number'"
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 3, s: two}", fragment: "early_terminate.s: must be a number, got 'two'"),
        // "Bands must be an array of length at least 1"
        Refusal(earlyTerminate: "{type: hyperband, max_iter: 27, s: 0}", fragment: "early_terminate.s: must be a whole number from 1"),
        Refusal(earlyTerminate: "{type: hyperband, max_iter: 2, s: 3}",
                fragment: "early_terminate: these settings give no band of at least one epoch (max_iter / eta is 0.6666666666666666)"),
        Refusal(earlyTerminate: "{type: hyperband, max_iter: 0, s: 2}", fragment: "early_terminate.max_iter: must be a whole number from 1"),
        // "27.5 is not of type 'integer'", "0 is less than the minimum of 1", "2.5 is not of type 'integer'"
        Refusal(earlyTerminate: "{type: hyperband, max_iter: 27.5, s: 2}", fragment: "early_terminate.max_iter: must be a whole number"),
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 0}", fragment: "early_terminate.min_iter: must be a whole number from 1"),
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 2.5}", fragment: "early_terminate.min_iter: must be a whole number"),
        // "1 is less than or equal to the minimum of 1"
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 1, eta: 1}", fragment: "early_terminate.eta: must be greater than 1, got 1.0"),
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 1, eta: 0.5}", fragment: "early_terminate.eta: must be greater than 1"),
        // "'maybe' is not of type 'boolean'"
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 1, strict: maybe}", fragment: "early_terminate.strict: must be true or false"),
        // The metric schema: additionalProperties false, name required, target a number, impute_while_running an enum.
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: "{name: loss, extra: 1}", line: 2,
                fragment: "metric.extra: unknown key"),
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: "{goal: minimize}", line: 2, fragment: "metric.name: missing"),
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: "{name: loss, target: high}", line: 2,
                fragment: "metric.target: must be a number, got 'high'"),
        Refusal(earlyTerminate: "{type: hyperband, min_iter: 3}", metric: "{name: loss, impute_while_running: median}", line: 2,
                fragment: "metric.impute_while_running: must be latest, best, worst or false, got 'median'"),
    ]

    @Test(arguments: refusals)
    func whatWandBWouldNotRunIsRefusedInOneLine(_ refusal: Refusal) {
        do {
            let spec = try Self.spec(Self.file(earlyTerminate: refusal.earlyTerminate, metric: refusal.metric))
            Issue.record("accepted, with rungs \(spec.earlyTermination?.rungs(forEpochs: 100) ?? [])")
        } catch {
            #expect(error.line == refusal.line, "\(error)")
            #expect(error.problems.count == 1, "one mistake, one line: \(error.lines())")
            #expect(error.description.contains(refusal.fragment), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func anEndlessBandCountIsRefusedRatherThanComputed() throws {
        // W&B divides max_iter by eta s times; with eta a hair above 1 and s in the billions that never ends.
        let start = ContinuousClock.now
        do {
            _ = try Self.spec(Self.file(earlyTerminate: "{type: hyperband, max_iter: 100000, s: 1000000000, eta: 1.0000001}"))
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("early_terminate.s: with eta 1.0000001 gives more than 10000000 bands below max_iter"),
                    "\(error)")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        // A large s with an ordinary eta stops dividing once a band is below 1, as W&B's loop does.
        let spec = try Self.spec(Self.file(earlyTerminate: "{type: hyperband, max_iter: 100000, s: 1000000000, eta: 10}"))
        #expect(spec.earlyTermination?.rungs(forEpochs: .max) == [1, 10, 100, 1000, 10000])
    }
}

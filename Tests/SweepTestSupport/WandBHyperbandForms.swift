/// W&B's hyperband forms, each with the bands W&B's own code computes for it: the `early_terminate` and
/// `metric` blocks of `wandb/sweeps` (`src/sweeps/hyperband_stopping.py` and `run.py`'s docstrings,
/// `tests/test_hyperband_stopping.py`, `tests/test_schema.py`, `tests/test_config.py`,
/// `examples/local-controller/sweep-local-hyperband.yaml`), `wandb/examples`' keras hyperband sweep,
/// the form of issue 20 (`s` beside `min_iter`), and forms W&B's schema admits beyond those. `bands`
/// is what `hyperband_stop_runs` reported for each (`early_terminate_info["bands"]`, W&B at b1dfc5f,
/// run in a scratch virtualenv), cut at epoch 100,000, the last one `sweep` decides at; its min_iter form
/// computes a hundred bands, so the cut drops the rest.
public struct WandBHyperbandForm: Sendable, CustomStringConvertible {
    /// Where the form comes from.
    public var source: String
    /// The sweep's method in the source.
    public var method = "grid"
    /// The `early_terminate:` block, as flow YAML.
    public var earlyTerminate: String
    /// The `metric:` block, as flow YAML.
    public var metric: String
    /// W&B's bands, in its order (repeats and all), up to epoch 100,000.
    public var bands: [Int]
    /// W&B's `strict` once its defaults are filled in.
    public var strict = true
    /// W&B's `eta` once its defaults are filled in.
    public var eta = 3.0
    /// W&B's goal once its defaults are filled in.
    public var goal = "minimize"
    /// The keys (`early_terminate.s`, …) that are accepted with a warning, because they have no effect.
    public var warnedKeys: [String] = []

    public var description: String { "\(source): \(earlyTerminate)" }

    /// The form as a program sweep file: `program` on line 1, `metric` on line 3, `early_terminate` on line 4.
    public var yaml: String {
        "program: train.py\nmethod: \(method)\nmetric: \(metric)\nearly_terminate: \(earlyTerminate)\nparameters:\n  a: {values: [1, 2, 3]}\n"
    }

    /// The line a warned key is on.
    public static func line(of key: String) -> Int { key.hasPrefix("metric") ? 3 : 4 }

    static let threes = [3, 9, 27, 81, 243, 729, 2187, 6561, 19683, 59049]
    static let thirtyByHalves = [30, 45, 67, 101, 151, 227, 341, 512, 768, 1153, 1729, 2594, 3892, 5838, 8757, 13136, 19705, 29557,
                                 44336, 66505, 99757]

    public static let all: [WandBHyperbandForm] = [
        WandBHyperbandForm(source: "hyperband_stopping.py and run.py docstrings, test_5runs_band1_stop_2(_1stnoband)",
                           earlyTerminate: "{type: hyperband, max_iter: 5, eta: 2, s: 2}", metric: "{name: loss, goal: minimize}",
                           bands: [1, 2], eta: 2),
        WandBHyperbandForm(source: "test_hyperband_min_iter_bands", earlyTerminate: "{type: hyperband, min_iter: 3, eta: 3}",
                           metric: "{name: loss, goal: minimize}", bands: threes),
        WandBHyperbandForm(source: "test_hyperband_min_iter_bands_max", earlyTerminate: "{type: hyperband, min_iter: 3, eta: 3}",
                           metric: "{name: accuracy, goal: maximize}", bands: threes, goal: "maximize"),
        WandBHyperbandForm(source: "test_hyperband_max_iter_bands", earlyTerminate: "{type: hyperband, max_iter: 81, eta: 3, s: 3}",
                           metric: "{name: loss, goal: minimize}", bands: [3, 9, 27]),
        WandBHyperbandForm(source: "test_init_from_max_iter", earlyTerminate: "{type: hyperband, max_iter: 18, eta: 3, s: 2}",
                           metric: "{name: loss, goal: minimize}", bands: [2, 6]),
        WandBHyperbandForm(source: "test_single_run, test_2runs_band1_pass",
                           earlyTerminate: "{type: hyperband, max_iter: 18, eta: 3, s: 2, strict: false}",
                           metric: "{name: loss, goal: minimize}", bands: [2, 6], strict: false),
        WandBHyperbandForm(source: "test_eta_3", earlyTerminate: "{type: hyperband, max_iter: 9, eta: 3, s: 2, strict: false}",
                           metric: "{name: loss, goal: minimize}", bands: [1, 3], strict: false),
        WandBHyperbandForm(source: "test_eta_3_max", earlyTerminate: "{type: hyperband, max_iter: 9, eta: 3, s: 2, strict: false}",
                           metric: "{name: loss, goal: maximize}", bands: [1, 3], strict: false, goal: "maximize"),
        WandBHyperbandForm(source: "test_hyperband_runs_with_nan_metrics", method: "bayes",
                           earlyTerminate: "{s: 2, eta: 3, type: hyperband, max_iter: 300}",
                           metric: "{goal: minimize, name: overall_eval_loss}", bands: [33, 100]),
        WandBHyperbandForm(source: "test_hyperband_extensive_relaxed", method: "bayes",
                           earlyTerminate: "{type: hyperband, min_iter: 30, eta: 1.5, strict: false}",
                           metric: "{name: metric, goal: maximize}", bands: thirtyByHalves, strict: false, eta: 1.5, goal: "maximize"),
        WandBHyperbandForm(source: "test_hyperband_extensive_strict", method: "bayes",
                           earlyTerminate: "{type: hyperband, min_iter: 30, eta: 1.5, strict: true}",
                           metric: "{name: metric, goal: maximize}", bands: thirtyByHalves, eta: 1.5, goal: "maximize"),
        WandBHyperbandForm(source: "test_schema.py test_hyperband_missing_eta_imputed(_incremental)", method: "random",
                           earlyTerminate: "{min_iter: 3, type: hyperband}", metric: "{goal: minimize, name: val/loss}", bands: threes),
        WandBHyperbandForm(source: "test_schema.py test_hyperband_incremental_corrects_goal", method: "random",
                           earlyTerminate: "{min_iter: 3, type: hyperband}", metric: "{goal: minimise, name: val/loss}", bands: threes,
                           warnedKeys: ["metric.goal"]),
        WandBHyperbandForm(source: "test_config.py", method: "bayes", earlyTerminate: "{type: hyperband, min_iter: 3}",
                           metric: "{name: loss, goal: minimize}", bands: threes),
        WandBHyperbandForm(source: "examples/local-controller/sweep-local-hyperband.yaml",
                           earlyTerminate: "{type: hyperband, max_iter: 10, s: 2, eta: 3}", metric: "{name: loss_metric, goal: minimize}",
                           bands: [1, 3]),
        WandBHyperbandForm(source: "wandb/examples keras-cnn-fashion sweep-grid-hyperband.yaml",
                           earlyTerminate: "{type: hyperband, s: 2, eta: 3, max_iter: 27}", metric: "{goal: minimize, name: val_loss}",
                           bands: [3, 9]),
        // Issue 20: files in the wild carry s beside min_iter; W&B validates s as a number and ignores it.
        WandBHyperbandForm(source: "issue 20", earlyTerminate: "{type: hyperband, min_iter: 3, s: 2, eta: 3}", metric: "{name: loss}",
                           bands: threes, warnedKeys: ["early_terminate.s"]),
        WandBHyperbandForm(source: "s beside min_iter, another eta", earlyTerminate: "{type: hyperband, min_iter: 2, s: 3, eta: 2}",
                           metric: "{name: loss}", bands: [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536],
                           eta: 2, warnedKeys: ["early_terminate.s"]),
        // W&B reads max_iter first: min_iter beside max_iter and s is validated and unused.
        WandBHyperbandForm(source: "min_iter beside max_iter and s", earlyTerminate: "{type: hyperband, min_iter: 3, max_iter: 27, s: 2}",
                           metric: "{name: loss}", bands: [3, 9], warnedKeys: ["early_terminate.min_iter"]),
        // The schema's bounds, not ours: s, max_iter, min_iter and eta have no upper limit there.
        WandBHyperbandForm(source: "schema: s past the bands", earlyTerminate: "{type: hyperband, max_iter: 27, s: 500}",
                           metric: "{name: loss}", bands: [1, 3, 9]),
        WandBHyperbandForm(source: "schema: max_iter past epoch 100,000", earlyTerminate: "{type: hyperband, max_iter: 1000000, s: 3, eta: 10}",
                           metric: "{name: loss}", bands: [1000, 10000, 100000], eta: 10),
        WandBHyperbandForm(source: "schema: min_iter past epoch 100,000", earlyTerminate: "{type: hyperband, min_iter: 200000}",
                           metric: "{name: loss}", bands: []),
        WandBHyperbandForm(source: "schema: a large eta", earlyTerminate: "{type: hyperband, min_iter: 1, eta: 5000}",
                           metric: "{name: loss}", bands: [1, 5000], eta: 5000),
        // W&B's hundred bands, with repeats, end at 125 here; no rung after it.
        WandBHyperbandForm(source: "schema: eta near 1", earlyTerminate: "{type: hyperband, min_iter: 1, eta: 1.05}", metric: "{name: loss}",
                           bands: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5,
                                   5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10, 10, 11, 12, 12, 13, 13, 14, 15, 16, 16, 17, 18, 19, 20, 21, 22,
                                   23, 25, 26, 27, 28, 30, 31, 33, 35, 36, 38, 40, 42, 44, 47, 49, 52, 54, 57, 60, 63, 66, 69, 73, 76, 80,
                                   84, 89, 93, 98, 103, 108, 113, 119, 125],
                           eta: 1.05),
        // W&B's hyperband drops keys it does not define before validating the rest.
        WandBHyperbandForm(source: "hyperband_baseline_validate_and_fill: a key W&B drops", earlyTerminate: "{type: hyperband, min_iter: 1, brackets: 2}",
                           metric: "{name: loss}", bands: [1] + threes, warnedKeys: ["early_terminate.brackets"]),
    ]
}

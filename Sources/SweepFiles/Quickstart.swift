import Sweeping

/// The built-in default sweep, the same text as `Sweeps/quickstart.yaml` (a test keeps them equal).
extension SweepSpec {
    /// The text of the default sweep.
    public static let quickstartText = """
# The built-in default sweep (`sweep run` with no file): 16 trials x 3 epochs on the full data,
# about half a minute on 2 cores. Schema: a subset of Weights & Biases sweeps.
name: quickstart
method: grid
metric: {name: test_loss, goal: minimize}
parameters:
  learning_rate: {values: [0.01, 0.1]}
  momentum: {values: [0.0, 0.9]}
  dropout: {values: [0.0, 0.4]}
  augment: {values: [none, rotate_flip_vflip]}
  epochs: {value: 3}

"""

    /// The default sweep, parsed.
    public static func quickstart() -> SweepSpec {
        // The text is part of the program and covered by tests: it always parses.
        try! SweepSpec(yaml: quickstartText, file: "built-in quickstart")
    }
}

import Foundation
import Sweeping
import Training
import SweepCore
import SweepFiles

/// Hostile sweep files, reproducibly: mutations of real ones (byte flips, truncations, lines cut,
/// repeated and swapped), random YAML of a sweep file's shape with random keys and values of random
/// types, and a few classic parser traps (deep nesting, alias bombs, huge numbers, long lines).
public struct SweepFileFuzzer {
    private var random: SplitMix64
    private let corpus: [String]

    /// Files to mutate: W&B's forms, one of each, and the shapes of the shipped sweeps.
    public static let seeds = [
        SweepSpec.quickstartText,
        """
        name: wandb-style
        description: every form
        entity: me
        project: fashion
        method: random
        run_cap: 20
        random_seed: 7
        metric:
          name: test_accuracy
          goal: maximize
          target: 0.9
        parameters:
          learning_rate:
            distribution: log_uniform_values
            min: 0.0001
            max: 0.1
          momentum: {distribution: beta, a: 9, b: 1}
          weight_decay: {distribution: q_log_uniform_values, min: 1.0e-6, max: 1.0e-3, q: 1.0e-6}
          dropout: {min: 0.0, max: 0.5}
          batch_size: {distribution: q_uniform, min: 32, max: 256, q: 32}
          epochs: {min: 1, max: 5}
          augment:
            values: [none, flip, rotate_flip]
            probabilities: [0.5, 0.3, 0.2]
          hidden: {values: ["128,128", [64, 32], 256]}
          seed: {distribution: int_uniform, min: 0, max: 9}
          nesterov: {value: false}
          l1: {distribution: log_uniform, min: -12, max: -6}
          max_norm: {distribution: log_normal, mu: 1, sigma: 0.5}
          train_limit: {value: 1000}
        """,
        """
        method: grid
        run_cap: 4
        parameters:
          epochs: {distribution: int_uniform, min: 1, max: 3}
          dropout: {distribution: q_uniform, min: 0, max: 0.5, q: 0.1}
          test_limit: {values: [100, 200]}
        """,
    ]

    /// A fuzzer whose files are fixed by `seed`.
    public init(seed: UInt64) {
        random = SplitMix64(seed: seed, stream: 0xF022)
        corpus = SweepFileFuzzer.seeds
    }

    /// The next hostile file.
    public mutating func next() -> String {
        switch index(10) {
        case 0, 1, 2: return flipBytes(pick(corpus))
        case 3: return truncate(pick(corpus))
        case 4: return shuffleLines(pick(corpus))
        case 5, 6, 7: return randomSweep()
        case 8: return splice(pick(corpus))
        default: return trap()
        }
    }

    // MARK: - Mutations

    private mutating func flipBytes(_ text: String) -> String {
        var bytes = Array(text.utf8)
        let special = Array(":[]{}-#\"'&*!|>%@`,\n\t \\?".utf8)
        for _ in 0..<(1 + index(8)) where !bytes.isEmpty {
            let at = index(bytes.count)
            switch index(3) {
            case 0: bytes[at] ^= UInt8(1 << index(8))
            case 1: bytes[at] = special[index(special.count)]
            default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func truncate(_ text: String) -> String {
        let bytes = Array(text.utf8)
        return String(decoding: bytes.prefix(index(bytes.count + 1)), as: UTF8.self)
    }

    private mutating func shuffleLines(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + index(4)) where lines.count > 1 {
            let a = index(lines.count), b = index(lines.count)
            switch index(3) {
            case 0: lines.swapAt(a, b)
            case 1: lines.remove(at: a)
            default: lines.insert(lines[a], at: b)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A line of one file put into another.
    private mutating func splice(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let donor = pick(corpus).split(separator: "\n").map(String.init)
        lines.insert(pick(donor), at: index(lines.count + 1))
        return lines.joined(separator: "\n")
    }

    // MARK: - Random YAML of the right shape

    private static let topKeys = ["name", "description", "method", "metric", "run_cap", "random_seed", "parameters",
                                  "entity", "project", "program", "command", "early_terminate", "controller", "bogus"]
    private static let parameterKeys = ["value", "values", "distribution", "min", "max", "q", "mu", "sigma", "a", "b",
                                        "probabilities", "parameters", "step"]
    private static let distributions = ["constant", "categorical", "categorical_w_probabilities", "int_uniform", "uniform",
                                        "q_uniform", "log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values",
                                        "log_uniform", "q_log_uniform", "inv_log_uniform", "normal", "q_normal", "log_normal",
                                        "q_log_normal", "beta", "q_beta", "gaussian", ""]

    private mutating func randomSweep() -> String {
        var lines: [String] = []
        for key in Self.topKeys where index(3) > 0 {
            switch key {
            case "parameters":
                lines.append("parameters:")
                for _ in 0..<index(5) {
                    let name = index(6) == 0 ? "p\(index(100))" : pick(Hyperparameter.allCases).rawValue
                    var fields: [String] = []
                    for field in Self.parameterKeys where index(4) == 0 {
                        fields.append("\(field): \(field == "distribution" ? pick(Self.distributions) : scalarOrList())")
                    }
                    lines.append("  \(name): {\(fields.joined(separator: ", "))}")
                }
            case "metric":
                lines.append("metric: {name: \(pick(["test_loss", "test_accuracy", "loss", "", "[1]"])), "
                             + "goal: \(pick(["minimize", "maximize", "up", "1"])), target: \(scalar())}")
            case "method":
                lines.append("method: \(pick(["grid", "random", "bayes", "custom", "", "[grid]"]))")
            default:
                lines.append("\(key): \(scalarOrList())")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private mutating func scalar() -> String {
        switch index(14) {
        case 0: return "\(Int(truncatingIfNeeded: random.next() >> UInt64(index(64))))"
        case 1: return "\(Double(index(2000)) / 7 - 100)"
        case 2: return pick(["1e308", "-1e308", "1e-320", "nan", ".inf", "-.inf", "0x7fffffffffffffff", "9223372036854775808"])
        case 3: return pick(["true", "false", "yes", "no", "null", "~"])
        case 4: return pick(["none", "flip", "rotate_flip_vflip", "128,128", "\"128, 0\"", "0", "-1", "65537"])
        case 5: return "\"" + String(repeating: "x", count: index(300)) + "\""
        case 6: return "''"
        case 7: return "\(index(3))"
        case 8: return "0.\(index(1000))"
        default: return "\(index(200))"
        }
    }

    private mutating func scalarOrList() -> String {
        switch index(5) {
        case 0: return "[" + (0..<index(6)).map { _ in scalar() }.joined(separator: ", ") + "]"
        case 1: return "{" + (0..<index(3)).map { _ in "\(pick(Self.parameterKeys)): \(scalar())" }.joined(separator: ", ") + "}"
        default: return scalar()
        }
    }

    // MARK: - Parser traps

    private mutating func trap() -> String {
        switch index(6) {
        case 0:  // flow nesting far deeper than any sweep file
            let depth = 50 + index(5000)
            return "parameters:\n  learning_rate: {values: " + String(repeating: "[", count: depth)
                + String(repeating: "]", count: depth) + "}\n"
        case 1:  // block nesting
            return "parameters:\n" + (1...(10 + index(400))).map { String(repeating: " ", count: $0) + "k\($0):" }
                .joined(separator: "\n") + " 1\n"
        case 2:  // an alias bomb: 10⁹ strings if expanded
            var text = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
            for (previous, name) in zip("abcdefgh", "bcdefghi") {
                text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ",") + "]\n"
            }
            return pick(["parameters:\n  learning_rate: {values: *i}\n", "parameters: *i\n", "name: *i\n", "? *i\n: 1\n"])
                .replacingOccurrences(of: "parameters:", with: text + "parameters:")
        case 3:  // a very long line
            return "parameters:\n  learning_rate: {values: [" + (0..<5_000).map { "0.\($0 % 9 + 1)" }.joined(separator: ",") + "]}\n"
        case 4:  // dashes nested on one line
            return "parameters:\n  dropout:\n    values:\n      " + String(repeating: "- ", count: 10 + index(3000)) + "0.1\n"
        default:  // a huge grid
            return "parameters:\n" + Hyperparameter.allCases.filter { $0.kind == .whole }
                .map { "  \($0.rawValue): {min: 1, max: \(pick(["2147483647", "100000", "9007199254740991"]))}" }.joined(separator: "\n") + "\n"
        }
    }

    // MARK: - Randomness

    private mutating func index(_ bound: Int) -> Int { bound <= 1 ? 0 : random.nextIndex(below: bound) }
    private mutating func pick<T>(_ items: [T]) -> T { items[index(items.count)] }
}

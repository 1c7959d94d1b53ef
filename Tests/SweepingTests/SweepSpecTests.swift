import Foundation
import Testing
import Training
@testable import Sweeping
import SweepFiles

/// Sweep files: expansion, ids, and one clear error per kind of mistake.
@Suite("Sweep files")
struct SweepSpecTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func builtInQuickstartIsTheShippedFile() throws {
        let shipped = try String(contentsOf: Self.repository.appendingPathComponent("Sweeps/quickstart.yaml"), encoding: .utf8)
        #expect(shipped == SweepSpec.quickstartText)
        let trials = Array(SweepSpec.quickstart().space)
        #expect(trials.count == 16)
        #expect(trials.allSatisfy { $0.config!.epochs == 3 })
    }

    @Test(arguments: ["quickstart", "seed-regularization", "seed-optimizers", "seed-overfit", "adaptive-bayes",
                      "adaptive-hyperband", "study-regularization", "study-optimizers", "study-momentum",
                      "study-distillation", "study-distillation-alone"])
    func shippedSweepsParse(name: String) throws {
        let file = Self.repository.appendingPathComponent("Sweeps/\(name).yaml").path
        // The distillation study names its teacher relative to the repository's root (where it is run
        // from); the file is committed, and read here at its absolute path (the tests' directory may differ).
        let text = try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "docs/results/", with: Self.repository.path + "/docs/results/")
        let spec = try SweepSpec(yaml: text, file: file)
        #expect(spec.name == name)
        #expect(spec.warnings.isEmpty)
        let expected = ["quickstart": 16, "seed-regularization": 8, "seed-optimizers": 8, "seed-overfit": 2,
                        "adaptive-bayes": 20, "adaptive-hyperband": 100_000, "study-regularization": 40,
                        "study-optimizers": 54, "study-momentum": 18, "study-distillation": 48,
                        "study-distillation-alone": 6][name]!
        #expect(spec.count == expected)
    }

    @Test func gridIsTheCartesianProductInFileOrder() throws {
        let spec = try SweepSpec(yaml: """
            name: g
            parameters:
              learning_rate: {values: [0.01, 0.1]}
              hidden: {values: ["32", [16, 8]]}
              augment: {value: flip}
              seed: {values: [1, 2]}
            """, file: "g.yaml")
        let configs = spec.space.map { $0.config! }
        #expect(configs.count == 8)
        #expect(configs.map(\.learningRate) == [0.01, 0.01, 0.01, 0.01, 0.1, 0.1, 0.1, 0.1])
        #expect(configs.map(\.hidden) == [[32], [32], [16, 8], [16, 8], [32], [32], [16, 8], [16, 8]])
        #expect(configs.map(\.seed) == [1, 2, 1, 2, 1, 2, 1, 2])
        #expect(configs.allSatisfy { $0.augment == .flip })
    }

    @Test func randomSearchIsSeededAndStaysInRange() throws {
        let text = """
            name: r
            method: random
            run_cap: 20
            random_seed: 7
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 0.3}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              dropout: {distribution: q_uniform, min: 0, max: 0.5, q: 0.1}
              batch_size: {distribution: int_uniform, min: 32, max: 128}
              augment: {distribution: categorical, values: [none, flip]}
            """
        let first = Array(try SweepSpec(yaml: text, file: "r.yaml").space)
        let second = Array(try SweepSpec(yaml: text, file: "r.yaml").space)
        #expect(first.map(\.id) == second.map(\.id))
        #expect(first.count == 20)
        for config in first.map { $0.config! } {
            #expect(config.learningRate >= 1e-4 && config.learningRate <= 0.3)
            #expect(config.momentum >= 0 && config.momentum <= 0.95)
            #expect((config.dropout * 10).rounded() == config.dropout * 10 || abs((config.dropout * 10).rounded() - config.dropout * 10) < 1e-9)
            #expect((32...128).contains(config.batchSize))
        }
        let reseeded = try SweepSpec(yaml: text.replacingOccurrences(of: "random_seed: 7", with: "random_seed: 8"), file: "r.yaml").space.map { $0 }
        #expect(reseeded.map(\.id) != first.map(\.id))
    }

    @Test func trialIDsAreStableAndChangeWithTheConfig() {
        var config = TrainingConfig()
        // Pinned: ids must not change between versions, or resume would rerun finished trials.
        #expect(config.canonicalKey == "augment=none;batch_size=64;dropout=0.0;epochs=10;hidden=128,128;l1=0.0;"
                + "learning_rate=0.01;max_norm=0.0;momentum=0.0;nesterov=false;seed=0;weight_decay=0.0")
        #expect(config.trialID == Trial(config: config).id)
        #expect(config.trialID.count == 16)
        let before = config.trialID
        config.dropout = 0.4
        #expect(config.trialID != before)
        config.dropout = 0
        config.trainLimit = 512
        #expect(config.trialID != before)
    }

    struct Mistake: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var line: Int?
        var fragment: String
        var testDescription: String { name }
    }

    static let mistakes: [Mistake] = [
        Mistake(name: "unknown top-level key", yaml: "name: a\nmethd: grid\nparameters:\n  dropout: {value: 0}\n",
                line: 2, fragment: "methd: unknown key"),
        Mistake(name: "unknown parameter", yaml: "name: a\nparameters:\n  dropuot: {values: [0, 0.4]}\n",
                line: 3, fragment: "parameters.dropuot: unknown parameter"),
        Mistake(name: "wrong type", yaml: "name: a\nparameters:\n  learning_rate: {values: [0.1, fast]}\n",
                line: 3, fragment: "parameters.learning_rate.values: must be a number, got 'fast'"),
        Mistake(name: "empty grid", yaml: "name: a\nparameters:\n  momentum: {values: []}\n",
                line: 3, fragment: "parameters.momentum.values: is empty"),
        Mistake(name: "out of range", yaml: "name: a\nparameters:\n  dropout:\n    values: [0.2, 1.5]\n",
                line: 4, fragment: "parameters.dropout: must be in [0, 1), got 1.5"),
        Mistake(name: "distribution in a grid", yaml: "name: a\nparameters:\n  learning_rate: {distribution: uniform, min: 0.01, max: 0.1}\n",
                line: 3, fragment: "grid search cannot enumerate a 'uniform' distribution"),
        Mistake(name: "random without run_cap", yaml: "name: a\nmethod: random\nparameters:\n  dropout: {value: 0}\n",
                line: 2, fragment: "run_cap: random search needs run_cap"),
        Mistake(name: "unknown augmentation", yaml: "name: a\nparameters:\n  augment: {values: [none, mirror]}\n",
                line: 3, fragment: "'mirror' is not an augmentation"),
        Mistake(name: "bad YAML", yaml: "name: a\nparameters: [\n", line: 3, fragment: "not valid YAML"),
        Mistake(name: "unsupported method", yaml: "name: a\nmethod: anneal\nparameters:\n  dropout: {value: 0}\n",
                line: 2, fragment: "method: 'anneal' is not supported; use grid, random, bayes or pbt"),
        Mistake(name: "no parameters", yaml: "name: a\n", line: 1, fragment: "parameters: missing"),
        Mistake(name: "bad widths", yaml: "name: a\nparameters:\n  hidden: {value: \"128,x\"}\n",
                line: 3, fragment: "must be layer widths such as"),
    ]

    @Test(arguments: mistakes)
    func eachMistakeNamesItsKeyAndLine(_ mistake: Mistake) {
        do {
            _ = try SweepSpec(yaml: mistake.yaml, file: "bad.yaml")
            Issue.record("parsed a sweep with a mistake")
        } catch {
            #expect(error.line == mistake.line, "\(error)")
            #expect(error.problems.count == 1, "one mistake, one line: \(error.lines())")
            #expect(error.description.contains(mistake.fragment), "\(error)")
            #expect(error.description.hasPrefix("bad.yaml:"))
        }
    }

    @Test func mistakesAllHaveDifferentMessages() {
        let messages = Self.mistakes.map { mistake -> String in
            do throws(SpecError) {
                _ = try SweepSpec(yaml: mistake.yaml, file: "bad.yaml")
                return ""
            } catch {
                return error.message
            }
        }
        #expect(Set(messages).count == messages.count)
    }
}

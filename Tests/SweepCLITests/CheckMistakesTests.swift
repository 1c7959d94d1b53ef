import Foundation
import SweepTestSupport
import Sweeping
import Testing
import SweepCore

/// `sweep check` and `run` through the real binary: every mistake of a file at once, one line each;
/// a file that is not there is missing input (66), not a bad file (65); numbers as people read them.
@Suite("sweep check: mistakes and numbers")
struct CheckMistakesTests {
    static let threeMistakes = """
        name: three
        method: random
        run_cap: 8
        metrc: {name: test_loss}
        parameters:
          momentun: {values: [0.0, 0.9]}
          dropout: {min: 0, max: 1.5}
          epochs: {value: 1}
        """

    @Test(.timeLimit(.minutes(2))) func checkOnAFileWithThreeMistakesPrintsThreeLines() async throws {
        let scratch = Scratch()
        scratch.write(Self.threeMistakes, to: "three.yaml")
        let expected: [Substring] = [
            "sweep: error: three.yaml:4: metrc: unknown key; did you mean metric?",
            "sweep: error: three.yaml:6: parameters.momentun: unknown parameter; did you mean momentum?",
            "sweep: error: three.yaml:7: parameters.dropout: dropout must be in [0, 1), but this uniform distribution gives values in [0, 1.5]",
        ]
        for command in ["check", "run"] {
            let outcome = try await SweepBinary.run([command, "three.yaml"], directory: scratch.path)
            #expect(outcome.status == ExitStatus.dataError, "\(command): \(outcome.stderr)")
            #expect(outcome.stderrLines == expected, "\(command): \(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["three.yaml"], "nothing ran")
    }

    @Test(.timeLimit(.minutes(2))) func aSweepFileThatIsNotThereExits66AndABrokenOne65() async throws {
        let scratch = Scratch()
        for command in [["check"], ["run"], ["try"], ["coordinator", "--bind", "tcp://127.0.0.1:0"]] {
            let outcome = try await SweepBinary.run(command + ["nowhere.yaml"], directory: scratch.path)
            #expect(outcome.status == ExitStatus.noInput, "\(command): \(outcome.stderr)")
            #expect(outcome.stderrLines == ["sweep: error: nowhere.yaml: cannot read the sweep file: No such file or directory"],
                    "\(command): \(outcome.stderr)")
        }
        try FileManager.default.createDirectory(atPath: scratch.file("folder.yaml"), withIntermediateDirectories: true)
        let folder = try await SweepBinary.run(["check", "folder.yaml"], directory: scratch.path)
        #expect(folder.status == ExitStatus.noInput && folder.stderrLines.count == 1 && folder.stderr.contains("folder.yaml: is a directory"),
                "\(folder.stderr)")
        scratch.write("parameters: [\n", to: "broken.yaml")
        let broken = try await SweepBinary.run(["check", "broken.yaml"], directory: scratch.path)
        #expect(broken.status == ExitStatus.dataError && broken.stderrLines.count == 1 && broken.stderr.contains("broken.yaml:2: not valid YAML"),
                "\(broken.stderr)")
        #expect(!scratch.exists("Results"))
    }

    @Test(.timeLimit(.minutes(2))) func checkShowsNumbersAsTypedOrWithFourDigitsAndNotesBayessLag() async throws {
        let scratch = Scratch()
        scratch.write("""
            method: bayes
            run_cap: 16
            metric: {name: test_loss, target: 0.30}
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.3}
              weight_decay: {distribution: log_uniform, min: 0.00001, max: 0.001}
              momentum: {distribution: uniform, min: 0, max: 0.95}
              epochs: {value: 1}
            """, to: "people.yaml")
        let outcome = try await SweepBinary.run(["check", "people.yaml"], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("  learning_rate  log_uniform_values  values in [0.001, 0.3]"), "\(outcome.stdout)")
        #expect(lines.contains("  weight_decay   log_uniform  values in [1, 1.001] (e^0.00001 to e^0.001)"), "\(outcome.stdout)")
        #expect(lines.contains("metric: test_loss (minimize); the sweep ends once a completed trial reaches ≤ 0.3"), "\(outcome.stdout)")
        // The trials' drawn values, for people: at most four significant digits (the id says exactly which).
        let trials = lines.filter { $0.hasPrefix("  ") && $0.contains("learning_rate=") }
        #expect(trials.count == 5)
        for trial in trials {
            for setting in trial.split(separator: " ").filter({ $0.contains("=") }) {
                let value = String(setting.split(separator: "=")[1])
                #expect(DisplayNumber.significantDigits(value) <= 4, "\(trial)")
            }
        }
        // Parallelism 8 (the default) against run_cap 16: every trial is one of bayes's random start.
        #expect(lines.contains("note: bayes's proposal k learns only from trials before k − 8 (parallelism 8, the default): with "
                               + "run_cap 16, its last proposal learns from 7 trials, and it draws at random until it has learnt "
                               + "from 10, so every trial is a random draw; set parallelism to the number of workers you run, "
                               + "or raise run_cap"), "\(outcome.stdout)")
        // W&B's exponent form with bounds typed as values: a warning, not a refusal (the file runs).
        #expect(outcome.stderrLines == ["sweep: warning: people.yaml:6: parameters.weight_decay: log_uniform takes min and max as "
                                        + "natural-log exponents, so this gives values from 1 to 1.001; did you mean log_uniform_values?"])
        // With parallelism at the number of workers and a run_cap that leaves the model room, no note.
        scratch.write(scratch.text("people.yaml").replacingOccurrences(of: "run_cap: 16", with: "run_cap: 40\nparallelism: 2"),
                      to: "quiet.yaml")
        let quiet = try await SweepBinary.run(["check", "quiet.yaml"], directory: scratch.path)
        #expect(quiet.status == 0 && !quiet.stdout.contains("note:"), "\(quiet.stdout)")
    }
}

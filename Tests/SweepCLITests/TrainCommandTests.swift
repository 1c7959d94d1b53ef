import Foundation
import SweepCore
import SweepTestSupport
import Testing
import Training

/// `sweep train` through the real binary: output formats and every validation error.
@Suite("sweep train")
struct TrainCommandTests {
    static let small = ["--train-limit", "256", "--test-limit", "128", "--hidden", "16"]

    struct BadInput: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var mentions: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badInputs: [BadInput] = [
        BadInput(arguments: ["--learning-rate", "-1"], mentions: "--learning-rate must be greater than 0"),
        BadInput(arguments: ["--lr", "0"], mentions: "--learning-rate must be greater than 0"),
        BadInput(arguments: ["--lr", "fast"], mentions: "'fast' is invalid for '--lr"),
        BadInput(arguments: ["--momentum", "1"], mentions: "--momentum must be in [0, 1)"),
        BadInput(arguments: ["--nesterov"], mentions: "--nesterov needs a momentum greater than 0"),
        BadInput(arguments: ["--weight-decay", "-0.1"], mentions: "--weight-decay must be 0 or more"),
        BadInput(arguments: ["--l1", "-1"], mentions: "--l1 must be 0 or more"),
        BadInput(arguments: ["--max-norm", "-2"], mentions: "--max-norm must be 0 or more"),
        BadInput(arguments: ["--dropout", "1"], mentions: "--dropout must be in [0, 1)"),
        BadInput(arguments: ["--dropout", "-0.2"], mentions: "--dropout must be in [0, 1)"),
        BadInput(arguments: ["--augment", "sideways"], mentions: "'sideways' is invalid for '--augment"),
        BadInput(arguments: ["--hidden", "abc"], mentions: "'abc' is invalid for '--hidden"),
        BadInput(arguments: ["--hidden", "128,0"], mentions: "--hidden must be a comma-separated list of widths, each from 1 to 65536"),
        BadInput(arguments: ["--epochs", "0"], mentions: "--epochs must be from 1 to 100000"),
        BadInput(arguments: ["--batch-size", "0"], mentions: "--batch-size must be from 1 to 65536"),
        BadInput(arguments: ["--seed", "-3"], mentions: "--seed must be from 0 to 9007199254740991, got -3"),
        BadInput(arguments: ["--train-limit", "0"], mentions: "--train-limit must be from 1 to 2147483647, got 0"),
        BadInput(arguments: ["--test-limit", "-5"], mentions: "--test-limit must be from 1 to 2147483647, got -5"),
        BadInput(arguments: ["--bogus"], mentions: "Unknown option '--bogus'"),
        BadInput(arguments: ["--optimizer", "nadam"], mentions: "'nadam' is invalid for '--optimizer"),
        BadInput(arguments: ["--optimizer", "adam", "--momentum", "0.9"], mentions: "--momentum must be 0 with adam"),
        BadInput(arguments: ["--centered"], mentions: "--centered is an option of rmsprop only, not sgd"),
        BadInput(arguments: ["--distill-alpha", "0.5"], mentions: "--distill-alpha needs a teacher"),
        BadInput(arguments: ["--distill-alpha", "2"], mentions: "--distill-alpha must be in [0, 1], got 2.0"),
        BadInput(arguments: ["--distill-temperature", "0"], mentions: "--distill-temperature must be in [0.01, 1000]"),
    ]

    @Test(.timeLimit(.minutes(5))) func aMissingOrMismatchedTeacherIsOneLineAndExit65BeforeAnythingRuns() async throws {
        let scratch = Scratch()
        // A model of other shape: 20 inputs, not FashionMNIST's 784.
        var model = [UInt8](repeating: 0, count: 8)
        let header = Array(#"{"0.weight":{"dtype":"F32","shape":[10,20],"data_offsets":[0,800]},"0.bias":{"dtype":"F32","shape":[10],"data_offsets":[800,840]}}"#.utf8)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { model = Array($0) }
        model += header + [UInt8](repeating: 0, count: 840)
        FileManager.default.createFile(atPath: scratch.file("small.safetensors"), contents: Data(model))
        for (teacher, says) in [("missing.safetensors", "there is no file at that path"),
                                ("small.safetensors", "maps 20 inputs to 10 outputs")] {
            // The data directory does not exist: the teacher is checked first.
            let train = try await SweepBinary.run(["train", "--teacher", teacher, "--distill-alpha", "0.5", "--data", "/nonexistent"],
                                                  directory: scratch.path)
            #expect(train.status == ExitStatus.dataError && train.stderrLines.count == 1 && train.stderr.contains(says), "\(train.stderr)")
            scratch.write("name: d\nparameters:\n  teacher: {value: \(teacher)}\n  distill_alpha: {value: 0.5}\n", to: "d.yaml")
            for command in [["check", "d.yaml"], ["run", "d.yaml"]] {
                let outcome = try await SweepBinary.run(command, directory: scratch.path)
                #expect(outcome.status == ExitStatus.dataError && outcome.stderrLines.count == 1, "\(command): \(outcome.stderr)")
                #expect(outcome.stderr.contains("d.yaml:3: parameters.teacher: \(teacher): ") && outcome.stderr.contains(says))
            }
            #expect(!scratch.exists("Results"), "nothing ran")
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: badInputs)
    func invalidFlagsGetOneLineNamingTheFlagAndExit64(_ input: BadInput) async throws {
        // The data directory does not exist either: validation must come first.
        let outcome = try await SweepBinary.run(["train"] + input.arguments + ["--data", "/nonexistent"])
        #expect(outcome.status == ExitStatus.usage)
        #expect(outcome.stderrLines.count == 1, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("sweep: error: "))
        #expect(outcome.stderr.contains(input.mentions), "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    @Test(.timeLimit(.minutes(10))) func missingDataSaysWhereAndHowToGetIt() async throws {
        let outcome = try await SweepBinary.run(["train", "--data", "/nonexistent/fmnist"])
        #expect(outcome.status == ExitStatus.noInput)
        #expect(outcome.stderrLines.count == 1)
        #expect(outcome.stderr.contains("/nonexistent/fmnist"))
        #expect(outcome.stderr.contains("Scripts/setup"))
    }

    @Test(.timeLimit(.minutes(10))) func environmentVariablePointsAtTheData() async throws {
        let outcome = try await SweepBinary.run(["train"] + Self.small, environment: ["FASHION_MNIST_DIR": "/nonexistent/env"])
        #expect(outcome.status == ExitStatus.noInput)
        #expect(outcome.stderr.contains("/nonexistent/env"))
    }

    @Test(.timeLimit(.minutes(10))) func textOutputHasOneLinePerEpochAndASummary() async throws {
        let outcome = try await SweepBinary.run(["train", "--epochs", "3"] + Self.small)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("epoch ") }.count == 3)
        #expect(lines.contains { $0.hasPrefix("epoch 3/3  train_loss ") && $0.contains("test_accuracy") })
        #expect(lines.last?.hasPrefix("completed: final test_loss ") == true)
    }

    @Test(.timeLimit(.minutes(10))) func jsonOutputIsOneObjectPerEpochAndASummary() async throws {
        let outcome = try await SweepBinary.run(["train", "--json", "--epochs", "2", "--seed", "5", "--dropout", "0.4",
                                                 "--augment", "rotate_flip_vflip"] + Self.small)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let objects = try outcome.stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 3)
        #expect(objects[0]["epoch"] as? Int == 1 && objects[1]["epoch"] as? Int == 2)
        for key in ["train_loss", "test_loss", "test_accuracy", "seconds"] {
            #expect(objects[1][key] is Double, "\(key) missing")
        }
        let summary = objects[2]
        #expect(summary["status"] as? String == "completed")
        #expect(summary["final_test_loss"] as? Double == objects[1]["test_loss"] as? Double)
        #expect(summary["best_epoch"] as? Int != nil)

        // Same seed through another process: the same numbers to the last bit.
        let again = try await SweepBinary.run(["train", "--json", "--epochs", "2", "--seed", "5", "--dropout", "0.4",
                                               "--augment", "rotate_flip_vflip"] + Self.small)
        func losses(_ text: String) -> [Substring] {
            text.split(separator: "\n").map { $0.split(separator: ",").filter { !$0.contains("seconds") }.joined(separator: ",")[...] }
        }
        #expect(losses(again.stdout) == losses(outcome.stdout))
    }

    @Test(.timeLimit(.minutes(10))) func helpExplainsTheFlags() async throws {
        let outcome = try await SweepBinary.run(["train", "--help"])
        #expect(outcome.status == 0)
        for flag in ["--learning-rate", "--lr", "--momentum", "--nesterov", "--weight-decay", "--l1", "--max-norm",
                     "--dropout", "--augment", "--hidden", "--epochs", "--batch-size", "--seed", "--data",
                     "--train-limit", "--json", "rotate_flip_vflip"] {
            #expect(outcome.stdout.contains(flag), "help lacks \(flag)")
        }
    }

    /// The epoch lines of `--json` output without wall time, as text: what must repeat to the bit.
    static func epochFigures(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").filter { $0.hasPrefix("{\"epoch\":") }
            .map { $0.split(separator: ",").filter { !$0.hasPrefix("\"seconds\"") }.joined(separator: ",") }
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func ctrlCKeepsACheckpointAndResumeContinuesBitIdentically() async throws {
        let scratch = Scratch("sweep-train-resume")
        let flags = ["--json", "--epochs", "30", "--train-limit", "6000", "--test-limit", "500", "--hidden", "32,16",
                     "--momentum", "0.9", "--dropout", "0.3", "--augment", "rotate_flip_vflip", "--seed", "3"]
        let reference = try await SweepBinary.run(["train"] + flags)
        #expect(reference.status == 0, "stderr: \(reference.stderr)")
        let checkpoint = scratch.file("run.ckpt")
        let process = try SweepBinary.start(["train"] + flags + ["--checkpoint", checkpoint], directory: scratch.path)
        // The first checkpoint is written after epoch 1: then interrupt, as Ctrl-C would.
        #expect(await Processes.await(seconds: 120) { FileManager.default.fileExists(atPath: checkpoint) })
        kill(process.processIdentifier, SIGINT)
        try await process.waitForExit()
        #expect(process.terminationStatus == ExitStatus.interrupted)
        let log = scratch.text("stderr.log")
        let saved = try TrainingCheckpoint(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: checkpoint))))
        #expect(saved.epochs.count < 30, "the run finished before the interrupt: \(log)")

        let model = scratch.file("model.safetensors")
        let resumed = try await SweepBinary.run(["train", "--json", "--resume", checkpoint, "--save", model])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(Self.epochFigures(resumed.stdout).count == 30)
        #expect(Self.epochFigures(resumed.stdout) == Self.epochFigures(reference.stdout))

        // The weights load as nn.Sequential(Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear) expects.
        let (tensors, metadata) = try SafeTensors.decode(Array(try Data(contentsOf: URL(fileURLWithPath: model))))
        #expect(tensors.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"])
        #expect(tensors.map(\.shape) == [[32, 784], [32], [16, 32], [16], [10, 16], [10]])
        #expect(metadata["epochs"] == "30")
        // (Compared as text: JSONSerialization does not parse every Double back exactly.)
        let summary = String(resumed.stdout.split(separator: "\n").last!)
        let loss = try #require(summary.split(separator: ",").first { $0.hasPrefix("\"final_test_loss\":") })
        #expect(metadata["final_test_loss"] == String(loss.dropFirst("\"final_test_loss\":".count)))
    }

    @Test(.timeLimit(.minutes(10))) func aCorruptOrForeignCheckpointIsRefusedInOneLine() async throws {
        let scratch = Scratch("sweep-train-corrupt")
        let checkpoint = scratch.file("run.ckpt")
        let made = try await SweepBinary.run(["train", "--epochs", "2", "--checkpoint", checkpoint] + Self.small)
        #expect(made.status == 0, "stderr: \(made.stderr)")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        // Another configuration than the checkpoint's: refused, naming the difference.
        let foreign = try await SweepBinary.run(["train", "--resume", checkpoint, "--lr", "0.2"] + Self.small)
        #expect(foreign.status == ExitStatus.dataError)
        #expect(foreign.stderrLines.count == 1)
        #expect(foreign.stderr.contains("checkpoint is of another run: its learning_rate is 0.01, not 0.2"), "\(foreign.stderr)")
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: checkpoint))
        let corrupt = try await SweepBinary.run(["train", "--resume", checkpoint])
        #expect(corrupt.status == ExitStatus.dataError)
        #expect(corrupt.stderrLines.count == 1)
        #expect(corrupt.stderr.contains("\(checkpoint): checkpoint is corrupt: CRC-32"), "\(corrupt.stderr)")
        let missing = try await SweepBinary.run(["train", "--resume", scratch.file("absent.ckpt")])
        #expect(missing.status == ExitStatus.noInput)
        #expect(missing.stderrLines.count == 1)
    }
}

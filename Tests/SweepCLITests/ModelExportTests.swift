import Foundation
import SweepCore
import SweepTestSupport
import Sweeping
import Testing
import Training

/// Models to take away: the kept safetensors files load with the Python `safetensors` and `numpy`
/// packages and give the recorded test figures; `sweep export` replays a trial to the same bytes and
/// refuses when the replay's figures differ from the record.
@Suite("Models")
struct ModelExportTests {
    /// Two trials of a three-layer network with dropout (so the names skip the ReLU and Dropout
    /// modules: 0, 3, 6), tested on the whole test set.
    static let sweep = """
        name: models
        keep_models: 1
        parameters:
          learning_rate: {values: [0.05, 0.1]}
          momentum: {value: 0.9}
          dropout: {value: 0.2}
          hidden: {value: "64,32"}
          epochs: {value: 3}
          train_limit: {value: 3000}
        """

    /// The virtual environment `Scripts/test` makes (safetensors and numpy, no PyTorch).
    /// (Not standardized: that resolves the symlink, and Python finds its environment by the path it
    /// is started with.)
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/pyenv/bin/python")
    static let checker = root.appendingPathComponent("Scripts/check_model.py")

    @Test(.heavy, .timeLimit(.minutes(10))) func keptModelsLoadInNumpyAndExportReplaysThemExactly() async throws {
        let scratch = Scratch()
        scratch.write(Self.sweep, to: "models.yaml")
        let run = try await SweepBinary.run(["run", "models.yaml", "--workers", "2", "--results", "Results/models"], directory: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        let results = Results(scratch.file("Results/models"))
        #expect(results.trials.count == 2)
        // keep_models: 1 keeps the better of the two only.
        let best = try #require(results.trials.min { $0.metrics["final_test_loss"]! < $1.metrics["final_test_loss"]! })
        let models = try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results/models/models"))
        #expect(models == ["\(best.id).safetensors"])
        let model = scratch.file("Results/models/models/\(best.id).safetensors")

        // Python: safetensors + numpy, the whole test set through the network.
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            Issue.record("no \(Self.python.path): run Scripts/test, which installs safetensors and numpy into it")
            return
        }
        // Through env, which starts it by this very path.
        let python = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                                                 [Self.python.path, Self.checker.path, model, FashionMNIST.resolveDirectory(nil)])
        #expect(python.status == 0, "\(Self.python.path): \(python.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(figures["test_accuracy"] as? Double), loss = try #require(figures["test_loss"] as? Double)
        print("numpy: test_loss \(loss) (recorded \(best.metrics["final_test_loss"]!)), test_accuracy \(accuracy) (recorded \(best.metrics["final_test_accuracy"]!)) "
              + "on \(figures["images"] ?? "?") images")
        #expect(figures["images"] as? Int == 10_000)
        #expect(accuracy == best.metrics["final_test_accuracy"])
        #expect(abs(loss - best.metrics["final_test_loss"]!) <= 1e-5)

        // Replay gives the kept bytes; the kept file is copied without --replay.
        let replayed = try await SweepBinary.run(["export", String(best.id.prefix(8)), "--replay", "-o", "replayed.safetensors"],
                                                 directory: scratch.path)
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stderr.contains("identical to the record"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("replayed.safetensors"))) == Data(contentsOf: URL(fileURLWithPath: model)))
        // The other trial has no kept model: export replays it.
        let other = try #require(results.trials.first { $0.id != best.id })
        let exported = try await SweepBinary.run(["export", other.id, "--results", "Results/models"], directory: scratch.path)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("\(other.id).safetensors")))

        // A record the replay does not reproduce (here: edited by hand) is refused in one line, nothing written.
        let csv = scratch.file("Results/models/trials.csv")
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\(other.metrics["final_test_loss"]!)", with: "\(other.metrics["final_test_loss"]!.nextUp)")
        #expect(edited != text)
        try edited.write(toFile: csv, atomically: true, encoding: .utf8)
        let refused = try await SweepBinary.run(["export", other.id, "-o", "refused.safetensors"], directory: scratch.path)
        #expect(refused.status == ExitStatus.dataError)
        #expect(refused.stderrLines.filter { $0.contains("error:") }.count == 1)
        #expect(refused.stderr.contains("gives final_test_loss \(other.metrics["final_test_loss"]!) where \(other.metrics["final_test_loss"]!.nextUp) was recorded"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("refused.safetensors")))
        let unknown = try await SweepBinary.run(["export", "ffffffff"], directory: scratch.path)
        #expect(unknown.status == ExitStatus.noInput && unknown.stderrLines.count == 1)
    }
}

import Foundation
import SweepTestSupport
import Sweeping
import Testing
import Training

/// Checkpoints through the real binary, real workers and real FashionMNIST (small slices): a worker
/// SIGKILLed mid-trial and its trial resumed on another from a checkpoint of more than 1 MiB, pause
/// and promote in a hyperband sweep, and the best trials' weights kept as safetensors.
@Suite("Checkpoint sweeps")
struct CheckpointSweepTests {
    /// One trial of the 1024-512 model: its checkpoint (with momentum) is about 10.7 MB, 21 pieces
    /// each way; a checkpoint every second, so one lands within the first epoch or two.
    static let large = """
        name: large
        checkpoint_every: 1
        parameters:
          learning_rate: {value: 0.05}
          momentum: {value: 0.9}
          dropout: {value: 0.2}
          augment: {value: flip}
          hidden: {value: "1024,512"}
          epochs: {value: 8}
          train_limit: {value: 3000}
          test_limit: {value: 500}
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func aWorkerKilledMidTrialIsResumedElsewhereFromItsCheckpointWithIdenticalEpochs() async throws {
        let scratch = Scratch()
        scratch.write(Self.large, to: "large.yaml")
        let reference = try await SweepBinary.run(["run", "large.yaml", "--workers", "1", "--results", "reference"], directory: scratch.path)
        #expect(reference.status == 0, "\(reference.stderr)")

        // Beats every 500 ms, but ten seconds of silence before either side gives up: a debug worker
        // encoding a 10 MB checkpoint on a loaded machine is silent for seconds, and with 1.5 s the
        // two gave up on each other again and again (a reconnect after the final weights went out
        // then left the trial without its kept model). The kill is still noticed within the ten seconds.
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["large.yaml", "--results", "killed", "--bind", "tcp://127.0.0.1:*", "--heartbeat-ms", "500", "--liveness", "20"],
            scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let first = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "first"], directory: scratch.path, log: "w1-")
        // Kill it once a checkpoint after at least one epoch is stored and before the trial ends.
        let folder = scratch.file("killed/checkpoints")
        var stored: TrainingCheckpoint?
        #expect(await Processes.await(seconds: 300) {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".ckpt") } ?? []
            guard let name = files.first, let data = FileManager.default.contents(atPath: folder + "/" + name),
                  let checkpoint = try? TrainingCheckpoint(decoding: Array(data)), checkpoint.epochs.count >= 1 else { return false }
            stored = checkpoint
            return true
        }, "no checkpoint was stored: \(scratch.text("c-stderr.log"))")
        kill(first.processIdentifier, SIGKILL)
        try await first.waitForExit()
        let checkpoint = try #require(stored)
        let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + checkpoint.config.trialID + ".ckpt")[.size] as? Int) ?? 0
        #expect(size > 1 << 20, "the checkpoint should need several pieces: \(size) bytes")
        #expect(checkpoint.epochs.count < 8, "the trial finished before the kill")

        let second = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "second"], directory: scratch.path, log: "w2-")
        try await coordinator.waitForExit()
        #expect(coordinator.terminationStatus == 0, "\(scratch.text("c-stderr.log"))")
        try await second.waitForExit()
        // The second worker took the trial from the checkpoint (or a later one), not from scratch.
        #expect(scratch.text("w2-stderr.log").contains("from its checkpoint after epoch"), "\(scratch.text("w2-stderr.log"))")
        #expect(scratch.text("c-stderr.log").contains("from its checkpoint after epoch"))

        let killed = Results(scratch.file("killed")), clean = Results(scratch.file("reference"))
        #expect(killed.outcomes == clean.outcomes)
        #expect(killed.epochFigures == clean.epochFigures)
        let record = try #require(killed.trials.first)
        let trained = try #require(record.epochsTrained)
        print("killed after \(checkpoint.epochs.count) checkpointed epochs (\(size) bytes); epochs_trained \(trained), epochs_run \(record.epochsRun)")
        // What the kill cost: the epochs after the last checkpoint, never the whole trial again.
        #expect(trained >= 8 && trained < 8 + checkpoint.epochs.count + 2, "epochs_trained \(trained)")
        // The trial is done: its checkpoint is gone, its final weights are kept (one of the best five).
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".ckpt") } == [])
        let model = scratch.file("killed/models/\(record.id).safetensors")
        #expect(FileManager.default.fileExists(atPath: model), "\(scratch.text("c-stderr.log"))\n\(scratch.text("w2-stderr.log"))")
        let (tensors, metadata) = try SafeTensors.decode(Array(try Data(contentsOf: URL(fileURLWithPath: model))))
        #expect(tensors.map(\.shape) == [[1024, 784], [1024], [512, 1024], [512], [10, 512], [10]])
        #expect(metadata["final_test_loss"] == record.metrics["final_test_loss"].map { "\($0)" })
    }

    /// A slow trial (512 wide) beside fast ones (16 wide): the fast trial after it reaches each rung
    /// first, when its decision needs the slow one's value there, so it pauses, frees its worker, and
    /// is promoted later from its checkpoint.
    static let uneven = """
        name: uneven
        early_terminate: {type: hyperband, min_iter: 1, eta: 2}
        parameters:
          learning_rate: {values: [0.02, 0.1, 0.3]}
          hidden: {values: ["512", "16"]}
          epochs: {value: 4}
          train_limit: {value: 3000}
          test_limit: {value: 300}
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func aHyperbandSweepPausesAndPromotesTrialsAndRecordsWhatOneWorkerRecords() async throws {
        let scratch = Scratch()
        scratch.write(Self.uneven, to: "uneven.yaml")
        let one = try await SweepBinary.run(["run", "uneven.yaml", "--workers", "1", "--results", "one"], directory: scratch.path)
        #expect(one.status == 0, "\(one.stderr)")
        let two = try await SweepBinary.run(["run", "uneven.yaml", "--workers", "2", "--results", "two"], directory: scratch.path)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(!one.stderr.contains("paused"), "one worker never waits for an earlier trial")
        #expect(two.stderr.contains("paused at rung"), "\(two.stderr)")
        #expect(two.stderr.contains("continues from its checkpoint") || two.stderr.contains("stopped"), "\(two.stderr)")
        #expect(two.stderr.contains("resumes on"), "no paused trial was continued: \(two.stderr)")
        let a = Results(scratch.file("one")), b = Results(scratch.file("two"))
        #expect(a.trials.count == 6)
        #expect(a.outcomes == b.outcomes)
        #expect(a.epochFigures == b.epochFigures)
        // Paused trials repeat no epoch: each trial's epochs were computed once.
        for record in b.trials { #expect(record.epochsTrained == record.epochsRun, "\(record.id)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("two/checkpoints")).isEmpty)
        let models = try FileManager.default.contentsOfDirectory(atPath: scratch.file("two/models"))
        #expect(Set(models) == Set(try FileManager.default.contentsOfDirectory(atPath: scratch.file("one/models"))))
        print("uneven: \(b.trials.filter { $0.status == .stopped }.count) of 6 stopped; models kept: \(models.count)")
    }
}

import ArgumentParser
import Foundation
import Sweeping
import SystemCalls
import Training
import SweepCore
import ResultsStore
import SweepFiles

/// `sweep export`: a recorded trial's weights as safetensors, by deterministic replay.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a recorded trial's final weights as safetensors, by training it again from its configuration and seed.",
        discussion: """
            Training is deterministic, so replaying a trial gives the weights it ended with. The replay's \
            final train_loss, test_loss and test_accuracy must equal the recorded ones to the last bit, or \
            nothing is written (another CPU kernel or build can round differently). A stopped trial is \
            replayed to the rung it stopped at. With a model kept by the sweep (models/TRIAL.safetensors, \
            see keep_models) that file is copied unless --replay is given. Load the file in PyTorch with \
            nn.Sequential(Linear, ReLU, Dropout, …, Linear).load_state_dict(safetensors.torch.load_file(FILE)).
            """)

    @Argument(help: ArgumentHelp("The trial's id (or a unique prefix of it, at least 4 characters).", valueName: "trial"))
    var trial: String

    @Option(help: ArgumentHelp("Results directory holding the trial (default: the one under Results/ that does).",
                               valueName: "dir"))
    var results: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write (default: TRIAL.safetensors).",
                                                                      valueName: "file"))
    var output: String?

    @Flag(help: "Replay even when the sweep kept the model.")
    var replay = false

    @Option(help: ArgumentHelp("FashionMNIST directory (default: $FASHION_MNIST_DIR or \(FashionMNIST.defaultDirectory)).",
                               valueName: "dir"))
    var data: String?

    func validate() throws {
        guard trial.count >= 4, trial.allSatisfy(\.isHexDigit) else {
            throw ValidationError("TRIAL must be a trial id (hex digits, at least 4 of them), got '\(trial)'")
        }
    }

    func run() throws {
        let (directory, record) = try find()
        guard let config = record.point.trainingConfig else {
            throw RunFailure("trial \(record.id) ran a program, which keeps its own weights (in its $SWEEP_TRIAL_DIR on the "
                             + "worker); sweep export makes models of the built-in trainer", code: ExitStatus.dataError)
        }
        let path = output ?? "\(record.id).safetensors"
        let kept = CheckpointStore(directory: directory).modelPath(record.id)
        if !replay, let bytes = try? FileDescriptor(path: kept, flags: O_RDONLY).readAll() {
            try write(bytes, to: path)
            say("wrote \(path): the model the sweep kept (\(kept))")
            return
        }
        guard record.status != .failed, record.epochsRun > 0 else {
            throw RunFailure("trial \(record.id) \(record.status == .failed ? "failed" : "ran no epoch"); it has no weights to export",
                             code: ExitStatus.dataError)
        }
        // A stretch of population-based training is replayed with its whole chain, stretch by stretch.
        var stretches = [config]
        if record.point.lineage != nil {
            let records = try ResultStore.readTrials(directory + "/trials.csv", layout: RecordLayout(stored: SweepSpec.stored(in: directory)))
            guard let chain = MemberSchedule.chain(ending: record, byID: Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }))
            else {
                throw RunFailure("trial \(record.id) continues stretches that \(directory)/trials.csv does not all hold; it cannot be replayed",
                                 code: ExitStatus.dataError)
            }
            stretches = chain.configs
        }
        let dataset = try FashionMNIST.load(directory: data)
        let epochs = record.epochsRun
        say("replaying trial \(record.id) for \(epochs) epoch\(epochs == 1 ? "" : "s")"
            + (stretches.count > 1 ? " in \(stretches.count) stretches (its schedule)" : ""))
        Interrupts.install()
        var done = 0
        let (trainer, result): (Trainer, TrainingResult)
        do {
            (trainer, result) = try ScheduleReplay.run(stretches, data: dataset, onEpoch: { metrics in
                done += 1
                say("epoch \(metrics.epoch)/\(epochs): test_loss \(metrics.testLoss)")
            }, tick: { Interrupts.caught == nil && done < epochs })
        } catch {
            throw RunFailure("trial \(record.id): \(error)", code: ExitStatus.dataError)
        }
        if Interrupts.caught != nil { throw ExitCode(ExitStatus.interrupted) }
        guard let final = result.epochs.last, result.epochs.count == epochs else {
            throw RunFailure("the replay of trial \(record.id) ran \(result.epochs.count) epochs where \(epochs) were recorded; nothing written",
                             code: ExitStatus.dataError)
        }
        let pairs: [(String, Double, Double?)] = [("final_train_loss", final.trainLoss, record.metrics["final_train_loss"]),
                                                   ("final_test_loss", final.testLoss, record.metrics["final_test_loss"]),
                                                   ("final_test_accuracy", final.testAccuracy, record.metrics["final_test_accuracy"])]
        for (name, replayed, recorded) in pairs where recorded.map({ $0.bitPattern != replayed.bitPattern && !($0.isNaN && replayed.isNaN) }) ?? true {
            throw RunFailure("the replay of trial \(record.id) gives \(name) \(replayed) where \(recorded.map { "\($0)" } ?? "nothing") "
                             + "was recorded (another CPU kernel or build?); nothing written", code: ExitStatus.dataError)
        }
        try write(SafeTensors.encode(trainer.checkpoint()), to: path)
        say("wrote \(path): trial \(record.id) replayed, its final figures identical to the record")
    }

    /// The results directory and the record of the trial.
    private func find() throws -> (String, TrialRecord) {
        var directories: [String] = []
        if let results {
            guard Directory.exists(results + "/trials.csv") else {
                throw RunFailure("\(results) has no trials.csv; give a results directory such as Results/quickstart",
                                 code: ExitStatus.noInput)
            }
            directories = [results]
        } else {
            directories = ((try? Directory.list("Results")) ?? []).map { "Results/" + $0 }.filter { Directory.exists($0 + "/trials.csv") }
        }
        var found: [(String, TrialRecord)] = []
        for directory in directories {
            let layout = RecordLayout(stored: SweepSpec.stored(in: directory))
            let records = (try? ResultStore.readTrials(directory + "/trials.csv", layout: layout)) ?? []
            found += records.filter { $0.id.hasPrefix(trial.lowercased()) }.map { (directory, $0) }
        }
        guard !found.isEmpty else {
            throw RunFailure("no recorded trial \(trial) in \(results ?? "Results/*"); sweep rank lists the trials",
                             code: ExitStatus.noInput)
        }
        guard Set(found.map(\.1.id)).count == 1 else {
            throw RunFailure("\(trial) matches \(found.count) trials (\(found.prefix(4).map(\.1.id).joined(separator: ", "))); give more of the id",
                             code: ExitStatus.usage)
        }
        return found[0]
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Directory.replace(path, with: bytes)
        } catch {
            throw RunFailure("cannot write \(error)", code: error.operation == "open" ? ExitStatus.cannotCreate : ExitStatus.ioError)
        }
    }
}

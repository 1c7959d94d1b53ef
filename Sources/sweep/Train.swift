import ArgumentParser
import Foundation
import SystemCalls
import Training
import SweepCore

/// `sweep train`: one configuration, one line per epoch.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one configuration and print its per-epoch metrics.",
        discussion: """
            Prints one line per epoch (train_loss is the mean of the epoch's minibatch losses; test_loss \
            and test_accuracy are over the test set), then a summary. A NaN or infinite loss stops the run \
            with status 'diverged'. Example: sweep train --lr 0.1 --momentum 0.9 --dropout 0.4 --epochs 30
            --checkpoint FILE keeps the whole training state in FILE after every epoch and on Ctrl-C; \
            --resume FILE continues such a run bit-identically (its configuration comes from the file). \
            --save FILE writes the final weights as safetensors, loadable into PyTorch's \
            nn.Sequential(Linear, ReLU, Dropout, …, Linear) with load_state_dict. \
            --schedule FILE trains a schedule that population-based training found (sweep rank --json of a \
            method: pbt sweep, or one of its rows): each stretch's values up to its epoch, from scratch, giving \
            the sweep's figures for that member to the bit.
            """)

    @OptionGroup(title: "Hyperparameters")
    var options: TrainingOptions

    @Option(help: ArgumentHelp("Directory with the four FashionMNIST IDX .gz files "
                               + "(default: $FASHION_MNIST_DIR or \(FashionMNIST.defaultDirectory)).",
                               valueName: "dir"))
    var data: String?

    @Flag(help: "Print one JSON object per epoch and a final summary object instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Write the final weights here as safetensors.", valueName: "file"))
    var save: String?

    @Option(help: ArgumentHelp("Keep a checkpoint of the whole training state here, replaced after every epoch and on Ctrl-C.",
                               valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Continue the run a checkpoint file holds (hyperparameter flags, if given, must match it).",
                               valueName: "file"))
    var resume: String?

    @Option(help: ArgumentHelp("Train the schedule in this file (what sweep rank --json prints for a method: pbt sweep) "
                               + "instead of one configuration.", valueName: "file"))
    var schedule: String?

    func validate() throws {
        if schedule != nil {
            if resume != nil || checkpoint != nil { throw ValidationError("--schedule trains from scratch; give it without --resume and --checkpoint") }
            if options.config != TrainingConfig() { throw ValidationError("--schedule takes its values from the file; give it without hyperparameter flags") }
        }
    }

    func run() throws {
        if let schedule { return try train(schedule: schedule) }
        if let teacher = options.config.teacher {
            // A bad teacher is bad data: one line and exit 65, before any data is loaded.
            do {
                _ = try TeacherModel(path: teacher)
            } catch {
                throw RunFailure(error.flagDescription, code: ExitStatus.dataError)
            }
        }
        let dataset = try FashionMNIST.load(directory: data)
        let trainer: Trainer
        if let resume {
            let bytes: [UInt8]
            do {
                bytes = try FileDescriptor(path: resume, flags: O_RDONLY).readAll()
            } catch {
                throw RunFailure("cannot read \(error)", code: ExitStatus.noInput)
            }
            do {
                // Flags left at their defaults say nothing; any given must agree with the checkpoint.
                let given = options.config == TrainingConfig() ? nil : options.config
                trainer = try Trainer(resuming: TrainingCheckpoint(decoding: bytes), config: given, data: dataset)
            } catch {
                throw RunFailure("\(resume): \(error)", code: ExitStatus.dataError)
            }
        } else {
            trainer = try Trainer(config: options.config, data: dataset)
        }
        let config = trainer.config
        let output = EpochPrinter(json: json, epochs: config.epochs)
        if !json {
            output.line("training \(config.hidden.map(String.init).joined(separator: "-")) MLP on "
                        + "\(config.trainLimit.map { min($0, dataset.train.count) } ?? dataset.train.count) images, testing on "
                        + "\(config.testLimit.map { min($0, dataset.test.count) } ?? dataset.test.count); \(config.summary)")
            if let resume { output.line("resuming from \(resume) at epoch \(trainer.epoch) of \(config.epochs)") }
        }
        for metrics in trainer.epochs { output.epoch(metrics) }
        if checkpoint != nil || save != nil { try check(writable: [checkpoint, save].compactMap { $0 }) }
        Interrupts.install()
        let result = trainer.run(onEpoch: { metrics in
            output.epoch(metrics)
            if let checkpoint { write(trainer.checkpoint().encoded(), to: checkpoint) }
        }, tick: { Interrupts.caught == nil })
        if Interrupts.caught != nil {
            if let checkpoint {
                write(trainer.checkpoint().encoded(), to: checkpoint)
                FileHandle.standardError.write(Data("sweep: interrupted; continue with --resume \(checkpoint)\n".utf8))
            }
            throw ExitCode(ExitStatus.interrupted)
        }
        output.summary(result)
        if let save {
            write(SafeTensors.encode(trainer.checkpoint()), to: save)
        }
    }

    /// `--schedule`: the file's stretches, one after another, printed as one run.
    private func train(schedule path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try FileDescriptor(path: path, flags: O_RDONLY).readAll()
        } catch {
            throw RunFailure("cannot read \(error)", code: ExitStatus.noInput)
        }
        let stretches: [TrainingConfig]
        do {
            stretches = try ScheduleFile.stretches(from: Data(bytes))
            try ScheduleReplay.check(stretches)
        } catch {
            throw RunFailure("\(path): \(error)", code: ExitStatus.dataError)
        }
        if let save { try check(writable: [save]) }
        let dataset = try FashionMNIST.load(directory: data)
        let last = stretches[stretches.count - 1]
        let output = EpochPrinter(json: json, epochs: last.epochs)
        if !json {
            output.line("training a schedule of \(stretches.count) stretches, \(last.epochs) epochs, \(last.hidden.map(String.init).joined(separator: "-")) MLP")
            // Each stretch's values that differ from the one before's (the first's from the defaults).
            var before = TrainingConfig()
            for config in stretches {
                let changed = Hyperparameter.allCases.filter { $0 != .epochs && config[$0] != before[$0] }
                output.line("  to epoch \(config.epochs): "
                            + (changed.isEmpty ? "as before" : changed.map { "\($0.rawValue)=\(config[$0])" }.joined(separator: " ")))
                before = config
            }
        }
        Interrupts.install()
        let (trainer, result) = try ScheduleReplay.run(stretches, data: dataset, onEpoch: { output.epoch($0) },
                                                       tick: { Interrupts.caught == nil })
        if Interrupts.caught != nil { throw ExitCode(ExitStatus.interrupted) }
        output.summary(result)
        if let save { write(SafeTensors.encode(trainer.checkpoint()), to: save) }
    }

    /// Fails now, not after an hour of training, if an output file cannot be created.
    private func check(writable paths: [String]) throws {
        for path in paths {
            let slash = path.lastIndex(of: "/")
            let directory = slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
            guard access(directory, W_OK) == 0 else {
                throw RunFailure("cannot write \(path): \(String(cString: strerror(errno)))", code: ExitStatus.cannotCreate)
            }
        }
    }

    private func write(_ bytes: [UInt8], to path: String) {
        do {
            try Directory.replace(path, with: bytes)
        } catch {
            Sweep.fail("cannot write \(error)", code: ExitStatus.ioError)
        }
    }
}

extension TrainingConfig {
    /// Every hyperparameter as `key=value` (the data limits only when set), for humans.
    var summary: String {
        Hyperparameter.allCases.filter { $0 != .hidden && self[$0] != .unset }
            .map { "\($0.rawValue)=\(self[$0])" }.joined(separator: " ")
    }
}

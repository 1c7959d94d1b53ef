import Foundation
import SweepCore
import SweepTestSupport
import Sweeping
import Testing
import Training
import ResultsStore
import SweepFiles

/// Hostile input and hostile circumstances through the real binary: files checked before they run, two
/// coordinators on one folder, a full disk, a corrupt row, failed trials retried, a 10¹⁰-point grid.
@Suite("Hostile input")
struct HostileInputTests {
    /// Twelve quick trials.
    static let twelve = """
        name: twelve
        parameters:
          learning_rate: {values: [0.01, 0.05, 0.1]}
          momentum: {values: [0.0, 0.5, 0.9, 0.95]}
          hidden: {value: "16"}
          epochs: {value: 2}
          train_limit: {value: 1000}
          test_limit: {value: 200}
        """

    // MARK: - sweep check

    @Test(.timeLimit(.minutes(2))) func checkShowsTheMethodTheCountAndTheFirstTrialsAndTouchesNothing() async throws {
        let scratch = Scratch()
        scratch.write(Self.twelve, to: "twelve.yaml")
        let outcome = try await SweepBinary.run(["check", "twelve.yaml"], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.first == "twelve.yaml: ok")
        #expect(lines.contains("method: grid, 12 trials (3 × 4 × 1 × 1 × 1 × 1)"))
        #expect(lines.contains("first 5 trials, numbered from 0:"))
        let spec = try SweepSpec(yaml: Self.twelve, file: "twelve.yaml")
        for (index, trial) in spec.space.prefix(5).enumerated() {
            #expect(lines.contains { $0.hasPrefix("  \(index)  \(trial.id)  learning_rate=") })
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["twelve.yaml"])

        scratch.write("parameters:\n  dropout: {values: [0.1], min: 0}\n", to: "bad.yaml")
        let bad = try await SweepBinary.run(["check", "bad.yaml"], directory: scratch.path)
        #expect(bad.status == ExitStatus.dataError)
        #expect(bad.stderrLines == ["sweep: error: bad.yaml:2: parameters.dropout.min: does not belong to a categorical parameter (it takes values)"])
        #expect(bad.stdout.isEmpty)
    }

    @Test(.timeLimit(.minutes(3))) func fuzzedFilesThroughTheBinaryExitZeroOr65WithALinePerMistake() async throws {
        let scratch = Scratch()
        var fuzzer = SweepFileFuzzer(seed: 8)
        var statuses: [Int32: Int] = [:]
        for number in 0..<40 {
            scratch.write(fuzzer.next(), to: "f\(number).yaml")
            let outcome = try await SweepBinary.run(["check", "f\(number).yaml", "--show", "2"], directory: scratch.path)
            statuses[outcome.status, default: 0] += 1
            #expect(outcome.status == 0 || outcome.status == ExitStatus.dataError, "f\(number).yaml: \(outcome.status) \(outcome.stderr)")
            if outcome.status == ExitStatus.dataError {
                let lines = outcome.stderrLines
                #expect((1...SpecError.mostShown + 1).contains(lines.count), "\(outcome.stderr)")
                #expect(lines.allSatisfy { $0.hasPrefix("sweep: error: f\(number).yaml") || $0.hasPrefix("sweep: error: … and ") },
                        "\(outcome.stderr)")
            }
        }
        print("sweep check on 40 fuzzed files: exit codes \(statuses)")
        #expect(!scratch.exists("Results"))
    }

    // MARK: - One coordinator per results folder

    @Test(.heavy, .timeLimit(.minutes(10))) func twoRunsOnOneFolderAtOnceRecordEachTrialOnceAndTheLoserExits75() async throws {
        let scratch = Scratch()
        scratch.write(Self.twelve, to: "twelve.yaml")
        let first = try SweepBinary.start(["run", "twelve.yaml", "--workers", "2"], directory: scratch.path, log: "a-")
        let second = try SweepBinary.start(["run", "twelve.yaml", "--workers", "2"], directory: scratch.path, log: "b-")
        try await first.waitForExit()
        try await second.waitForExit()
        let statuses = [first.terminationStatus, second.terminationStatus].sorted()
        let loser = first.terminationStatus == ExitStatus.busy ? "a-" : "b-"
        let winner = first.terminationStatus == ExitStatus.busy ? second : first
        let trials = Results(scratch.file("Results/twelve")).trials
        print("two concurrent runs: exit codes \(statuses), \(scratch.rows("Results/twelve/trials.csv").count) rows, "
              + "\(Set(trials.map(\.id)).count) unique ids")
        #expect(statuses == [0, ExitStatus.busy])
        let refusal = scratch.text(loser + "stderr.log")
        let expected: String = "sweep: error: Results/twelve is in use by another sweep (pid \(winner.processIdentifier) on "
            + "\(ProcessInfo.processInfo.hostName)); only one coordinator writes a results directory: wait for it, "
            + "stop it, or give --results another directory"
        let errors = refusal.split(separator: "\n").filter { $0.contains("error") }.map(String.init)
        #expect(errors == [expected], "\(refusal)")
        #expect(scratch.rows("Results/twelve/trials.csv").count == 12)
        #expect(Set(trials.map(\.id)).count == 12)
        #expect(scratch.rows("Results/twelve/epochs.csv").count == 24)
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func aCoordinatorIsRefusedWhileARunHoldsTheFolderAndADeadHolderNeverBlocks() async throws {
        let scratch = Scratch()
        // No checkpoints and no kept models: the holder's own new files (checkpoints/, models/) would
        // otherwise show up in the listing that proves the refused commands changed nothing.
        scratch.write("checkpoint_every: 0\nkeep_models: 0\n"
                      + Self.twelve.replacingOccurrences(of: "epochs: {value: 2}", with: "epochs: {value: 40}"), to: "twelve.yaml")
        let holder = try SweepBinary.start(["run", "twelve.yaml", "--workers", "1"], directory: scratch.path, log: "h-")
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        // Running: its coordinator reachable and its first trial started (the timeline begun).
        #expect(await Processes.await(seconds: 60) {
            scratch.exists("Results/twelve/coordinator.json") && scratch.exists("Results/twelve/timeline.csv")
        })
        let before = try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results/twelve")).sorted()
        let trialsBefore = scratch.text("Results/twelve/trials.csv")
        let refused = try await SweepBinary.run(["coordinator", "twelve.yaml", "--bind", "tcp://127.0.0.1:*"], directory: scratch.path)
        #expect(refused.status == ExitStatus.busy)
        #expect(refused.stderrLines.count == 1)
        #expect(refused.stderr.contains("is in use by another sweep (pid \(holder.processIdentifier) on "))
        // --fresh may not move a folder another coordinator is writing.
        let fresh = try await SweepBinary.run(["run", "twelve.yaml", "--fresh"], directory: scratch.path)
        #expect(fresh.status == ExitStatus.busy)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results")) == ["twelve"])
        // Readers need no lock.
        #expect(try await SweepBinary.run(["status", "Results/twelve", "--once"], directory: scratch.path).status == 0)
        #expect(try await SweepBinary.run(["rank", "Results/twelve"], directory: scratch.path).status == 0)
        // The refused ones changed nothing.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results/twelve")).sorted() == before)
        #expect(scratch.text("Results/twelve/trials.csv").hasPrefix(trialsBefore))

        // A holder killed outright leaves its lock file, but not its lock: the next run goes ahead.
        Processes.killWithChildren(holder.processIdentifier)
        try await holder.waitForExit()
        #expect(scratch.exists("Results/twelve/lock"))
        let next = try SweepBinary.start(["coordinator", "twelve.yaml", "--bind", "tcp://127.0.0.1:*"], directory: scratch.path,
                                         log: "n-")
        defer { if next.isRunning { kill(next.processIdentifier, SIGKILL) } }
        #expect(await Processes.await(seconds: 60) { scratch.text("n-stderr.log").contains("listening on") }, "\(scratch.text("n-stderr.log"))")
    }

    // MARK: - Records are never deleted

    @Test(.heavy, .timeLimit(.minutes(10))) func aCorruptRowIsQuarantinedAndOnlyItsTrialRunsAgain() async throws {
        let scratch = Scratch()
        let sweep = Self.twelve.replacingOccurrences(of: "[0.01, 0.05, 0.1]", with: "[0.01]")
        scratch.write(sweep, to: "twelve.yaml")
        #expect(try await SweepBinary.run(["run", "twelve.yaml", "--workers", "2"], directory: scratch.path).status == 0)
        var lines = scratch.text("Results/twelve/trials.csv").split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        let offset = lines[0...1].map { $0.utf8.count + 1 }.reduce(0, +)
        let victim = String(lines[2].prefix(16))
        let original = lines[2]
        lines[2] = original.replacingOccurrences(of: ",completed,", with: ",compl\u{7}eted,")
        scratch.write(lines.joined(separator: "\n") + "\n", to: "Results/twelve/trials.csv")

        let rerun = try await SweepBinary.run(["run", "twelve.yaml", "--workers", "2"], directory: scratch.path)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("sweep: warning: Results/twelve/trials.csv:3: moved a row (byte \(offset)) to trials.quarantine.csv"),
                "\(rerun.stderr)")
        #expect(rerun.stderr.contains("4 trials, 3 already recorded"))
        // The rows before and after are kept as they were; the damaged trial ran again, once.
        let after = scratch.text("Results/twelve/trials.csv").split(separator: "\n").map(String.init)
        #expect(after.count == 5)
        #expect(Array(after[0...1]) == Array(lines[0...1]) && Array(after[2...3]) == Array(lines[3...4]))
        #expect(after[4].hasPrefix(victim) && after[4].contains(",completed,"))
        let quarantine = scratch.rows("Results/twelve/trials.quarantine.csv")
        #expect(quarantine.count == 1)
        let first = try #require(quarantine.first)
        let entry = try #require(CSV.fields(first))
        #expect(entry[0] == "3" && entry[1] == "\(offset)" && entry[3] == lines[2])
        // Its earlier epoch rows were set aside too; the rerun wrote them again.
        #expect(scratch.rows("Results/twelve/epochs.quarantine.csv").count == 2)
        #expect(Results(scratch.file("Results/twelve")).epochs.values.allSatisfy { $0.map(\.epoch) == [1, 2] })
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func retryFailedRunsFailedTrialsAgainAndKeepsTheirRowsInFailedCSV() async throws {
        let scratch = Scratch()
        let sweep = Self.twelve.replacingOccurrences(of: "[0.01, 0.05, 0.1]", with: "[0.01]")
        scratch.write(sweep, to: "twelve.yaml")
        #expect(try await SweepBinary.run(["run", "twelve.yaml", "--workers", "2"], directory: scratch.path).status == 0)
        // Trial 2 is recorded as failed, as the coordinator records a trial that took down its workers.
        let records = Results(scratch.file("Results/twelve")).trials
        let failed = TrialRecord(failed: Trial(config: records[1].config), reason: "took down 3 workers in a row (last: w)",
                                 attempts: 3, worker: "w", host: "h", layout: .trainer)
        let rows = [CSV.line(RecordLayout.trainer.columns)] + records.enumerated().map { CSV.line($0.offset == 1 ? failed.fields : $0.element.fields) }
        scratch.write(rows.joined(), to: "Results/twelve/trials.csv")
        let epochs = scratch.text("Results/twelve/epochs.csv").split(separator: "\n").filter { !$0.hasPrefix(failed.id) }
        scratch.write(epochs.joined(separator: "\n") + "\n", to: "Results/twelve/epochs.csv")

        let plain = try await SweepBinary.run(["run", "twelve.yaml"], directory: scratch.path)
        #expect(plain.status == 0)
        #expect(plain.stderr.contains("4 trials, 4 already recorded"))
        let retried = try await SweepBinary.run(["run", "twelve.yaml", "--retry-failed", "--workers", "1"], directory: scratch.path)
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(retried.stderr.contains("retrying 1 failed trials; their earlier rows are in failed.csv"))
        let after = Results(scratch.file("Results/twelve")).trials
        #expect(after.count == 4 && Set(after.map(\.id)).count == 4)
        #expect(after.allSatisfy { $0.status == .completed })
        #expect(scratch.text("Results/twelve/failed.csv") == CSV.line(RecordLayout.trainer.columns) + CSV.line(failed.fields))
    }

    /// `--results` on a tmpfs the test mounts, nearly full: the coordinator hits ENOSPC mid-sweep.
    @Test(.heavy, .timeLimit(.minutes(10)), .enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func aFullDiskEndsTheRunWith74AndLeavesNoTornRow() async throws {
        let scratch = Scratch()
        // No kept models: this is about the CSVs meeting a full disk (a checkpoint meeting one ends the
        // run the same way, before anything it follows is acknowledged).
        scratch.write(Self.twelve.replacingOccurrences(of: "epochs: {value: 2}", with: "epochs: {value: 12}") + "\nkeep_models: 0\n",
                      to: "twelve.yaml")
        let disk = scratch.file("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mount = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk])
        #expect(mount.status == 0, "\(mount.stderr)")
        // Unmounted however the test ends, before its scratch folder goes.
        try await withCleanup {
            // Leave six pages: the lock, sweep.json, sweep.yaml, trials.csv, epochs.csv and coordinator.json
            // take one each, so the first file to grow past its page meets a full disk.
            var info = statvfs()
            statvfs(disk, &info)
            let free = Int(info.f_bavail) * Int(info.f_bsize)
            let filler = disk + "/filler"
            FileManager.default.createFile(atPath: filler, contents: Data(count: free - 6 * 4096))

            let results = disk + "/twelve"
            let full = try await SweepBinary.run(["run", "twelve.yaml", "--results", results, "--workers", "2"], directory: scratch.path)
            let rowsBefore = ((try? String(contentsOfFile: results + "/trials.csv", encoding: .utf8)) ?? "").split(separator: "\n").count - 1
            print("full disk: exit \(full.status) after \(rowsBefore) trials were recorded")
            #expect(full.status == ExitStatus.ioError, "\(full.stderr)")
            #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
            #expect(full.stderrLines.filter { $0.contains("error:") }.count == 1)
            // No reader ever sees half a row: both files end at a row's end, every row parses, and every
            // recorded trial has all twelve of its epochs.
            for file in ["trials.csv", "epochs.csv"] {
                let text = try String(contentsOfFile: results + "/" + file, encoding: .utf8)
                #expect(text.hasSuffix("\n"), "\(file) ends in the middle of a row")
            }
            var warnings: [String] = []
            let recorded = try ResultStore.readTrials(results + "/trials.csv", layout: .trainer) { warnings.append($0) }
            #expect(warnings.isEmpty, "\(warnings)")
            let epochs = ResultStore.readEpochs(results + "/epochs.csv", layout: .trainer)
            #expect(recorded.count >= 1 && recorded.count < 12, "the disk must fill in the middle of the sweep")
            #expect(Set(epochs.keys) == Set(recorded.map(\.id)))
            #expect(epochs.values.allSatisfy { $0.count == 12 })
            let survivors = try String(contentsOfFile: results + "/trials.csv", encoding: .utf8)

            // Room again: the same command finishes the sweep, keeping every row it had.
            try FileManager.default.removeItem(atPath: filler)
            let resumed = try await SweepBinary.run(["run", "twelve.yaml", "--results", results, "--workers", "2"], directory: scratch.path)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try String(contentsOfFile: results + "/trials.csv", encoding: .utf8).hasPrefix(survivors))
            let final = try ResultStore.readTrials(results + "/trials.csv", layout: .trainer)
            #expect(final.count == 12 && Set(final.map(\.id)).count == 12)
        } cleanup: {
            _ = try? await ProcessRunner.run(URL(fileURLWithPath: "/bin/umount"), ["-l", disk])
        }
    }

    // MARK: - Bounded memory

    @Test(.heavy, .timeLimit(.minutes(10))) func aTenBillionPointGridStartsAtOnceInBoundedMemory() async throws {
        let scratch = Scratch()
        var text = "name: huge\nparameters:\n"
        for name in ["learning_rate", "momentum", "weight_decay", "l1", "max_norm", "dropout"] {
            text += "  \(name): {values: [\((1...9).map { "0.0\($0)" }.joined(separator: ", ")), 0.1]}\n"
        }
        text += "  epochs: {min: 1, max: 10}\n  batch_size: {values: [64, 65, 66, 67, 68, 69, 70, 71, 72, 73]}\n"
        text += "  seed: {min: 0, max: 9}\n  hidden: {values: [\((1...10).map { "\"\($0 * 4)\"" }.joined(separator: ", "))]}\n"
        text += "  train_limit: {value: 500}\n  test_limit: {value: 100}\n"
        scratch.write(text, to: "huge.yaml")
        let check = try await SweepBinary.run(["check", "huge.yaml"], directory: scratch.path)
        #expect(check.stdout.contains("method: grid, 10000000000 trials"), "\(check.stdout) \(check.stderr)")

        let started = Date()
        let coordinator = try SweepBinary.start(["coordinator", "huge.yaml", "--bind", "tcp://127.0.0.1:*"],
                                                directory: scratch.path, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        var endpoint = ""
        #expect(await Processes.await(seconds: 60) {
            let log = scratch.text("c-stderr.log")
            guard let range = log.range(of: "listening on ") else { return false }
            endpoint = String(log[range.upperBound...].prefix { !$0.isWhitespace })
            return true
        }, "\(scratch.text("c-stderr.log"))")
        let worker = try SweepBinary.start(["worker", "--connect", endpoint, "--name", "w"], directory: scratch.path, log: "w-")
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        #expect(await Processes.await(seconds: 60) { scratch.text("c-stderr.log").contains("started on w") }, "\(scratch.text("c-stderr.log"))")
        let seconds = Date().timeIntervalSince(started)
        let peak = try #require(Processes.peakResidentKilobytes(coordinator.processIdentifier))
        print("10^10-point grid: first trial handed out \(String(format: "%.2f", seconds)) s after the coordinator started "
              + "(worker start included; debug build), coordinator peak RSS \(peak) kB")
        #expect(peak <= 100 * 1024, "coordinator peak RSS \(peak) kB")
        // Not a speed test: an expansion of 10¹⁰ points would take hours, not this long.
        #expect(seconds < 60)
        #expect(await Processes.await(seconds: 60) { scratch.rows("Results/huge/trials.csv").count >= 1 })
        #expect(Results(scratch.file("Results/huge")).trials.first?.id == (try SweepSpec(yaml: text, file: "huge.yaml")).space[0].id)
    }
}

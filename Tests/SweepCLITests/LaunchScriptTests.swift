import Foundation
import SweepTestSupport
import Testing

/// The cluster launch scripts, run for real: `Scripts/slurm/sweep.sbatch` and `Scripts/slurm/sweep-array`
/// on a one-node Slurm that the test starts (slurm-wlm and munge, installed by Scripts/test), and
/// `Scripts/ssh-workers`.
@Suite("Launch scripts")
struct LaunchScriptTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts")

    static let sweep = """
        name: cluster
        parameters:
          learning_rate: {values: [0.01, 0.1]}
          momentum: {values: [0.0, 0.9]}
          hidden: {value: "16"}
          epochs: {value: 1}
          train_limit: {value: 1000}
          test_limit: {value: 200}
        """

    /// Runs a program to completion; returns its status and combined output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String) async throws -> (status: Int32, output: String) {
        let outcome = try await ProcessRunner.run(URL(fileURLWithPath: executable), arguments, environment: environment,
                                                  directory: directory, mergeOutput: true)
        return (outcome.status, outcome.stdout)
    }

    /// Runs `body` with the SLURM_CONF of a one-node Slurm started for it in `scratch`, and stops the
    /// cluster however `body` ends (its daemons write into the scratch folder).
    static func withLocalSlurm(_ scratch: Scratch, _ body: (_ conf: String) async throws -> Void) async throws {
        let cluster = scripts.appendingPathComponent("slurm/local-cluster").path
        try await withCleanup {
            let start = try await run(cluster, ["start", scratch.file("slurm")], directory: scratch.path)
            try #require(start.status == 0, "the one-node Slurm did not start: \(start.output)")
            try await body(start.output.split(separator: "\n").last.map(String.init) ?? "")
        } cleanup: {
            _ = try? await run(cluster, ["stop", scratch.file("slurm")], directory: scratch.path)
        }
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func sshWorkersStartsWorkersOnEveryHost() async throws {
        // A stand-in for ssh that runs the remote command here, so the script's own logic (quoting,
        // keys over stdin, one worker per slot) runs for real; ssh itself is not under test.
        let scratch = Scratch()
        scratch.write(Self.sweep, to: "cluster.yaml")
        try await scratch.writeExecutable("""
            #!/usr/bin/env bash
            # stand-in ssh: skip options (-o takes a value), note the host, run the command here
            while [[ "$1" == -* ]]; do if [[ "$1" == -o ]]; then shift 2; else shift; fi; done
            echo "$1" >> "$(dirname "$0")/hosts.log"
            shift
            exec bash -c "$*"

            """, to: "bin/ssh")
        for name in ["server", "w"] { #expect(try await SweepBinary.run(["keygen", name], directory: scratch.path).status == 0) }
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["cluster.yaml", "--bind", "tcp://127.0.0.1:*", "--curve-secret-key", "server.key",
             "--authorized-keys", "w.pub"], scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let launch = try await Self.run(Self.scripts.appendingPathComponent("ssh-workers").path,
                                        ["--connect", endpoint, "--server-key", "server.pub", "--curve-secret-key", "w.key",
                                   "--per-host", "1", "--sweep", SweepBinary.url.path, "node-a", "node-b"],
                                        environment: ["PATH": scratch.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")],
                                        directory: scratch.path)
        #expect(launch.status == 0, "\(launch.output)")
        #expect(scratch.text("bin/hosts.log").split(separator: "\n").sorted() == ["node-a", "node-b"])
        try await coordinator.waitForExit()
        #expect(coordinator.terminationStatus == 0, "\(scratch.text("c-stderr.log"))")
        #expect(scratch.rows("Results/cluster/trials.csv").count == 4)
        #expect(scratch.text("c-stderr.log").components(separatedBy: " joined from ").count - 1 == 2)
    }
}

extension LaunchScriptTests {
    /// The scripts on a real Slurm, one test at a time: each starts its own cluster, but there is one
    /// munged for both, and it is stopped with the cluster that started it.
    @Suite(.serialized, .enabled(if: getuid() == 0, "starting slurmctld and slurmd needs root"))
    struct OnSlurm {
        @Test(.heavy, .timeLimit(.minutes(10))) func sbatchRunsTheSweepOnARealSlurm() async throws {
            let scratch = Scratch()
            scratch.write(LaunchScriptTests.sweep, to: "cluster.yaml")
            try await LaunchScriptTests.withLocalSlurm(scratch) { conf in
                let job = try await LaunchScriptTests.run(
                    "/usr/bin/sbatch", ["--wait", "--ntasks=2", "--output=job.log",
                                        LaunchScriptTests.scripts.appendingPathComponent("slurm/sweep.sbatch").path, "cluster.yaml"],
                    environment: ["SLURM_CONF": conf, "SWEEP_BIN": SweepBinary.url.path], directory: scratch.path)
                #expect(job.status == 0, "sbatch: \(job.output)\njob log:\n\(scratch.text("job.log"))")
                let rows = scratch.rows("Results/cluster/trials.csv")
                #expect(rows.count == 4, "job log:\n\(scratch.text("job.log"))")
                #expect(rows.allSatisfy { $0.contains(",completed,") })
                #expect(scratch.text("job.log").contains("sweep.sbatch: coordinator exited with status 0"))
                // The job's keys are gone with it.
                #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).allSatisfy { !$0.hasPrefix(".sweep-keys") })
            }
        }

        /// Four trials of about 8 s: long enough that the cancelled task's trial is cut, since a worker
        /// told to stop (SIGTERM) finishes its trial if it can and slurmd's SIGKILL comes 5 s later at
        /// the soonest; so the trial must be handed to another task and recorded once all the same.
        static let arraySweep = """
            name: array
            parameters:
              learning_rate: {values: [0.01, 0.05]}
              momentum: {values: [0.0, 0.9]}
              hidden: {value: "64"}
              epochs: {value: 80}
              train_limit: {value: 5000}
              test_limit: {value: 200}
            """

        /// The first `trial T started on W` in a coordinator's log whose worker W is a task of `array`.
        static func firstTrialStarted(onTaskOf array: String, in log: String) -> (trial: String, worker: String)? {
            for line in log.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let on = words.firstIndex(of: "on"), on >= 3, on + 1 < words.count, words[on - 1] == "started",
                      words[on + 1].hasPrefix(array + "_") else { continue }
                return (String(words[on - 2]), String(words[on + 1]))
            }
            return nil
        }

        @Test(.heavy, .timeLimit(.minutes(10))) func anArrayTaskCancelledMidTrialCostsOnlyThatTrialsRestart() async throws {
            let scratch = Scratch()
            scratch.write(Self.arraySweep, to: "array.yaml")
            try await LaunchScriptTests.withLocalSlurm(scratch) { conf in
                let environment = ["SLURM_CONF": conf, "SWEEP_BIN": SweepBinary.url.path]
                // Four tasks, two at a time: cancelling one lets the third in.
                let launch = try await LaunchScriptTests.run(
                    LaunchScriptTests.scripts.appendingPathComponent("slurm/sweep-array").path,
                    ["--coordinator=--output=coordinator.log", "--array=1-4%2", "array.yaml"],
                    environment: environment, directory: scratch.path)
                let ids = launch.output.split(separator: "\n").last?.split(separator: " ").map(String.init) ?? []
                try #require(launch.status == 0 && ids.count == 2, "sweep-array: \(launch.output)")
                let array = ids[1]
                func log() -> String { scratch.text("coordinator.log") }

                // A task's worker mid-trial: the coordinator has handed it a trial.
                var started: (trial: String, worker: String)?
                _ = await Processes.await(seconds: 120) {
                    started = Self.firstTrialStarted(onTaskOf: array, in: log())
                    return started != nil
                }
                let (trial, worker) = try #require(started, "no trial started on a task of array \(array):\n\(log())")
                let task = String(worker.prefix { $0 != "@" })  // JOBID_TASKID: the worker is named after its task
                let cancel = try await LaunchScriptTests.run("/usr/bin/scancel", [task], environment: environment,
                                                             directory: scratch.path)
                #expect(cancel.status == 0, "scancel \(task): \(cancel.output)")

                let ended = await Processes.await(seconds: 300) { log().contains("sweep-array.sbatch: coordinator exited with status") }
                try #require(ended, "the coordinator job did not end:\n\(log())")
                #expect(log().contains("sweep-array.sbatch: coordinator exited with status 0"), "\(log())")
                // Slurm cancelled the task, its worker is gone, and the coordinator, missing its heartbeats,
                // handed its trial to another task.
                #expect(scratch.text("sweep-\(task).log").contains("CANCELLED"), "\(scratch.text("sweep-\(task).log"))")
                if let pid = worker.split(separator: ":").last.flatMap({ Int32($0) }) { #expect(!Processes.isAlive(pid)) }
                #expect(log().contains("worker \(worker) lost; trial \(trial) goes back to the queue"), "\(log())")

                // Every trial recorded once, and completed; the cut one on its second attempt, elsewhere.
                let records = Results(scratch.file("Results/array")).trials
                #expect(records.count == 4, "\(log())")
                #expect(Set(records.map(\.id)).count == records.count)
                #expect(records.allSatisfy { $0.status == .completed }, "\(records.map { ($0.id, $0.status) })")
                let again = records.first { $0.id == trial }
                #expect(again?.attempts == 2 && again?.worker != worker, "\(String(describing: again))")

                // Nothing of the array is left (the coordinator cancels what has not run), nor the job's keys.
                let empty = await Processes.await(seconds: 60) {
                    let queue = try? await LaunchScriptTests.run("/usr/bin/squeue", ["-h"], environment: environment,
                                                                 directory: scratch.path)
                    return queue.map { $0.status == 0 && $0.output.allSatisfy(\.isWhitespace) } ?? false
                }
                #expect(empty, "tasks left in the queue")
                #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).allSatisfy { !$0.hasPrefix(".sweep-array") })
            }
        }
    }
}

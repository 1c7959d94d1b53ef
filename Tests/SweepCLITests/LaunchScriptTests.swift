import Foundation
import SweepTestSupport
import Testing

/// The cluster launch scripts, run for real: `Scripts/slurm/sweep.sbatch` on a one-node Slurm that
/// the test starts (slurm-wlm and munge, installed by Scripts/test), and `Scripts/ssh-workers`.
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

    @Test(.heavy, .timeLimit(.minutes(10)), .enabled(if: getuid() == 0, "starting slurmctld and slurmd needs root"))
    func sbatchRunsTheSweepOnARealSlurm() async throws {
        let scratch = Scratch()
        scratch.write(Self.sweep, to: "cluster.yaml")
        let cluster = Self.scripts.appendingPathComponent("slurm/local-cluster").path
        let start = try await Self.run(cluster, ["start", scratch.file("slurm")], directory: scratch.path)
        #expect(start.status == 0, "the one-node Slurm did not start: \(start.output)")
        // Stopped however the test ends (its ports are fixed, and its daemons write into the scratch folder).
        try await withCleanup {
            let conf = start.output.split(separator: "\n").last.map(String.init) ?? ""

            let job = try await Self.run("/usr/bin/sbatch", ["--wait", "--ntasks=2", "--output=job.log",
                                                             Self.scripts.appendingPathComponent("slurm/sweep.sbatch").path,
                                                             "cluster.yaml"],
                                         environment: ["SLURM_CONF": conf, "SWEEP_BIN": SweepBinary.url.path], directory: scratch.path)
            #expect(job.status == 0, "sbatch: \(job.output)\njob log:\n\(scratch.text("job.log"))")
            let rows = scratch.rows("Results/cluster/trials.csv")
            #expect(rows.count == 4, "job log:\n\(scratch.text("job.log"))")
            #expect(rows.allSatisfy { $0.contains(",completed,") })
            #expect(scratch.text("job.log").contains("sweep.sbatch: coordinator exited with status 0"))
            // The job's keys are gone with it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).allSatisfy { !$0.hasPrefix(".sweep-keys") })
        } cleanup: {
            _ = try? await Self.run(cluster, ["stop", scratch.file("slurm")], directory: scratch.path)
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

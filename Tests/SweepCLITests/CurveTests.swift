import Foundation
import SweepCore
import Messaging
import SweepTestSupport
import Testing

/// CURVE encryption and authentication through the real binary.
@Suite("CURVE")
struct CurveTests {

    static let twoTrials = """
        name: secure
        parameters:
          learning_rate: {values: [0.01, 0.1]}
          hidden: {value: "16"}
          epochs: {value: 1}
          train_limit: {value: 500}
          test_limit: {value: 100}
        """

    @Test(.timeLimit(.minutes(10))) func keygenWritesAPrivateSecretAndItsPublicKey() async throws {
        let scratch = Scratch()
        let outcome = try await SweepBinary.run(["keygen", "node"], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.file("node.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let secret = try CurveKeys.readKey(scratch.file("node.key"))
        let published = try CurveKeys.readKey(scratch.file("node.pub"))
        #expect(try CurveKeys(secretKey: secret).publicKey == published)
        // It does not overwrite keys by accident.
        let again = try await SweepBinary.run(["keygen", "node"], directory: scratch.path)
        #expect(again.status != 0)
        #expect(again.stderr.contains("node.key exists"))
        #expect(try CurveKeys.readKey(scratch.file("node.key")) == secret)
    }

    @Test(.timeLimit(.minutes(2)), arguments: ["tcp://0.0.0.0:*", "tcp://192.0.2.1:5555", "tcp://eth0:5555"])
    func aNonLoopbackBindNeedsCurveOrInsecure(bind: String) async throws {
        let scratch = Scratch()
        scratch.write(Self.twoTrials, to: "secure.yaml")
        let outcome = try await SweepBinary.run(["coordinator", "secure.yaml", "--bind", bind], directory: scratch.path)
        #expect(outcome.status == ExitStatus.usage)
        #expect(outcome.stderrLines.count == 1)
        #expect(outcome.stderr.contains("refusing to listen on \(bind) without encryption"))
        #expect(!FileManager.default.fileExists(atPath: scratch.file("Results")))
    }

    @Test(.timeLimit(.minutes(10))) func insecureAllowsAnyBind() async throws {
        let scratch = Scratch()
        scratch.write(Self.twoTrials, to: "secure.yaml")
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["secure.yaml", "--bind", "tcp://0.0.0.0:*", "--insecure"], scratch: scratch, log: "c-")
        defer { kill(coordinator.processIdentifier, SIGKILL) }
        #expect(endpoint.hasPrefix("tcp://0.0.0.0:"))
    }

    @Test(.heavy, .timeLimit(.minutes(10))) func onlyAuthorisedWorkersWithTheRightServerKeyGetTrials() async throws {
        let scratch = Scratch()
        scratch.write(Self.twoTrials, to: "secure.yaml")
        for name in ["server", "good", "stranger"] {
            #expect(try await SweepBinary.run(["keygen", name], directory: scratch.path).status == 0)
        }
        try FileManager.default.copyItem(atPath: scratch.file("good.pub"), toPath: scratch.file("authorized"))
        let (coordinator, endpoint) = try await FaultTests.startCoordinator(
            ["secure.yaml", "--bind", "tcp://127.0.0.1:*", "--curve-secret-key", "server.key",
             "--authorized-keys", "authorized"], scratch: scratch, log: "c-")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }

        // A worker whose key is not authorised is refused, and the coordinator says whom it refused.
        let stranger = try SweepBinary.start(["worker", "--connect", endpoint, "--server-key", "server.pub",
                                              "--curve-secret-key", "stranger.key"], directory: scratch.path, log: "s-")
        let strangerKey = try CurveKeys.readKey(scratch.file("stranger.pub"))
        #expect(await Processes.await(seconds: 30) { scratch.text("c-stderr.log").contains("refused a worker at 127.0.0.1: its key \(strangerKey)") })
        // A worker that has the wrong server key cannot even complete the handshake.
        let impostor = try SweepBinary.start(["worker", "--connect", endpoint, "--server-key", "stranger.pub",
                                              "--curve-secret-key", "good.key"], directory: scratch.path, log: "i-")
        #expect(await !Processes.await(seconds: 2) { scratch.text("c-stderr.log").contains("joined") })
        #expect(scratch.rows("Results/secure/trials.csv").isEmpty)

        // The authorised worker with the right server key does the whole sweep.
        let good = try SweepBinary.start(["worker", "--connect", endpoint, "--server-key", "server.pub",
                                          "--curve-secret-key", "good.key", "--name", "good"], directory: scratch.path, log: "g-")
        try await coordinator.waitForExit()
        try await good.waitForExit()
        #expect(coordinator.terminationStatus == 0)
        #expect(good.terminationStatus == 0)
        let rows = scratch.rows("Results/secure/trials.csv")
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.contains(",good,") })
        for process in [stranger, impostor] {
            kill(process.processIdentifier, SIGKILL)
            try await process.waitForExit()
        }
    }
}

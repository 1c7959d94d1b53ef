import Foundation
import SweepTestSupport
import Testing

/// Three hosts on one machine: the coordinator and two workers in network namespaces joined by veth
/// links, talking TCP with CURVE. One worker's link goes down mid-trial and comes back.
@Suite("Multi-host", .enabled(if: getuid() == 0, "needs root to make network namespaces"))
struct MultiHostTests {

    /// Network namespaces and veth links made for one test and removed after it.
    final class Network {
        let suffix = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        var namespaces: [String] = []

        static func ip(_ arguments: [String]) async throws {
            let outcome = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments)
            guard outcome.status == 0 else {
                throw NetworkError(description: "ip \(arguments.joined(separator: " ")): \(outcome.stderr)")
            }
        }

        struct NetworkError: Error, CustomStringConvertible { let description: String }

        func namespace(_ role: String) async throws -> String {
            let name = "sw\(role)\(suffix)"
            try await Network.ip(["netns", "add", name])
            namespaces.append(name)
            try await Network.ip(["-n", name, "link", "set", "lo", "up"])
            return name
        }

        /// A veth link between `a` (address `.1`) and `b` (address `.2`) on 10.77.`subnet`.0/24.
        func link(_ a: String, _ b: String, subnet: Int) async throws -> (aSide: String, bAddress: String) {
            let (left, right) = ("va\(subnet)\(suffix)", "vb\(subnet)\(suffix)")
            try await Network.ip(["link", "add", left, "netns", a, "type", "veth", "peer", "name", right, "netns", b])
            try await Network.ip(["-n", a, "addr", "add", "10.77.\(subnet).1/24", "dev", left])
            try await Network.ip(["-n", b, "addr", "add", "10.77.\(subnet).2/24", "dev", right])
            try await Network.ip(["-n", a, "link", "set", left, "up"])
            try await Network.ip(["-n", b, "link", "set", right, "up"])
            return (left, "10.77.\(subnet).1")
        }

        deinit {
            // Started, not waited for (a deinit cannot await): `ip` finishes on its own, and removing
            // a namespace also removes its veths.
            for name in namespaces {
                let ip = Process()
                ip.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
                ip.arguments = ["netns", "del", name]
                try? ip.run()
            }
        }
    }

    static let sweep = """
        name: hosts
        parameters:
          learning_rate: {values: [0.01, 0.02, 0.05, 0.1]}
          momentum: {values: [0.0, 0.5, 0.9]}
          hidden: {value: "32"}
          epochs: {value: 4}
          train_limit: {value: 10000}
          test_limit: {value: 500}
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func aWorkerCutOffMidTrialLosesItsTrialAndRejoinsAfterwards() async throws {
        let scratch = Scratch()
        scratch.write(Self.sweep, to: "hosts.yaml")
        for name in ["server", "w1", "w2"] {
            #expect(try await SweepBinary.run(["keygen", name], directory: scratch.path).status == 0)
        }
        scratch.write(scratch.text("w1.pub") + scratch.text("w2.pub"), to: "authorized")

        let network = Network()
        let (c, h1, h2) = (try await network.namespace("c"), try await network.namespace("a"), try await network.namespace("b"))
        let (link1, address1) = try await network.link(c, h1, subnet: 1)
        let (_, address2) = try await network.link(c, h2, subnet: 2)

        let coordinator = try SweepBinary.start(["coordinator", "hosts.yaml", "--bind", "tcp://0.0.0.0:5555",
                                                 "--curve-secret-key", "server.key", "--authorized-keys", "authorized",
                                                 "--heartbeat-ms", "200", "--liveness", "3"],
                                                directory: scratch.path, log: "c-", namespace: c)
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        #expect(await Processes.await(seconds: 60) { scratch.text("c-stderr.log").contains("listening on") })
        var workers: [Process] = []
        defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        for (index, (ns, address)) in [(h1, address1), (h2, address2)].enumerated() {
            workers.append(try SweepBinary.start(["worker", "--connect", "tcp://\(address):5555", "--server-key", "server.pub",
                                                  "--curve-secret-key", "w\(index + 1).key", "--name", "w\(index + 1)"],
                                                 directory: scratch.path, log: "w\(index + 1)-", namespace: ns))
        }
        func log() -> String { scratch.text("c-stderr.log") }

        // Wait for w1 to be training something, then cut its link.
        var cutTrial = ""
        #expect(await Processes.await(seconds: 120) {
            guard let line = log().split(separator: "\n").last(where: { $0.contains(" started on w1") }) else { return false }
            cutTrial = String(line.split(separator: " ")[2])
            return true
        })
        try await Network.ip(["-n", c, "link", "set", link1, "down"])
        // The coordinator gives up on w1 and hands its trial to w2.
        #expect(await Processes.await(seconds: 30) { log().contains("worker w1 lost; trial \(cutTrial) goes back to the queue") })
        #expect(await Processes.await(seconds: 60) { log().contains("trial \(cutTrial) started on w2") })
        let joinsBefore = log().components(separatedBy: "worker w1 joined").count - 1

        // Link back: w1 reconnects and takes new trials.
        let marker = log().count
        try await Network.ip(["-n", c, "link", "set", link1, "up"])
        #expect(await Processes.await(seconds: 90) { log().components(separatedBy: "worker w1 joined").count - 1 > joinsBefore })
        #expect(await Processes.await(seconds: 120) { String(log().dropFirst(marker)).contains(" started on w1") },
                "w1 took no trial after rejoining")

        try await coordinator.waitForExit()
        #expect(coordinator.terminationStatus == 0, "\(log())")
        let ids = scratch.rows("Results/hosts/trials.csv").map { String($0.prefix(16)) }
        #expect(ids.count == 12)
        #expect(Set(ids).count == 12)
        #expect(scratch.rows("Results/hosts/trials.csv").contains { $0.hasPrefix(cutTrial) })
    }
}

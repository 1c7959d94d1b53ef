import Foundation
import Messaging
import SweepTestSupport
import Testing
import Wire

/// How many workers one coordinator holds: every connection is a descriptor, and a coordinator out of
/// them says so in one line instead of failing obscurely.
@Suite("Coordinator capacity")
struct CoordinatorCapacityTests {
    @Test(.heavy, .timeLimit(.minutes(2))) func aCoordinatorOutOfDescriptorsSaysItIsFullOnce() async throws {
        let scratch = Scratch()
        scratch.write("""
            name: full
            method: grid
            parameters:
              hidden: {value: "16"}
              epochs: {value: 1}
              seed: {distribution: int_uniform, min: 1, max: 100000}
            """, to: "full.yaml")
        // A hard limit of 64 open files (dash's `ulimit -n` sets both limits): the coordinator raises
        // its soft limit to the hard one, no further.
        let coordinator = try ProcessRunner.start(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", SweepBinary.url.path, "coordinator", "full.yaml",
             "--bind", "tcp://127.0.0.1:*", "--quiet"],
            directory: scratch.path, log: "c-")
        defer { kill(coordinator.processIdentifier, SIGKILL) }
        var endpoint: String?
        _ = await Processes.await(seconds: 60) {
            let text = scratch.text("c-stderr.log")
            guard let range = text.range(of: "listening on ") else { return !coordinator.isRunning }
            endpoint = String(text[range.upperBound...].prefix { !$0.isWhitespace })
            return true
        }
        let bound = try #require(endpoint, "the coordinator did not start: \(scratch.text("c-stderr.log"))")
        #expect(scratch.text("c-stderr.log").contains("this coordinator can hold about"),
                "a limit this low is said at the start: \(scratch.text("c-stderr.log"))")

        // More workers than 64 descriptors can hold, from this process (which keeps its own limit).
        let context = try Context()
        let workers = try SocketGroup(count: 80) { (index: Int) throws(ZMQError) -> Socket in
            let socket = try Socket(context, type: .dealer)
            try socket.set(.routingID, Array("w\(index)".utf8))
            try socket.connect(bound)
            try socket.send([Message.hello(.init(worker: "w\(index)", host: "test", pid: getpid())).encoded()])
            return socket
        }
        #expect(workers.count == 80)
        let said = await Processes.await(seconds: 60) { scratch.text("c-stderr.log").contains("the coordinator is full") }
        #expect(said, "\(scratch.text("c-stderr.log"))")
        // A moment more: libzmq retries the accept without pause, and the line must still be said once.
        try await Task.sleep(for: .milliseconds(500))
        let lines = scratch.text("c-stderr.log").split(separator: "\n").filter { $0.contains("the coordinator is full") }
        #expect(lines.count == 1, "\(lines)")
        let line = String(lines.first ?? "")
        #expect(line.contains(/holds [0-9]+ workers/) && line.contains("open-file limit 64") && line.contains("ulimit -n"), "\(line)")
        #expect(coordinator.isRunning, "a full coordinator goes on with the workers it holds")
    }
}

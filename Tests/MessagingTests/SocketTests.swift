import Foundation
import Messaging
import Testing

/// Real libzmq sockets on loopback, each test on its own ephemeral port. Their waits are for this
/// process's own sockets (or, in the polling test, the timeout under test); the time limit ends a
/// test whose socket or context hangs.
@Suite("Sockets", .timeLimit(.minutes(1)))
struct SocketTests {
    @Test func routerAndDealerExchangeMultipartMessages() throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && !endpoint.hasSuffix(":*"))

        let dealer = try Socket(context, type: .dealer)
        try dealer.set(.routingID, Array("worker-1".utf8))
        try dealer.connect(endpoint)
        try dealer.send([Array("hello".utf8), [0, 1, 2]])

        #expect(try router.waitForMessage(milliseconds: 5000))
        let frames = try #require(try router.receive())
        #expect(frames == [Array("worker-1".utf8), Array("hello".utf8), [0, 1, 2]])

        // The ROUTER answers by identity.
        try router.send([frames[0], Array("welcome".utf8)])
        #expect(try dealer.waitForMessage(milliseconds: 5000))
        #expect(try dealer.receive() == [Array("welcome".utf8)])
    }

    @Test func pollingTimesOutWhenNothingArrives() throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.waitForMessage(milliseconds: 20) == false)
        #expect(try router.receive(dontWait: true) == nil)
    }

    @Test func unknownPeerIsReportedNotDropped() throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.routerMandatory, 1)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.send([Array("nobody".utf8), [1]]) == false)
    }

    @Test(arguments: ["bogus://nowhere", "tcp://127.0.0.1:notaport"])
    func badEndpointsNameTheCallAndErrno(endpoint: String) throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        let error = #expect(throws: ZMQError.self) { try router.bind(endpoint) }
        #expect(error?.function == "zmq_bind")
        #expect(error.map { $0.errno != 0 } == true)
        #expect(error?.description.contains("zmq_bind failed: ") == true)
    }

    @Test func aPortInUseIsAnError() throws {
        let context = try Context()
        let first = try Socket(context, type: .router)
        try first.bind("tcp://127.0.0.1:*")
        let second = try Socket(context, type: .router)
        let error = #expect(throws: ZMQError.self) { try second.bind(try first.lastEndpoint) }
        #expect(error?.errno == EADDRINUSE)
    }

    @Test func socketsAndContextsCloseWithoutHanging() throws {
        // A context is terminated only after its sockets close; with linger 0 and the socket holding
        // the context, dropping them in any order must return promptly even with unsent messages.
        for _ in 0..<20 {
            var dealer: Socket? = try Socket(try Context(), type: .dealer)
            try dealer?.connect("tcp://127.0.0.1:9")  // nothing listens: the message stays queued
            _ = try dealer?.send([[1, 2, 3]], dontWait: true)
            dealer = nil
        }
        #expect(Context.libraryVersion.hasPrefix("4."))
    }
}

import CZeroMQ

/// A ZAP handler (ZeroMQ RFC 27) for CURVE: admits clients whose public key is in `allowed`
/// (anyone with a valid handshake when `allowed` is nil) and reports every decision.
///
/// It is a REP socket on `inproc://zeromq.zap.01` in the server's context; the server polls it with
/// its own socket, so authentication needs no extra thread.
public final class Authenticator {
    /// One decision, for logs.
    public struct Decision: Sendable {
        /// Whether the client was let in.
        public var accepted: Bool
        /// The client's public key (Z85).
        public var clientKey: String
        /// The client's address as libzmq reports it.
        public var address: String
    }

    /// The ZAP socket.
    public let socket: Socket
    private let allowed: Set<String>?

    /// Binds the ZAP endpoint in `context`.
    public init(context: Context, allowed: Set<String>?) throws(ZMQError) {
        let socket = try Socket(context, type: .reply)
        try socket.bind("inproc://zeromq.zap.01")
        self.socket = socket
        self.allowed = allowed
    }

    /// Answers every waiting request.
    public func handleRequests() throws(ZMQError) -> [Decision] {
        var decisions: [Decision] = []
        while let request = try socket.receive(dontWait: true) {
            // version, request id, domain, address, identity, mechanism, credentials…
            guard request.count >= 6 else {
                try socket.send([Array("1.0".utf8), request.count > 1 ? request[1] : [], Array("400".utf8),
                                 Array("malformed request".utf8), [], []])
                continue
            }
            let address = String(decoding: request[3], as: UTF8.self)
            let mechanism = String(decoding: request[5], as: UTF8.self)
            let key = request.count > 6 && request[6].count == 32 ? CurveKeys.z85(request[6]) : ""
            let accepted = mechanism == "CURVE" && !key.isEmpty && (allowed?.contains(key) ?? true)
            try socket.send([Array("1.0".utf8), request[1], Array((accepted ? "200" : "400").utf8),
                             Array((accepted ? "OK" : "key not authorised").utf8), Array(key.utf8), []])
            decisions.append(Decision(accepted: accepted, clientKey: key, address: address))
        }
        return decisions
    }
}

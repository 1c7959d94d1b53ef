import CZeroMQ

/// An integer socket option.
public struct SocketOption: Sendable {
    let rawValue: Int32

    /// Milliseconds unsent messages are kept after close (0: drop them, so closing never blocks).
    public static let linger = SocketOption(rawValue: ZMQ_LINGER)
    /// Largest inbound message in bytes; a peer sending more is disconnected by libzmq.
    public static let maxMessageSize = SocketOption(rawValue: ZMQ_MAXMSGSIZE)
    /// Inbound queue limit, in messages.
    public static let receiveHighWaterMark = SocketOption(rawValue: ZMQ_RCVHWM)
    /// Outbound queue limit, in messages.
    public static let sendHighWaterMark = SocketOption(rawValue: ZMQ_SNDHWM)
    /// ROUTER: fail instead of silently dropping a message to an unknown peer.
    public static let routerMandatory = SocketOption(rawValue: ZMQ_ROUTER_MANDATORY)
    /// ROUTER: a new connection with a known routing id takes it over.
    public static let routerHandover = SocketOption(rawValue: ZMQ_ROUTER_HANDOVER)
    /// How many connections the kernel queues for a listening socket before they are accepted
    /// (libzmq's default, 100, drops the rest of ten thousand workers connecting at once; they retry
    /// after a second, then 3, 7, 15…). The kernel caps it at `net.core.somaxconn`.
    public static let backlog = SocketOption(rawValue: ZMQ_BACKLOG)
    /// This side is a CURVE server (1).
    public static let curveServer = SocketOption(rawValue: ZMQ_CURVE_SERVER)
}

/// A byte-string socket option.
public struct SocketBytesOption: Sendable {
    let rawValue: Int32

    /// The identity a ROUTER sees for this peer.
    public static let routingID = SocketBytesOption(rawValue: ZMQ_ROUTING_ID)
    /// This side's CURVE secret key (32 bytes).
    public static let curveSecretKey = SocketBytesOption(rawValue: ZMQ_CURVE_SECRETKEY)
    /// This side's CURVE public key (32 bytes).
    public static let curvePublicKey = SocketBytesOption(rawValue: ZMQ_CURVE_PUBLICKEY)
    /// The server's CURVE public key, on a client (32 bytes).
    public static let curveServerKey = SocketBytesOption(rawValue: ZMQ_CURVE_SERVERKEY)
    /// The ZAP domain, which turns authentication on for this socket.
    public static let zapDomain = SocketBytesOption(rawValue: ZMQ_ZAP_DOMAIN)
}

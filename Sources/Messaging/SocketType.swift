import CZeroMQ

/// The libzmq socket types this project uses.
public enum SocketType: Sendable {
    /// Routes by peer identity: the coordinator's side.
    case router
    /// Asynchronous request side: a worker's.
    case dealer
    /// Strict request/reply, for short queries such as `sweep status`.
    case request
    /// Strict reply side.
    case reply
    /// One peer to one peer: the reading end of a socket monitor.
    case pair

    var rawValue: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .request: return ZMQ_REQ
        case .reply: return ZMQ_REP
        case .pair: return ZMQ_PAIR
        }
    }
}

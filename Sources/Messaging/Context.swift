import CZeroMQ

/// A libzmq context: the I/O threads behind every socket made from it.
///
/// Each `Socket` holds a strong reference to its context, so the context is terminated only after
/// its last socket has closed; `zmq_ctx_term` would otherwise block forever on an open socket.
public final class Context {
    let handle: UnsafeMutableRawPointer

    /// Creates a context with libzmq's default single I/O thread.
    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError("zmq_ctx_new") }
        self.handle = handle
    }

    /// Raises how many sockets this context may hold (libzmq's `ZMQ_MAX_SOCKETS`, 1,023 by default);
    /// set before the sockets are made. Each socket is also a descriptor (its mailbox), and each of
    /// its connections another.
    public func setMaximumSockets(_ count: Int) throws(ZMQError) {
        guard zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, Int32(clamping: count)) == 0 else { throw ZMQError("zmq_ctx_set") }
    }

    deinit {
        // EINTR only: a signal arrived while waiting for sockets to finish; try again.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// libzmq's version as "major.minor.patch".
    public static var libraryVersion: String {
        var (major, minor, patch): (Int32, Int32, Int32) = (0, 0, 0)
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}

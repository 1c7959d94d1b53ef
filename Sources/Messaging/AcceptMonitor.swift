import CZeroMQ

/// Connections a listening socket could not accept, as libzmq reports them (`ZMQ_EVENT_ACCEPT_FAILED`
/// through a socket monitor, with the errno of the failed `accept`): the only way to learn that a
/// coordinator has run out of descriptors, since libzmq otherwise retries the accept silently.
///
/// The reading end takes every event without a limit (`ZMQ_RCVHWM` 0): libzmq sends them from its
/// I/O thread, which would otherwise block on a full pipe, and with it every connection's traffic.
/// Events are few until the process runs out of descriptors; from then on libzmq retries the accept
/// as fast as it can, so the owner reads what came, says so, and stops watching (drops the monitor)
/// until it is worth looking again. Dropping it stops the monitor: the socket it watches must still
/// be open then.
public struct AcceptMonitor: ~Copyable {
    private let reader: Socket
    private let watched: UnsafeMutableRawPointer

    /// Watches `socket` (before it binds, or any time after) through the inproc `endpoint`, which
    /// must be unused in its context.
    public init(_ socket: borrowing Socket, endpoint: String) throws(ZMQError) {
        guard zmq_socket_monitor(socket.handle, endpoint, ZMQ_EVENT_ACCEPT_FAILED) == 0 else {
            throw ZMQError("zmq_socket_monitor")
        }
        do {
            let reader = try Socket(socket.context, type: .pair)
            try reader.set(.receiveHighWaterMark, 0)
            try reader.connect(endpoint)
            self.reader = reader
        } catch {
            zmq_socket_monitor(socket.handle, nil, 0)
            throw error
        }
        watched = socket.handle
    }

    /// The errno of each failed accept since the last call (at most `limit` of them are read), without waiting.
    public func failures(limit: Int = 10_000) throws(ZMQError) -> [Int32] {
        var codes: [Int32] = []
        while codes.count < limit, let frames = try reader.receive(dontWait: true) {
            // Version 1 events: a 6-byte frame (the event, 16 bits; its value, 32 bits; in the host's
            // byte order) and the endpoint.
            guard let first = frames.first, first.count >= 6 else { continue }
            let (event, value) = first.withUnsafeBytes { ($0.loadUnaligned(as: UInt16.self), $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) }
            if Int32(event) == ZMQ_EVENT_ACCEPT_FAILED { codes.append(Int32(bitPattern: value)) }
        }
        return codes
    }

    deinit {
        // Before the reader closes: an event sent to a monitor without its reader would block libzmq's I/O thread.
        zmq_socket_monitor(watched, nil, 0)
    }
}

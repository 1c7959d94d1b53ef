import CZeroMQ

/// One libzmq socket, owned: it closes when this value goes away.
///
/// `~Copyable` because a zmq socket must have exactly one owner (it is not thread-safe and must be
/// closed exactly once). It keeps its `Context` alive, so the context cannot be terminated under it.
public struct Socket: ~Copyable {
    /// The context the socket was made in; held so it outlives the socket.
    public let context: Context
    let handle: UnsafeMutableRawPointer

    /// Creates a socket with `ZMQ_LINGER` 0: a closing process never hangs on unsent messages.
    /// Results are acknowledged end to end, so nothing depends on linger.
    public init(_ context: Context, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else { throw ZMQError("zmq_socket") }
        var linger: Int32 = 0
        guard zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size) == 0 else {
            let error = ZMQError("zmq_setsockopt")
            zmq_close(handle)
            throw error
        }
        self.context = context
        self.handle = handle
    }

    deinit {
        zmq_close(handle)
    }

    /// Sets an integer option.
    public func set(_ option: SocketOption, _ value: Int) throws(ZMQError) {
        if option.rawValue == ZMQ_MAXMSGSIZE {
            var wide = Int64(value)
            guard zmq_setsockopt(handle, option.rawValue, &wide, MemoryLayout<Int64>.size) == 0 else {
                throw ZMQError("zmq_setsockopt")
            }
            return
        }
        var narrow = Int32(value)
        guard zmq_setsockopt(handle, option.rawValue, &narrow, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError("zmq_setsockopt")
        }
    }

    /// Sets a byte-string option.
    public func set(_ option: SocketBytesOption, _ bytes: [UInt8]) throws(ZMQError) {
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option.rawValue, $0.baseAddress, $0.count) }
        guard result == 0 else { throw ZMQError("zmq_setsockopt") }
    }

    /// Binds to `endpoint`, e.g. `tcp://127.0.0.1:*` (an ephemeral port: see `lastEndpoint`).
    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError("zmq_bind") }
    }

    /// Connects to `endpoint`; libzmq reconnects by itself if the peer goes away.
    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError("zmq_connect") }
    }

    /// The endpoint of the last bind, with the port resolved.
    public var lastEndpoint: String {
        get throws(ZMQError) {
            var buffer = [CChar](repeating: 0, count: 1024)
            var size = buffer.count
            guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
                throw ZMQError("zmq_getsockopt")
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Sends `frames` as one multipart message. Returns false if it would block (with `dontWait`),
    /// or if a ROUTER with `routerMandatory` has no such peer (EHOSTUNREACH).
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if sent < 0 {
                let error = ZMQError("zmq_send")
                if error.errno == EAGAIN || error.errno == EHOSTUNREACH { return false }
                throw error
            }
        }
        return true
    }

    /// Receives one multipart message; nil if none is waiting (with `dontWait`).
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            if zmq_msg_recv(&message, handle, dontWait ? ZMQ_DONTWAIT : 0) < 0 {
                let error = ZMQError("zmq_msg_recv")
                // Later frames of a message arrive with the first, so EAGAIN only happens before it.
                if error.errno == EAGAIN && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)!.assumingMemoryBound(to: UInt8.self)
            frames.append(Array(UnsafeBufferPointer(start: data, count: size)))
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Waits up to `milliseconds` for a message on this socket or on `other`; says which are readable.
    public func waitForMessage(orOn other: borrowing Socket, milliseconds: Int) throws(ZMQError) -> (Bool, Bool) {
        var items = [zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                     zmq_pollitem_t(socket: other.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
        if zmq_poll(&items, 2, milliseconds) < 0 { throw ZMQError("zmq_poll") }
        return ((items[0].revents & Int16(ZMQ_POLLIN)) != 0, (items[1].revents & Int16(ZMQ_POLLIN)) != 0)
    }

    /// Waits up to `milliseconds` for a message on this socket or input on one of `descriptors` (a
    /// child's pipes, say); true if a message can be received now.
    public func waitForMessage(orInputOn descriptors: [Int32], milliseconds: Int) throws(ZMQError) -> Bool {
        var items = [zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
            + descriptors.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        if zmq_poll(&items, Int32(items.count), milliseconds) < 0 { throw ZMQError("zmq_poll") }
        return (items[0].revents & Int16(ZMQ_POLLIN)) != 0
    }

    /// Waits up to `milliseconds` (−1: forever) for a message; true if one can be received now.
    public func waitForMessage(milliseconds: Int) throws(ZMQError) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let ready = zmq_poll(&item, 1, milliseconds)
        if ready < 0 { throw ZMQError("zmq_poll") }
        return ready > 0 && (item.revents & Int16(ZMQ_POLLIN)) != 0
    }
}

import CZeroMQ

/// Many sockets owned together and polled at once (a benchmark's simulated workers, say).
///
/// `Socket` is `~Copyable`, so it cannot live in an array; the group keeps them in one allocation
/// and lends them out by index.
public final class SocketGroup {
    private let base: UnsafeMutablePointer<Socket>
    /// How many sockets there are.
    public let count: Int
    private var items: [zmq_pollitem_t]

    /// Makes `count` sockets with `make`; if one fails, those already made are closed.
    public init(count: Int, make: (Int) throws(ZMQError) -> Socket) throws(ZMQError) {
        let base = UnsafeMutablePointer<Socket>.allocate(capacity: count)
        var made = 0
        do {
            while made < count {
                (base + made).initialize(to: try make(made))
                made += 1
            }
        } catch {
            base.deinitialize(count: made)
            base.deallocate()
            throw error
        }
        self.base = base
        self.count = count
        items = (0..<count).map { zmq_pollitem_t(socket: base[$0].handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Lends socket `index` to `body`.
    public func with<R>(_ index: Int, _ body: (borrowing Socket) throws -> R) rethrows -> R {
        try body(base[index])
    }

    /// Waits up to `milliseconds` and returns the indices of the sockets with a message waiting.
    public func readable(milliseconds: Int) throws(ZMQError) -> [Int] {
        if zmq_poll(&items, Int32(count), milliseconds) < 0 { throw ZMQError("zmq_poll") }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

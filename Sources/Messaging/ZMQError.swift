import CZeroMQ

/// A failed libzmq call: which function, and the errno it left.
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libzmq function that failed, e.g. `zmq_bind`.
    public let function: String
    /// `zmq_errno()` right after the failure.
    public let errno: Int32

    /// Captures `zmq_errno()` for a failure of `function`.
    public init(_ function: String, errno: Int32 = zmq_errno()) {
        self.function = function
        self.errno = errno
    }

    /// The call was interrupted by a signal; the caller decides whether to retry.
    public var isInterrupted: Bool { errno == EINTR }

    public var description: String { "\(function) failed: \(String(cString: zmq_strerror(errno))) (errno \(errno))" }
}

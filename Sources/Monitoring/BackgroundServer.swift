import Dispatch
import Hummingbird
import NIOCore
import Logging
import Synchronization

/// A Hummingbird application serving on SwiftNIO's event loops for a caller that is not async (the
/// coordinator's poll loop runs on the main thread): started, it answers on its own threads until
/// stopped or the process ends.
public final class BackgroundServer: Sendable {
    /// The address it listens on.
    public let host: String
    /// The port it listens on (the one the system gave when asked for 0).
    public let port: Int
    private let task: Task<Void, Never>

    private init(host: String, port: Int, task: Task<Void, Never>) {
        self.host = host
        self.port = port
        self.task = task
    }

    /// Starts serving `router` on `host`:`port` (0: a free port); returns once it listens, or throws
    /// one line saying why it cannot (the address is in use, say).
    public static func start(_ router: Router<BasicRequestContext>, host: String, port: Int) throws -> BackgroundServer {
        let outcome = StartOutcome()
        let started = DispatchSemaphore(value: 0)
        var logger = Logger(label: "sweep.http")
        logger.logLevel = .error
        let application = Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                                      onServerRunning: { channel in
                                          outcome.value.withLock { $0 = .success(channel.localAddress?.port ?? port) }
                                          started.signal()
                                      }, logger: logger)
        let task = Task {
            do {
                try await application.run()
            } catch {
                let first = outcome.value.withLock { current -> Bool in
                    guard current == nil else { return false }
                    current = .failure(ServerStartFailure(message: "cannot listen on \(host):\(port): \(error)"))
                    return true
                }
                if first { started.signal() }
            }
        }
        guard started.wait(timeout: .now() + .seconds(30)) == .success else {
            task.cancel()
            throw ServerStartFailure(message: "the HTTP server on \(host):\(port) did not start within 30 s")
        }
        switch outcome.value.withLock({ $0 })! {
        case .success(let bound): return BackgroundServer(host: host, port: bound, task: task)
        case .failure(let failure): throw failure
        }
    }

    /// The base URL, as a person opens it.
    public var url: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Stops listening (open connections are closed).
    public func stop() { task.cancel() }
}

/// How starting went, set once by whichever of the server's callbacks comes first (a box, because a
/// mutex cannot be captured by the escaping closures that set it).
private final class StartOutcome: Sendable {
    let value = Mutex<Result<Int, ServerStartFailure>?>(nil)
}

/// Why a server did not start, in one line.
public struct ServerStartFailure: Error, CustomStringConvertible, Sendable {
    /// The line.
    public var message: String
    public var description: String { message }
}

import Foundation

/// Blocking work (waiting for a process, polling a file, a sleep that is the point of a test) run on
/// a thread of its own and awaited, so that it never holds one of Swift Testing's cooperative
/// threads: a suite of such tests passes on a busy machine as it does on a quiet one.
public enum OffThread {
    /// Runs `body` on a new thread and returns (or throws) what it did.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Polls `condition` every 20 ms, off the cooperative threads, until it holds or `seconds` pass;
    /// returns whether it held.
    public static func await(seconds: Double, _ condition: @escaping @Sendable () -> Bool) async -> Bool {
        (try? await run { Processes.await(seconds: seconds, condition) }) ?? false
    }
}

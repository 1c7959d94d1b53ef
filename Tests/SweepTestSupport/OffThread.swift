import Foundation
import Synchronization

/// Blocking or CPU-heavy work (reading a child's pipes to their end, a trainer's epochs, ten
/// thousand files parsed) run on a thread of its own and awaited, so that it never holds one of
/// Swift Testing's cooperative threads: there are only as many of those as cores, and a test
/// holding one keeps other tests from running while their time limits count.
public enum OffThread {
    /// Runs `body` on a new thread and returns (or throws) what it did. The body stays part of the
    /// calling test's task (it runs under a task executor preference), so an `#expect` inside it is
    /// the test's, and it may use the test's variables. Call it from a nonisolated test (all of ours
    /// are): on an actor, the body would run on the actor instead.
    public static func run<T>(_ body: () throws -> T) async throws -> T {
        let thread = ThreadExecutor()
        defer { thread.finish() }
        return try await withTaskExecutorPreference(thread) { try body() }
    }
}

/// A task executor with one thread of its own, which ends once `finish()` is called and its jobs
/// have run.
final class ThreadExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    private let finished = Mutex(false)
    /// Signalled once per job and once by `finish()`.
    private let signals = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in serve() }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        signals.signal()
    }

    /// Lets the thread end once it has run every job it was given.
    func finish() {
        finished.withLock { $0 = true }
        signals.signal()
    }

    private func serve() {
        while true {
            signals.wait()
            if let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                job.runSynchronously(on: asUnownedTaskExecutor())
            } else if finished.withLock({ $0 }) {
                return
            }
        }
    }
}

/// Runs `body`, then `cleanup` however `body` ended: a `defer` that can await what it undoes
/// (stopping daemons, unmounting), which a `defer` block cannot.
public func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async rethrows -> T {
    do {
        let value = try await body()
        await cleanup()
        return value
    } catch {
        await cleanup()
        throw error
    }
}

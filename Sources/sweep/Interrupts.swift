import Foundation
import Synchronization

/// SIGINT and SIGTERM as a flag the run loops poll, so Ctrl-C ends a sweep cleanly.
enum Interrupts {
    static let received = Atomic<Int32>(0)

    /// Installs the handlers (once per process).
    static func install() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in Interrupts.received.store(number, ordering: .relaxed) }
            sigaddset(&unblock, signalNumber)
        }
        // A blocked mask survives exec: a parent that blocked these (some test runners and
        // supervisors do) would otherwise leave Ctrl-C pending forever.
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The signal received, or nil.
    static var caught: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}

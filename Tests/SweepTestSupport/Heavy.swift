import Foundation
import Testing

/// At most one heavy test per core at a time: a test that trains (a sweep with workers, the fuzzing
/// of ten thousand files) or keeps processes busy holds a slot while it runs.
///
/// Why: every process test awaits its processes, so none holds a cooperative thread, and Swift
/// Testing would start them all at once: forty sweeps of two workers each on two cores. Each would
/// then take twenty times as long as alone, a heartbeat of 200 ms would go unanswered, and time
/// limits would pass for no fault of the code. With the slots, the machine runs about as many
/// training processes as it has cores, whatever else is on it, and quick tests run beside them.
///
/// A test's time limit counts while it waits for a slot; `Scripts/test` therefore also caps how many
/// tests run at once (`SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH`, which Swift Testing applies
/// before a test's clock starts), so that only a few tests ever wait here. `SWEEP_TEST_SLOTS` sets
/// the number of slots (default: the cores).
public actor HeavySlots {
    /// The slots every `.heavy` test shares.
    public static let shared = HeavySlots(count: ProcessInfo.processInfo.environment["SWEEP_TEST_SLOTS"].flatMap(Int.init)
                                              ?? ProcessInfo.processInfo.activeProcessorCount)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = max(1, count) }

    /// Waits for a slot, first come first served.
    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the slot to the longest waiter, or frees it.
    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// The trait of a heavy test (or of a suite whose every test is heavy): see `HeavySlots`. Each test
/// case holds a slot while it runs and prints how long it waited and ran, which is what to look at
/// when a time limit passes.
public struct HeavyTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        let clock = ContinuousClock()
        let asked = clock.now
        await HeavySlots.shared.acquire()
        let started = clock.now
        func report() {
            func seconds(_ duration: Duration) -> String {
                String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
            }
            print("heavy: \(test.name) waited \(seconds(started - asked)) s for a slot, ran \(seconds(clock.now - started)) s")
        }
        do {
            try await function()
        } catch {
            await HeavySlots.shared.release()
            report()
            throw error
        }
        await HeavySlots.shared.release()
        report()
    }
}

extension Trait where Self == HeavyTrait {
    /// A heavy test: at most one per core runs at a time (see `HeavySlots`).
    public static var heavy: Self { HeavyTrait() }
}

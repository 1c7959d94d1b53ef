import Foundation
import Testing
import Training
import SweepCore

/// The seed of a test that draws at random: fresh each run, so that runs cover more ground, and
/// printed, so that a failure can be replayed with `SWEEP_TEST_SEED=<seed> swift test --filter <test>`.
public enum TestSeed {
    /// `SWEEP_TEST_SEED` when it is set, else a fresh seed; printed with the way to replay it.
    public static func draw(_ test: String = #function) -> UInt64 {
        let name = test.hasSuffix("()") ? String(test.dropLast(2)) : test
        let given = ProcessInfo.processInfo.environment["SWEEP_TEST_SEED"]
        var seed = UInt64.random(in: .min ... .max)
        if let given {
            if let parsed = UInt64(given) {
                seed = parsed
            } else {
                // A seed that was asked for but cannot be used must not pass silently as a fresh one.
                Issue.record("SWEEP_TEST_SEED must be a whole number from 0 to \(UInt64.max), got '\(given)'")
            }
        }
        print("\(name): seed \(seed) (replay with SWEEP_TEST_SEED=\(seed) swift test --filter \(name))")
        return seed
    }

    /// A generator seeded by `draw(test)`.
    public static func generator(_ test: String = #function) -> SplitMix64 { SplitMix64(seed: draw(test)) }
}

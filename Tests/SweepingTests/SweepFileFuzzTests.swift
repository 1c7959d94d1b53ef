import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Sweeping

/// The sweep-file reader against ten thousand hostile files: each parses (and its first trials can be
/// computed) or is refused with one `SpecError` line (exit 65 in the CLI); a trap would end the test run.
@Suite("Sweep file fuzzing")
struct SweepFileFuzzTests {
    @Test(.timeLimit(.minutes(2))) func tenThousandHostileFilesParseOrGetOneLine() {
        var fuzzer = SweepFileFuzzer(seed: 2026)
        let clock = ContinuousClock()
        let start = clock.now
        var parsed = 0, refused = 0
        var messages = Set<String>()
        for number in 0..<10_000 {
            let text = fuzzer.next()
            do {
                let spec = try SweepSpec(yaml: text, file: "fuzz.yaml")
                // What `sweep check` and the coordinator do next: count, and compute the first trials.
                for trial in spec.space.prefix(5) {
                    _ = trial.id
                    _ = try? trial.config!.validate()
                    #expect(spec.space.admits(trial.config!), "file \(number): trial \(trial.id) is not in its own sweep")
                }
                _ = spec.space.last
                parsed += 1
            } catch {
                refused += 1
                let line = error.description
                #expect(line.hasPrefix("fuzz.yaml"), "file \(number): \(line)")
                #expect(!line.contains("\n") && !line.contains("\r"), "file \(number): more than one line: \(line)")
                #expect(line.count < 600, "file \(number): \(line.count) characters")
                messages.insert(error.message.prefix(30).description)
            }
        }
        let elapsed = start.duration(to: clock.now)
        print("sweep file fuzzing: 10000 files, \(parsed) parsed, \(refused) refused with \(messages.count) kinds of "
              + "message, in \(elapsed)")
        // The fuzzer must reach both sides, or it tests nothing.
        #expect(parsed > 500 && refused > 5000)
    }

    @Test func theNestingScanCountsWhatTheComposerWouldRecurseInto() {
        #expect(NestingScan.firstLineDeeperThan(64, in: SweepFileFuzzer.seeds[1]) == nil)
        #expect(NestingScan.firstLineDeeperThan(64, in: "a: " + String(repeating: "[", count: 65)) == 1)
        #expect(NestingScan.firstLineDeeperThan(64, in: "a:\n  - " + String(repeating: "- ", count: 70) + "x") == 2)
        // Brackets inside quotes, comments and block scalars are text, not nesting.
        #expect(NestingScan.firstLineDeeperThan(8, in: "a: \"[[[[[[[[[[\" # [[[[[[[[[[\nb: |\n  [[[[[[[[[[[\nc: 1\n") == nil)
    }
}

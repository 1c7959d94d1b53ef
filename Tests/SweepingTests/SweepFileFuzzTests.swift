import Foundation
import SweepTestSupport
import Testing
import Training
@testable import Sweeping
@testable import SweepFiles

/// The sweep-file reader against ten thousand hostile files: each parses (and its first trials can be
/// computed) or is refused with one or more clear `SpecError` lines, one per mistake (exit 65 in the
/// CLI); a trap would end the test run.
@Suite("Sweep file fuzzing")
struct SweepFileFuzzTests {
    /// Seconds of CPU (8 s in a debug build here): a heavy test, on a thread of its own.
    @Test(.heavy, .timeLimit(.minutes(10))) func tenThousandHostileFilesParseOrGetClearLines() async throws {
        try await OffThread.run(Self.tenThousandHostileFiles)
    }

    static func tenThousandHostileFiles() {
        var fuzzer = SweepFileFuzzer(seed: 2026)
        let clock = ContinuousClock()
        let start = clock.now
        var parsed = 0, refused = 0, several = 0, most = 0
        var messages = Set<String>()
        for number in 0..<10_000 {
            let text = fuzzer.next()
            do {
                let spec = try SweepSpec(yaml: text, file: "fuzz.yaml")
                // What `sweep check` and the coordinator do next: count, and compute the first trials.
                for trial in spec.space.prefix(5) {
                    _ = trial.id
                    _ = try? trial.config?.validate()
                    #expect(spec.space.admits(trial.point), "file \(number): trial \(trial.id) is not in its own sweep")
                }
                _ = spec.space.last
                parsed += 1
            } catch {
                refused += 1
                let problems = error.problems
                if problems.count > 1 { several += 1 }
                most = max(most, problems.count)
                for (problem, line) in zip(problems, problems.map(\.description)) {
                    #expect(line.hasPrefix("fuzz.yaml"), "file \(number): \(line)")
                    #expect(!line.contains("\n") && !line.contains("\r"), "file \(number): more than one line: \(line)")
                    #expect(line.count < 600, "file \(number): \(line.count) characters")
                    // Several mistakes are each placed: `fuzz.yaml:line: key: …`.
                    if problems.count > 1 {
                        #expect(problem.line != nil && problem.key != nil, "file \(number): \(line)")
                    }
                    messages.insert(problem.message.prefix(30).description)
                }
                // In file order, as an editor lists them.
                #expect(problems.map { $0.line ?? 0 } == problems.map { $0.line ?? 0 }.sorted(), "file \(number)")

            }
        }
        let elapsed = start.duration(to: clock.now)
        print("sweep file fuzzing: 10000 files, \(parsed) parsed, \(refused) refused (\(several) with several mistakes, "
              + "at most \(most)) with \(messages.count) kinds of message, in \(elapsed)")
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

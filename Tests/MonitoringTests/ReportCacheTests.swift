import Foundation
import Synchronization
import Testing
@testable import Monitoring
import ResultsStore
import SweepTestSupport

/// `sweep serve`'s reports: made once per change of the folder, however many ask at once, off the
/// requests' threads, and made again when any file the report reads changes.
@Suite("Report cache", .timeLimit(.minutes(1)))
struct ReportCacheTests {
    /// A renderer that counts its renders and holds each until the test lets it go (it runs on a
    /// thread of the cache's own, so it may block).
    final class Renderer: Sendable {
        let renders = Mutex(0)
        private let gate = DispatchSemaphore(value: 0)

        func render(_ path: String) -> String {
            let count = renders.withLock { $0 += 1; return $0 }
            gate.wait()
            return "report \(count) of \(path)"
        }

        /// Lets one render finish.
        func release() { gate.signal() }

        var count: Int { renders.withLock { $0 } }
    }

    @Test func theSignatureChangesWithTheTimelineAndTheRuns() throws {
        let scratch = Scratch()
        scratch.write("trial,status\n", to: "trials.csv")
        let folder = ResultsDirectory(scratch.path)
        let before = FolderSignature(scratch.path)
        #expect(FolderSignature(scratch.path) == before, "nothing changed")
        try (Timeline.header + "\n").write(toFile: folder.timeline, atomically: false, encoding: .utf8)
        let withTimeline = FolderSignature(scratch.path)
        #expect(withTimeline != before, "timeline.csv appeared")
        try scratch.append("1.000,start,a,w1,1\n", to: "timeline.csv")
        let grown = FolderSignature(scratch.path)
        #expect(grown != withTimeline, "timeline.csv grew")
        scratch.write("started,finished\n", to: "runs.csv")
        #expect(FolderSignature(scratch.path) != grown, "runs.csv appeared")
    }

    @Test func twoAskingAtOnceShareOneRender() async throws {
        let scratch = Scratch()
        scratch.write("trial,status\n", to: "trials.csv")
        let renderer = Renderer()
        let cache = ReportCache(render: renderer.render)
        let path = scratch.path
        async let first = cache.report(path)
        async let second = cache.report(path)
        // Both wait on the one render, which is held until they do.
        // (The render's thread may start after both are waiting: await its count too.)
        #expect(await Processes.await(seconds: 20) { cache.waiting(path) == 2 && renderer.count == 1 },
                "waiting: \(cache.waiting(path)), renders: \(renderer.count)")
        renderer.release()
        let (a, b) = await (first, second)
        #expect(a.report == "report 1 of \(path)" && b.report == a.report && a.signature == b.signature)
        #expect(renderer.count == 1, "one render for two asks")
        // Unchanged: the same report, no render; changed: a new one.
        #expect(await cache.report(path).report == a.report && cache.fresh(path)?.report == a.report && renderer.count == 1)
        try scratch.append("x,completed\n", to: "trials.csv")
        #expect(cache.fresh(path) == nil, "the folder changed")
        async let third = cache.report(path)
        #expect(await Processes.await(seconds: 20) { cache.waiting(path) == 1 && renderer.count == 2 })
        renderer.release()
        #expect(await third.report == "report 2 of \(path)" && renderer.count == 2)
    }

    @Test func whoAsksAfterAChangeDuringARenderGetsTheNextOne() async throws {
        let scratch = Scratch()
        scratch.write("trial,status\n", to: "trials.csv")
        let renderer = Renderer()
        let cache = ReportCache(render: renderer.render)
        let path = scratch.path
        async let early = cache.report(path)
        #expect(await Processes.await(seconds: 20) { cache.waiting(path) == 1 && renderer.count == 1 })
        try scratch.append("x,completed\n", to: "trials.csv")
        async let late = cache.report(path)
        #expect(await Processes.await(seconds: 20) { cache.waiting(path) == 2 })
        #expect(renderer.count == 1, "the second render waits for the first")
        renderer.release()
        #expect(await early.report == "report 1 of \(path)")
        #expect(await Processes.await(seconds: 20) { renderer.count == 2 })
        renderer.release()
        let made = await late
        #expect(made.report == "report 2 of \(path)" && made.signature == FolderSignature(path))
    }
}

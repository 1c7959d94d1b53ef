import Foundation
import Testing
@testable import Reporting
import ResultsStore
import Sweeping
import SweepTestSupport

/// The worker timeline's stretches, from the events the coordinator writes.
@Suite("Worker timeline")
struct WorkerTimelineTests {
    @Test func stretchesEndAsTheirTrialsDid() throws {
        let text = Timeline.header + "\n" + [
            Timeline.Event(time: 100, kind: .start, trial: "a", worker: "w1", detail: "1"),
            Timeline.Event(time: 100, kind: .start, trial: "b", worker: "w2", detail: "1"),
            Timeline.Event(time: 102, kind: .pause, trial: "a", detail: "3"),
            Timeline.Event(time: 103, kind: .lost, trial: "b", worker: "w2"),
            Timeline.Event(time: 104, kind: .promote, trial: "a", detail: "3"),
            Timeline.Event(time: 104, kind: .start, trial: "a", worker: "w2", detail: "1"),
            Timeline.Event(time: 104, kind: .resume, trial: "a", worker: "w2", detail: "3"),
            Timeline.Event(time: 105, kind: .start, trial: "b", worker: "w1", detail: "2"),
            Timeline.Event(time: 106, kind: .stop, trial: "a", detail: "9"),
            Timeline.Event(time: 107, kind: .end, trial: "a", worker: "w2", detail: "stopped"),
        ].map(\.line).joined() + "108.5,start,c,w2\n" + "not,a,row\n" + "109,start,c,w2,1\n"
        let scratch = Scratch()
        scratch.write(text, to: "timeline.csv")
        let events = Timeline.read(scratch.file("timeline.csv"))
        #expect(events.count == 11, "the two rows that do not read are left out")
        let stretches = Report.stretches(events, origin: 100)
        let seen = stretches.map { "\($0.trial)@\($0.worker) \($0.start)–\($0.end) \($0.ending)\($0.resumed.map { " from \($0)" } ?? "")" }
        #expect(seen == ["a@w1 0.0–2.0 paused", "b@w2 0.0–3.0 lost", "a@w2 4.0–7.0 stopped from 3",
                         "b@w1 5.0–9.0 running", "c@w2 9.0–9.0 running"], "\(seen)")
    }

    /// The stretches as text: `trial@worker start–end ending`.
    static func seen(_ stretches: [Report.Stretch]) -> [String] {
        stretches.map { "\($0.trial)@\($0.worker) \($0.start)–\($0.end) \($0.ending)" }
    }

    @Test func aWorkerFreedByAHeldResultEndsItsStretchWhereItStartsTheNext() {
        // a's result is held for an earlier decision: its worker starts b before a's end is written.
        let events = [
            Timeline.Event(time: 100, kind: .start, trial: "a", worker: "w1", detail: "1"),
            Timeline.Event(time: 100, kind: .start, trial: "z", worker: "w2", detail: "1"),
            Timeline.Event(time: 105, kind: .start, trial: "b", worker: "w1", detail: "1"),
            Timeline.Event(time: 108, kind: .end, trial: "a", worker: "w1", detail: "completed"),
            Timeline.Event(time: 110, kind: .end, trial: "b", worker: "w1", detail: "stopped"),
            Timeline.Event(time: 111, kind: .end, trial: "z", worker: "w2", detail: "completed"),
        ]
        let stretches = Report.stretches(events, origin: 100)
        #expect(Self.seen(stretches) == ["a@w1 0.0–5.0 completed", "b@w1 5.0–10.0 stopped", "z@w2 0.0–11.0 completed"],
                "\(Self.seen(stretches))")
        for worker in ["w1", "w2"] {
            let bars = stretches.filter { $0.worker == worker }.sorted { $0.start < $1.start }
            #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.end <= $1.start }, "no two bars of \(worker) overlap: \(Self.seen(bars))")
        }
    }

    @Test func aStretchEndsWithTheRunItBeganIn() {
        // The first run (100–120) was stopped while c trained; the second (200–300) started it again.
        // A run that left no row (150–160, killed) ends at the next run's start; d is still running.
        let runs = [ResultStore.Run(started: 100, finished: 120, workers: ["w1"], hosts: ["h"], outcome: .stopped),
                    ResultStore.Run(started: 200, finished: 300, workers: ["w1"], hosts: ["h"], outcome: .finished)]
        let events = [
            Timeline.Event(time: 110, kind: .start, trial: "c", worker: "w1", detail: "1"),
            Timeline.Event(time: 150, kind: .start, trial: "e", worker: "w2", detail: "1"),
            Timeline.Event(time: 205, kind: .start, trial: "c", worker: "w1", detail: "2"),
            Timeline.Event(time: 206, kind: .start, trial: "e", worker: "w2", detail: "2"),
            Timeline.Event(time: 215, kind: .end, trial: "c", worker: "w1", detail: "completed"),
            Timeline.Event(time: 216, kind: .start, trial: "d", worker: "w1", detail: "1"),
            Timeline.Event(time: 220, kind: .end, trial: "e", worker: "w2", detail: "completed"),
        ]
        let stretches = Report.stretches(events, runs: runs, origin: 100)
        #expect(Self.seen(stretches) == ["c@w1 10.0–20.0 lost", "e@w2 50.0–100.0 lost", "c@w1 105.0–115.0 completed",
                                         "e@w2 106.0–120.0 completed", "d@w1 116.0–120.0 running"], "\(Self.seen(stretches))")
        // Without runs.csv (a folder from before it was kept), as the events alone say.
        #expect(Self.seen(Report.stretches(Array(events.prefix(3)), origin: 100)) == ["c@w1 10.0–105.0 lost", "e@w2 50.0–105.0 running", "c@w1 105.0–105.0 running"])
    }

    @Test func stretchesStillOpenComeByStartThenTrial() {
        let trials = (0..<20).map { String(format: "t%02d", ($0 * 7) % 20) }
        let events = trials.map { Timeline.Event(time: 100, kind: .start, trial: $0, worker: "w" + $0, detail: "1") }
            + [Timeline.Event(time: 99, kind: .start, trial: "z", worker: "wz", detail: "1")]
        #expect(Report.stretches(events, origin: 99).map(\.trial) == ["z"] + trials.sorted())
    }

    @Test func workersAlikeAsNumbersComeInOneOrder() throws {
        // Names a numeric comparison calls the same (w1, w01, w001) are ordered by their text.
        let workers = ["w10", "w03", "w1", "w2", "w001", "w3", "w02", "w01"]
        var data = ReportData(directory: "", name: "workers", specText: nil, plannedTrials: nil, metric: Metric(),
                              records: [], epochs: [:], runs: [])
        data.timeline = workers.enumerated().flatMap { index, worker in
            [Timeline.Event(time: 100, kind: .start, trial: "t\(index)", worker: worker, detail: "1"),
             Timeline.Event(time: 101, kind: .end, trial: "t\(index)", worker: worker, detail: "completed")]
        }
        let html = Report(data: data).render()
        let timeline = html.components(separatedBy: "data-chart=\"timeline\"")[1].components(separatedBy: "</figure>")[0]
        let labels = ReportSizeTests.svgTexts(timeline).filter { $0.hasPrefix("w") && !$0.contains(" ") }
        #expect(labels == ["w001", "w01", "w1", "w02", "w2", "w03", "w3", "w10"], "\(labels)")
    }
}

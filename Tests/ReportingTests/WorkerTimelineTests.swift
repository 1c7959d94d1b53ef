import Foundation
import Testing
@testable import Reporting
import ResultsStore
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
}

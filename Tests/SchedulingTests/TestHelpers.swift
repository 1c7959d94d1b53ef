import Foundation
import Scheduling
import Sweeping
import Training
import SweepCore
import SweepFiles

/// What must be the same however a sweep ran: each trial's id, position, status, stop and figures.
func outcomes(_ records: [TrialRecord]) -> [String] {
    records.map { record in
        var copy = record
        copy.seconds = 0
        copy.attempts = 0
        copy.epochsTrained = nil  // the work faults cost differs by design
        copy.worker = ""
        copy.host = ""
        return copy.fields.joined(separator: ",")
    }.sorted()
}

extension SweepSpec {
    /// A spec from YAML lines, or a test failure.
    static func test(_ text: String) -> SweepSpec {
        do {
            return try SweepSpec(yaml: text, file: "test.yaml")
        } catch {
            fatalError("bad test sweep: \(error)")
        }
    }
}

import Training
import SweepCore

/// A member's schedule in population-based training: its stretches from the first generation on,
/// each the trial whose final checkpoint the next one continued (its own member's, or the one it
/// copied). Its values, stretch by stretch, are the schedule a sweep found.
public struct MemberSchedule: Sendable {
    /// The stretches, first generation first.
    public let stretches: [TrialRecord]

    /// The last stretch: the member as it ended.
    public var last: TrialRecord { stretches[stretches.count - 1] }

    /// The chain that ends in `record`, following `parent` back through `byID`; nil where a parent is
    /// missing from the records (or the chain loops, which a folder of one sweep never holds).
    public static func chain(ending record: TrialRecord, byID: [String: TrialRecord]) -> MemberSchedule? {
        var stretches = [record]
        var seen: Set<String> = [record.id]
        while let parent = stretches[stretches.count - 1].point.lineage?.parent {
            guard let earlier = byID[parent], seen.insert(parent).inserted else { return nil }
            stretches.append(earlier)
        }
        return MemberSchedule(stretches: stretches.reversed())
    }

    /// Each member's schedule up to the latest stretch recorded for it, in member order (a member
    /// whose chain is broken is left out). Linear in the records.
    public static func latest(in records: [TrialRecord]) -> [MemberSchedule] {
        var byID: [String: TrialRecord] = [:], latest: [Int: TrialRecord] = [:]
        for record in records {
            byID[record.id] = record
            guard let lineage = record.point.lineage else { continue }
            if latest[lineage.member].map({ $0.point.lineage!.generation < lineage.generation }) ?? true { latest[lineage.member] = record }
        }
        return latest.keys.sorted().compactMap { chain(ending: latest[$0]!, byID: byID) }
    }

    /// What a ranking of `records` ranks: with population-based training each member once, by its
    /// latest stretch; else every record.
    public static func ranked(_ records: [TrialRecord]) -> [TrialRecord] {
        records.first?.layout.population == true ? latest(in: records).map(\.last) : records
    }

    /// The configurations trained, stretch by stretch: each one's `epochs` is where its stretch ends.
    public var configs: [TrainingConfig] { stretches.map(\.config) }

    /// The schedule for people: each of `names` whose value changes, as `name a → b @10 → c @25` (the
    /// value from the epoch after `@`, repeats left out), and where the member copied another
    /// (`copied a better member at epoch 10`).
    public func text(_ names: [String]) -> String {
        var parts: [String] = []
        for name in names {
            var steps: [String] = [], last: String?
            for (index, record) in stretches.enumerated() {
                let text: String
                switch record.point[name] {
                case .real(let x)?: text = DisplayNumber.number(x)
                case let value?: text = record.layout.runner.cell(value, column: name)
                case nil: text = "-"
                }
                guard text != last else { continue }
                steps.append(index == 0 ? text : "\(text) @\(stretches[index - 1].config.epochs)")
                last = text
            }
            if steps.count > 1 { parts.append("\(name) " + steps.joined(separator: " → ")) }
        }
        var copies: [String] = []
        for (index, stretch) in stretches.enumerated().dropFirst() {
            let member = stretch.point.lineage?.member
            if stretches[index - 1].point.lineage?.member != member { copies.append("\(stretches[index - 1].config.epochs)") }
        }
        if parts.isEmpty { parts.append("values kept throughout") }
        if !copies.isEmpty { parts.append("copied a better member at epoch \(copies.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}

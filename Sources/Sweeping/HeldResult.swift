import Foundation
import Training

/// A finished trial whose row cannot be written yet: early termination has not decided, for want of
/// earlier trials' figures, whether it was stopped at a rung. It is kept durably in `held.jsonl` (one
/// JSON object per line) so that its worker can be acknowledged and move on; its row goes to
/// `trials.csv` once the decisions are taken, and a resumed sweep reads it back.
public struct HeldResult: Codable, Equatable, Sendable {
    /// The trial id.
    public var trial: String
    /// Its position in the sweep.
    public var number: Int
    /// What the worker reported.
    public var outcome: TrainingResult

    /// A held result.
    public init(trial: String, number: Int, outcome: TrainingResult) {
        self.trial = trial
        self.number = number
        self.outcome = outcome
    }

    /// Its line in `held.jsonl` (with "\n"); non-finite numbers as strings, as on the wire.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"  // plain values: cannot fail
    }

    /// Reads a line; nil if it is not one (a torn last line, say).
    public init?(line: Substring) {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let value = try? decoder.decode(HeldResult.self, from: Data(line.utf8)) else { return nil }
        self = value
    }
}

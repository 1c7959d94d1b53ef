import Foundation
import SweepTestSupport
import Sweeping
import Testing
@testable import Training
@testable import sweep
import Wire

/// The table-driven test of the hyperparameter table: each hyperparameter, away from its default,
/// survives `sweep train`'s flag, the wire, a checkpoint header and a `trials.csv` row, and changes the
/// trial id. A hyperparameter added to the table is covered without editing this test; one whose flag
/// was not declared, or that one of these paths drops, fails it.
extension TrainCommandTests {
    /// `sweep train`'s arguments for `config`: the flag of each hyperparameter away from its default.
    static func arguments(for config: TrainingConfig) -> [String] {
        Hyperparameter.allCases.flatMap { parameter -> [String] in
            let value = config[parameter]
            if value == TrainingConfig()[parameter] { return [] }
            if case .flag(true) = value { return [parameter.flag] }
            return [parameter.flag, value.description]
        }
    }

    @Test(arguments: Hyperparameter.allCases)
    func everyHyperparameterRoundTripsThroughItsFlagTheWireACheckpointAndACSVRow(_ parameter: Hyperparameter) throws {
        let value = HyperparameterSamples.value(parameter)
        let config = try #require(HyperparameterSamples.config(parameter),
                                  "no context in HyperparameterSamples admits \(parameter.rawValue) = \(value)")
        var context = config
        context[parameter] = TrainingConfig()[parameter]
        #expect(config.trialID != context.trialID, "the trial id ignores \(parameter.rawValue)")

        // The flag.
        let arguments = Self.arguments(for: config)
        #expect(arguments.contains(parameter.flag))
        let flags = try TrainingOptions.parse(arguments).config
        #expect(flags[parameter] == value, "\(arguments.joined(separator: " ")) gave \(flags[parameter])")
        #expect(flags == config)

        // The wire: a trial, a worker's hello that claims it, and its result.
        for message in [Message.trial(id: config.trialID, number: 3, config: config),
                        .hello(.init(worker: "w:1", host: "w", pid: 1, running: config.trialID, number: 3, config: config)),
                        .result(trial: config.trialID, number: 3, outcome: TrainingResult(config: config, epochs: [], status: .failed))] {
            switch try Message.decode(message.encoded()) {
            case .trial(_, _, let wire, _): #expect(wire == config)
            case .hello(let hello): #expect(hello.config == config)
            case .result(_, _, let outcome): #expect(outcome.config == config)
            default: Issue.record("\(message) came back as another message")
            }
        }

        // A checkpoint's header.
        let sizes = [FashionMNIST.pixelsPerImage] + config.hidden + [FashionMNIST.classes]
        let count = TrainingCheckpoint.parameterCount(layerSizes: sizes)
        let checkpoint = TrainingCheckpoint(
            config: config, layerSizes: sizes, epochs: [], epoch: 1, sample: 0, lossTotal: 0, batches: 0, augmentState: 0,
            steps: 0, parameters: [Float](repeating: 0.5, count: count),
            optimizerState: Array(repeating: [Float](repeating: 0, count: count), count: Optimizer.stateBufferCount(config)))
        #expect(try TrainingCheckpoint(decoding: checkpoint.encoded()).config == config)

        // A trials.csv row.
        let record = TrialRecord(failed: Trial(config: config), reason: "", attempts: 1, worker: "w:1", host: "w", number: 3, layout: .trainer)
        let line = CSV.line(record.fields)
        let header = Dictionary(uniqueKeysWithValues: RecordLayout.trainer.columns.enumerated().map { ($1, $0) })
        let row = try TrialRecord(fields: try #require(CSV.fields(line.dropLast())), header: header, layout: .trainer)
        #expect(row.config == config && row.id == config.trialID, "\(line)")
    }
}

import Foundation
import SweepTestSupport
import Testing
@testable import Training

/// The hyperparameter table and `TrainingConfig` agree: every stored property has a row, every row
/// and direct read is of the property named after its case, and JSON keeps the table's rules (the
/// sweep keys, added hyperparameters optional with their defaults, unset ones left out).
@Suite("Hyperparameter table")
struct TrainingConfigTableTests {
    /// Each stored property of `config` by name, as text.
    static func properties(_ config: TrainingConfig) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Mirror(reflecting: config).children.map { ($0.label ?? "?", "\($0.value)") })
    }

    @Test func everyStoredPropertyHasARow() {
        // A property without a row would be trained with but missing from ids, messages, checkpoints and CSV.
        let properties = Mirror(reflecting: TrainingConfig()).children.map { $0.label ?? "?" }
        let cases = Hyperparameter.allCases.map { "\($0)" }
        #expect(Set(properties) == Set(cases), "properties without a row: \(Set(properties).subtracting(cases).sorted())")
        #expect(properties.count == cases.count)
    }

    @Test(arguments: Hyperparameter.allCases)
    func theRowAndTheReadAreOfThePropertyNamedAfterTheCase(_ parameter: Hyperparameter) {
        let value = HyperparameterSamples.value(parameter)
        var config = TrainingConfig()
        config[parameter] = value  // through the row's key path
        #expect(config[parameter] == value, "value(in:) reads another property than the row writes")
        let before = Self.properties(TrainingConfig()), after = Self.properties(config)
        #expect(after.keys.filter { before[$0] != after[$0] } == ["\(parameter)"])
        #expect(parameter.kind != .real || parameter.bounds != nil)
    }

    @Test func eachCasesOrdinalIsItsPositionSoItReadsItsOwnRow() {
        // `row` is looked up by `ordinal`: a wrong position would hand a case another's key path.
        #expect(Hyperparameter.allCases.map(\.ordinal) == Array(Hyperparameter.allCases.indices))
    }

    @Test func optionalHyperparametersDefaultToUnset() {
        // Codable reads an absent optional key as unset, which is its default only if this holds.
        for parameter in Hyperparameter.allCases where parameter.isOptional {
            #expect(TrainingConfig()[parameter] == .unset, "\(parameter.rawValue)")
        }
    }

    @Test func jsonKeysAreTheSweepKeysAndUnsetOnesAreLeftOut() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingConfig())) as? [String: Any])
        #expect(Set(object.keys) == Set(Hyperparameter.allCases.filter { !$0.isOptional }.map(\.rawValue)))
        var every = TrainingConfig()
        for parameter in Hyperparameter.allCases { every[parameter] = HyperparameterSamples.value(parameter) }
        let all = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(every)) as? [String: Any])
        #expect(Set(all.keys) == Set(Hyperparameter.allCases.map(\.rawValue)))
        #expect(try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(every)) == every)
    }

    @Test(arguments: Hyperparameter.allCases)
    func aKeyMissingFromOldJSONIsItsDefaultIfAddedSinceTheFirstReleaseAndAnErrorIfNot(_ parameter: Hyperparameter) throws {
        var config = TrainingConfig()
        for other in Hyperparameter.allCases { config[other] = HyperparameterSamples.value(other) }
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        object[parameter.rawValue] = nil
        let bytes = try JSONSerialization.data(withJSONObject: object)
        if parameter.isAdded || parameter.isOptional {
            var expected = config
            expected[parameter] = TrainingConfig()[parameter]
            #expect(try JSONDecoder().decode(TrainingConfig.self, from: bytes) == expected)
        } else {
            #expect {
                try JSONDecoder().decode(TrainingConfig.self, from: bytes)
            } throws: { error in
                guard case DecodingError.keyNotFound(let key, _) = error else { return false }
                return key.stringValue == parameter.rawValue
            }
        }
    }

    @Test func aSeedBeyondIntMaxDecodesAndIsRefusedByValidation() throws {
        // As before the table: the seed is kept as UInt64, so such a hand-made value reads, then fails `check`.
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingConfig())) as? [String: Any])
        object["seed"] = UInt64.max
        let config = try JSONDecoder().decode(TrainingConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(config.seed == UInt64.max && config[.seed] == .whole(-1))
        #expect(throws: ConfigError(.seed, value: "-1", "must be from 0 to 9007199254740991")) { try config.validate() }
        #expect(String(decoding: try JSONEncoder().encode(config), as: UTF8.self).contains("\"seed\":18446744073709551615"))
    }
}

import Foundation
import SweepCore
import Training

/// A schedule file for `sweep train --schedule`: what `sweep rank --json` prints for a sweep of
/// `method: pbt` (its first row's `schedule`), one such row, or the `schedule` list itself. Each
/// stretch is `{"epochs": N, "parameters": {name: value, ...}}`: the hyperparameters it trains with
/// until epoch N (those not named keep their defaults).
enum ScheduleFile {
    /// A JSON value, as much of JSON as a hyperparameter's value needs.
    private enum Value: Decodable {
        case null, bool(Bool), int(Int), real(Double), text(String), list([Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
            else if let whole = try? container.decode(Int.self) { self = .int(whole) }
            else if let number = try? container.decode(Double.self) { self = .real(number) }
            else if let text = try? container.decode(String.self) { self = .text(text) }
            else { self = .list(try container.decode([Value].self)) }
        }

        var parameterValue: ParameterValue {
            switch self {
            case .null: .null
            case .bool(let flag): .bool(flag)
            case .int(let whole): .int(whole)
            case .real(let number): .real(number)
            case .text(let text): .string(text)
            case .list(let items): .list(items.map(\.parameterValue))
            }
        }
    }

    private struct Stretch: Decodable {
        var epochs: Int
        var parameters: [String: Value]
    }

    private struct Row: Decodable {
        var schedule: [Stretch]?
    }

    /// The largest schedule file read: a schedule is a few kilobytes.
    static let maximumSize = 4 << 20

    /// The stretches `text` holds, as configurations; throws a one-line reason naming what is wrong.
    static func stretches(from data: Data) throws(ScheduleReplay.Problem) -> [TrainingConfig] {
        guard data.count <= maximumSize else { throw .init(description: "is \(data.count) bytes; a schedule file has at most \(maximumSize)") }
        let decoder = JSONDecoder()
        let stretches: [Stretch]
        if let rows = try? decoder.decode([Row].self, from: data), let first = rows.first(where: { $0.schedule != nil }) {
            stretches = first.schedule!
        } else if let row = try? decoder.decode(Row.self, from: data), let schedule = row.schedule {
            stretches = schedule
        } else if let list = try? decoder.decode([Stretch].self, from: data) {
            stretches = list
        } else {
            throw .init(description: "holds no schedule: give what `sweep rank --json` prints for a sweep of method: pbt, one of its rows, "
                        + "or its \"schedule\" list ({\"epochs\": N, \"parameters\": {...}} per stretch)")
        }
        return try stretches.enumerated().map { (index, stretch) throws(ScheduleReplay.Problem) -> TrainingConfig in
            var config = TrainingConfig()
            for (name, value) in stretch.parameters.sorted(by: { $0.key < $1.key }) {
                guard let parameter = Hyperparameter(rawValue: name) else {
                    let hint = Suggestion.didYouMean(name, in: Hyperparameter.allCases.map(\.rawValue)).map { "; \($0)" } ?? ""
                    throw .init(description: "stretch \(index + 1): '\(name.prefix(40))' is not a hyperparameter\(hint)")
                }
                guard let typed = parameter.value(value.parameterValue) else {
                    throw .init(description: "stretch \(index + 1): \(name) \(value.parameterValue.jsonText.prefix(40)) is not \(parameter.kind.article)")
                }
                config[parameter] = typed
            }
            config.epochs = stretch.epochs
            return config
        }
    }
}

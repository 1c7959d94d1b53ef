import Foundation
import Training
import SweepCore

/// Writes epochs and the summary as text lines or JSON objects, flushing each line at once.
struct EpochPrinter {
    let json: Bool
    let epochs: Int

    func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    func epoch(_ metrics: EpochMetrics) {
        if json {
            line(encode([
                "epoch": .int(metrics.epoch), "train_loss": .double(metrics.trainLoss),
                "test_loss": .double(metrics.testLoss), "test_accuracy": .double(metrics.testAccuracy),
                "seconds": .double(metrics.seconds),
            ]))
        } else {
            let width = String(epochs).count
            let number = String(repeating: " ", count: max(0, width - String(metrics.epoch).count)) + "\(metrics.epoch)"
            line("epoch \(number)/\(epochs)  train_loss \(fixed(metrics.trainLoss, 4))  "
                 + "test_loss \(fixed(metrics.testLoss, 4))  test_accuracy \(fixed(metrics.testAccuracy, 4))  "
                 + "\(fixed(metrics.seconds, 2)) s")
        }
    }

    func summary(_ result: TrainingResult) {
        let final = result.final, best = result.best
        if json {
            var fields: [String: JSONValue] = [
                "status": .string(result.status.rawValue), "epochs": .int(result.epochs.count),
                "seconds": .double(result.seconds),
            ]
            if let final {
                fields["final_train_loss"] = .double(final.trainLoss)
                fields["final_test_loss"] = .double(final.testLoss)
                fields["final_test_accuracy"] = .double(final.testAccuracy)
            }
            if let best {
                fields["best_test_loss"] = .double(best.testLoss)
                fields["best_epoch"] = .int(best.epoch)
            }
            line(encode(fields))
        } else if let final {
            var text = "\(result.status.rawValue): final test_loss \(fixed(final.testLoss, 4)) "
                + "test_accuracy \(fixed(final.testAccuracy, 4))"
            if let best { text += ", best test_loss \(fixed(best.testLoss, 4)) at epoch \(best.epoch)" }
            line(text + ", \(fixed(result.seconds, 1)) s")
        }
    }
}

/// The JSON values the CLI prints: doubles at full precision, non-finite ones as strings.
enum JSONValue {
    case int(Int), double(Double), string(String)

    var text: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? "\(value)" : "\"\(value)\""
        // The encoder escapes quotes, backslashes and control characters.
        case .string(let value): return String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
        }
    }
}

/// One JSON object on one line, keys sorted so output is stable.
func encode(_ fields: [String: JSONValue]) -> String {
    "{" + fields.keys.sorted().map { "\"\($0)\":\(fields[$0]!.text)" }.joined(separator: ",") + "}"
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    value.isFinite ? String(format: "%.\(digits)f", value) : "\(value)"  // "nan", not printf's "-nan"

}

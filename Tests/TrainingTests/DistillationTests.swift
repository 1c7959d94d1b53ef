import Foundation
import Testing
@testable import Training

/// Knowledge distillation: the loss's gradient by finite differences, its limits, and teacher files.
@Suite("Distillation")
struct DistillationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var temperature: Double
        var alpha: Double
        var testDescription: String { "T \(temperature), α \(alpha)" }
    }

    static let cases = [Case(temperature: 1, alpha: 0.5), Case(temperature: 4, alpha: 0.9), Case(temperature: 2, alpha: 1),
                        Case(temperature: 8, alpha: 0.3)]

    /// A fixed teacher's logits for the four inputs of `GradientCheckTests.network`: a 6-8-3 network of another seed.
    static func teacherLogits(for model: MLP) -> [Float] {
        let teacher = MLP(layerSizes: [6, 8, 3], seed: 42, capacity: 4)
        teacher.input.update(from: model.input, count: 4 * 6)
        let labels: [UInt8] = [0, 0, 0, 0]
        labels.withUnsafeBufferPointer { _ = teacher.forward(rows: 4, labels: $0.baseAddress!, training: false) }
        return Array(UnsafeBufferPointer(start: teacher.logits, count: 4 * 3))
    }

    @Test(arguments: cases)
    func finiteDifferencesMatchTheDistillationGradient(_ testCase: Case) {
        let (model, labels) = GradientCheckTests.network(seed: 7)
        let teacher = Self.teacherLogits(for: model)
        func objective() -> Double {
            labels.withUnsafeBufferPointer { labels in
                model.forward(rows: 4, labels: labels.baseAddress!, training: true)
                return teacher.withUnsafeBufferPointer {
                    model.distill(teacherLogits: $0.baseAddress!, rows: 4, labels: labels.baseAddress!,
                                  temperature: testCase.temperature, alpha: testCase.alpha)
                } / 4
            }
        }
        _ = objective()
        var analytic = [Float](repeating: 0, count: model.parameterCount)
        analytic.withUnsafeMutableBufferPointer { model.backward(rows: 4, into: $0.baseAddress!, alpha: 1, beta: 0) }
        #expect(GradientCheckTests.expectFiniteDifferences(of: objective, match: analytic, in: model) == model.parameterCount)
    }

    @Test func withAlphaZeroItIsTheLabelLossAndWithAnIdenticalTeacherTheSoftTermIsItsEntropy() {
        let (model, labels) = GradientCheckTests.network(seed: 7)
        let teacher = Self.teacherLogits(for: model)
        let plain = labels.withUnsafeBufferPointer { model.forward(rows: 4, labels: $0.baseAddress!, training: true) }
        let hardGradient = Array(UnsafeBufferPointer(start: model.deltas[model.layerCount], count: 12))
        let distilled = labels.withUnsafeBufferPointer { labels in
            teacher.withUnsafeBufferPointer {
                model.distill(teacherLogits: $0.baseAddress!, rows: 4, labels: labels.baseAddress!, temperature: 3, alpha: 0)
            }
        }
        #expect(abs(distilled - plain.lossSum) < 1e-5)
        #expect(Array(UnsafeBufferPointer(start: model.deltas[model.layerCount], count: 12)) == hardGradient)
        // A teacher that is the student: the soft term's gradient vanishes (σ(z/T) − σ(t/T) = 0).
        let own = Array(UnsafeBufferPointer(start: model.logits, count: 12))
        labels.withUnsafeBufferPointer { labels in
            own.withUnsafeBufferPointer {
                _ = model.distill(teacherLogits: $0.baseAddress!, rows: 4, labels: labels.baseAddress!, temperature: 3, alpha: 1)
            }
        }
        #expect(UnsafeBufferPointer(start: model.deltas[model.layerCount], count: 12).allSatisfy { abs($0) < 1e-7 })
    }

    @Test func teacherFilesAreCheckedInOneLine() throws {
        let folder = NSTemporaryDirectory() + "teacher-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func error(_ bytes: [UInt8]?, _ name: String = "t.safetensors") -> String? {
            let path = folder + "/" + name
            if let bytes { FileManager.default.createFile(atPath: path, contents: Data(bytes)) }
            do {
                _ = try TeacherModel(path: path)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error(nil, "missing.safetensors")?.contains("there is no file at that path") == true)
        #expect(error(Array("not a model".utf8))?.contains("is not a safetensors model") == true)
        let wrong = SafeTensors.encode(layerSizes: [20, 8, 10], parameters: [Float](repeating: 0, count: 20 * 8 + 8 + 8 * 10 + 10))
        #expect(error(wrong)?.contains("maps 20 inputs to 10 outputs") == true)
        let right = SafeTensors.encode(layerSizes: [784, 32, 10], parameters: [Float](repeating: 0.5, count: 784 * 32 + 32 + 32 * 10 + 10))
        #expect(error(right) == nil)
        let model = try TeacherModel(path: folder + "/t.safetensors")
        #expect(model.layerSizes == [784, 32, 10] && model.parameters.count == 784 * 32 + 32 + 32 * 10 + 10)
        // Every message is one line naming the hyperparameter and the file.
        #expect(error(nil, "missing.safetensors")?.hasPrefix("teacher must be") == true)
    }
}

import Foundation
import Testing
@testable import Training

/// Adam, AdamW and RMSprop against `torch.optim`'s update rules written out plainly (from
/// `torch/optim/adam.py` and `rmsprop.py`, the single-tensor path), as `SGDTests` does for SGD.
@Suite("Optimizers")
struct OptimizerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var optimizer: OptimizerKind
        var momentum = 0.0
        var centered = false
        var weightDecay = 0.0
        var l1 = 0.0
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "Adam", optimizer: .adam),
        Case(name: "Adam with L2 weight decay", optimizer: .adam, weightDecay: 0.01),
        Case(name: "AdamW (decoupled weight decay)", optimizer: .adamw, weightDecay: 0.01),
        Case(name: "Adam with L1", optimizer: .adam, l1: 0.001),
        Case(name: "RMSprop", optimizer: .rmsprop),
        Case(name: "RMSprop with weight decay and momentum", optimizer: .rmsprop, momentum: 0.9, weightDecay: 0.01),
        Case(name: "RMSprop centred", optimizer: .rmsprop, centered: true),
        Case(name: "RMSprop centred with momentum", optimizer: .rmsprop, momentum: 0.5, centered: true),
    ]

    @Test(arguments: cases)
    func fiveStepsFollowTorchsUpdateRule(_ testCase: Case) {
        var config = TrainingConfig()
        config.optimizer = testCase.optimizer
        config.learningRate = 0.01
        config.momentum = testCase.momentum
        config.centered = testCase.centered
        config.weightDecay = testCase.weightDecay
        config.l1 = testCase.l1
        let (model, labels) = GradientCheckTests.network(seed: 21)
        let (reference, _) = GradientCheckTests.network(seed: 21)
        let optimizer = Optimizer(for: model, config: config)
        let plainGradient = Optimizer(for: reference, config: TrainingConfig())
        let count = model.parameterCount
        let initial = Array(reference.parameters)
        var m = [Float](repeating: 0, count: count), v = m, buffer = m, average = m
        let (lr, wd, l1, mu) = (Float(0.01), Float(testCase.weightDecay), Float(testCase.l1), Float(testCase.momentum))
        for step in 1...5 {
            labels.withUnsafeBufferPointer {
                model.forward(rows: 4, labels: $0.baseAddress!, training: true)
                reference.forward(rows: 4, labels: $0.baseAddress!, training: true)
            }
            let gradient = plainGradient.objectiveGradient(reference, rows: 4)
            for i in 0..<count {
                var w = reference.parameters[i]
                let sign: Float = w > 0 ? 1 : (w < 0 ? -1 : 0)
                var g = gradient[i] + l1 * sign
                switch testCase.optimizer {
                case .adam, .adamw:
                    if testCase.optimizer == .adamw { w *= 1 - lr * wd } else { g += wd * w }
                    m[i] += (1 - 0.9) * (g - m[i])                      // exp_avg.lerp_(grad, 1 - beta1)
                    v[i] = v[i] * 0.999 + Self.torchOneMinus(0.999) * g * g  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    let bias1 = 1 - pow(0.9, Double(step)), bias2 = 1 - pow(0.999, Double(step))
                    let denom = v[i].squareRoot() / Float(bias2.squareRoot()) + 1e-8
                    w += -Float(0.01 / bias1) * (m[i] / denom)          // param.addcdiv_(exp_avg, denom, value=-step_size)
                case .rmsprop:
                    g += wd * w
                    v[i] = v[i] * 0.99 + Self.torchOneMinus(0.99) * g * g   // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                    var avg = v[i]
                    if testCase.centered {
                        average[i] += Self.torchOneMinus(0.99) * (g - average[i])  // grad_avg.lerp_(grad, 1 - alpha)
                        avg -= average[i] * average[i]                  // square_avg.addcmul(grad_avg, grad_avg, value=-1)
                    }
                    avg = avg.squareRoot() + 1e-8
                    if mu > 0 {
                        buffer[i] = buffer[i] * mu + g / avg            // buf.mul_(momentum).addcdiv_(grad, avg)
                        w -= lr * buffer[i]
                    } else {
                        w -= lr * g / avg
                    }
                case .sgd:
                    Issue.record("not an SGD test")
                }
                reference.parameters[i] = w
            }
            optimizer.step(model, rows: 4)
        }
        var worst: Float = 0, largest: Float = 0
        for i in 0..<count {
            worst = max(worst, abs(model.parameters[i] - reference.parameters[i]))
            largest = max(largest, abs(reference.parameters[i]))
        }
        // Float32 both ways; the lanes and the reference round alike but for fused-multiply corners.
        #expect(worst <= 2e-6 * max(largest, 1), "largest difference from the reference update: \(worst)")
        #expect(optimizer.steps == 5)
        // The test of the test: the five steps moved the weights by far more than the tolerance, so a
        // rule off by a factor, a missing bias correction or a misplaced eps would fail it.
        let moved = zip(initial, reference.parameters).map { abs($0 - $1) }.max()!
        #expect(moved > 1000 * 2e-6 * max(largest, 1), "the steps moved the weights by only \(moved)")
    }

    /// torch's `value=1 - alpha`: computed from Python's float and rounded to float32 once (0.01f, where
    /// 1.0f − 0.99f is 9.5e-7 smaller; for 0.999, 1.3e-5).
    static func torchOneMinus(_ rate: Double) -> Float { Float(1 - rate) }

    static let coefficientCases = [
        Case(name: "RMSprop", optimizer: .rmsprop),
        Case(name: "RMSprop centred", optimizer: .rmsprop, centered: true),
        Case(name: "Adam", optimizer: .adam),
    ]

    /// The moving averages' coefficients are torch's to the last bit: from zero state one step leaves
    /// s = (1 − α)·g² (Adam: v = (1 − β₂)·g²) and the centred ḡ = (1 − α)·g, a rounding each. The
    /// five-step test above cannot see this: a coefficient 9.5e-7 off moves the weights by far less than
    /// its tolerance, yet it changes every step of every run.
    @Test(arguments: coefficientCases)
    func theMovingAveragesTakeTorchsCoefficients(_ testCase: Case) {
        var config = TrainingConfig()
        config.optimizer = testCase.optimizer
        config.centered = testCase.centered
        let (model, labels) = GradientCheckTests.network(seed: 21)
        let (reference, _) = GradientCheckTests.network(seed: 21)
        let optimizer = Optimizer(for: model, config: config)
        labels.withUnsafeBufferPointer {
            model.forward(rows: 4, labels: $0.baseAddress!, training: true)
            reference.forward(rows: 4, labels: $0.baseAddress!, training: true)
        }
        let gradient = Optimizer(for: reference, config: TrainingConfig()).objectiveGradient(reference, rows: 4)
        optimizer.step(model, rows: 4)
        let coefficient = Self.torchOneMinus(testCase.optimizer == .adam ? 0.999 : 0.99)
        let state = optimizer.stateValues
        let square = state[testCase.optimizer == .adam ? 1 : 0]
        var worst: Float = 0, checked = 0
        for (i, g) in gradient.enumerated() where abs(g) > 1e-12 {
            let expected = coefficient * (g * g)
            worst = max(worst, abs(square[i] - expected) / expected)
            if testCase.centered {
                worst = max(worst, abs(state[1][i] - coefficient * g) / abs(coefficient * g))
            }
            checked += 1
        }
        #expect(checked > 30, "only \(checked) parameters had a gradient")
        // Two roundings at most (2.4e-7); 1.0f − α would be 9.5e-7 off (RMSprop), 1.3e-5 (Adam).
        #expect(worst <= 2.4e-7, "largest relative difference from torch's coefficient: \(worst)")
    }

    @Test func theOptionsOfOneOptimizerAreRefusedOnAnother() {
        func error(_ change: (inout TrainingConfig) -> Void) -> String? {
            var config = TrainingConfig()
            change(&config)
            do {
                try config.validate()
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error { $0.optimizer = .adam; $0.momentum = 0.9 }?.contains("must be 0 with adam") == true)
        #expect(error { $0.optimizer = .rmsprop; $0.momentum = 0.9; $0.nesterov = true }?.contains("sgd only") == true)
        #expect(error { $0.centered = true }?.contains("rmsprop only") == true)
        #expect(error { $0.optimizer = .rmsprop; $0.centered = true; $0.momentum = 0.9 } == nil)
    }

    @Test func anAddedHyperparameterLeavesOldTrialIDsAlone() {
        // Trials recorded before `optimizer` existed keep their ids at its default; other values differ.
        var config = TrainingConfig()
        #expect(!config.canonicalKey.contains("optimizer") && !config.canonicalKey.contains("centered"))
        config.optimizer = .adam
        #expect(config.canonicalKey.hasSuffix("optimizer=adam") || config.canonicalKey.contains("optimizer=adam;"))
    }
}

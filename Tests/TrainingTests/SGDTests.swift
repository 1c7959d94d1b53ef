import Testing
@testable import Training

/// The optimiser's fast paths against `torch.optim.SGD`'s update rule written out plainly.
@Suite("SGD")
struct SGDTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var momentum = 0.0
        var nesterov = false
        var weightDecay = 0.0
        var l1 = 0.0
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain (folded into the GEMM)"),
        Case(name: "plain with weight decay (folded)", weightDecay: 0.01),
        Case(name: "momentum (accumulated in the GEMM)", momentum: 0.9),
        Case(name: "momentum with weight decay", momentum: 0.9, weightDecay: 0.01),
        Case(name: "Nesterov with weight decay", momentum: 0.8, nesterov: true, weightDecay: 0.01),
        Case(name: "L1 with momentum", momentum: 0.5, l1: 0.001),
    ]

    @Test(arguments: cases)
    func threeStepsFollowTorchUpdateRule(_ testCase: Case) {
        var config = TrainingConfig()
        config.learningRate = 0.1
        config.momentum = testCase.momentum
        config.nesterov = testCase.nesterov
        config.weightDecay = testCase.weightDecay
        config.l1 = testCase.l1
        let (model, labels) = GradientCheckTests.network(seed: 21)
        let (reference, _) = GradientCheckTests.network(seed: 21)
        let optimizer = Optimizer(for: model, config: config)
        let plainGradient = Optimizer(for: reference, config: TrainingConfig())
        var velocity = [Float](repeating: 0, count: model.parameterCount)
        let (lr, mu, wd, l1) = (Float(0.1), Float(testCase.momentum), Float(testCase.weightDecay), Float(testCase.l1))
        for step in 0..<3 {
            labels.withUnsafeBufferPointer {
                model.forward(rows: 4, labels: $0.baseAddress!, training: true)
                reference.forward(rows: 4, labels: $0.baseAddress!, training: true)
            }
            // torch.optim.SGD, dampening 0, written out.
            let gradient = plainGradient.objectiveGradient(reference, rows: 4)
            for i in 0..<reference.parameterCount {
                let w = reference.parameters[i]
                let sign: Float = w > 0 ? 1 : (w < 0 ? -1 : 0)
                var g = gradient[i] + wd * w + l1 * sign
                if mu != 0 {
                    velocity[i] = step == 0 ? g : mu * velocity[i] + g
                    g = testCase.nesterov ? g + mu * velocity[i] : velocity[i]
                }
                reference.parameters[i] = w - lr * g
            }
            optimizer.step(model, rows: 4)
        }
        var worst: Float = 0
        for i in 0..<model.parameterCount {
            worst = max(worst, abs(model.parameters[i] - reference.parameters[i]))
        }
        #expect(worst < 1e-5, "largest difference from the reference update: \(worst)")
        #expect(optimizer.steps == 3)
    }

    @Test func maxNormHoldsForHiddenUnitsAfterAStep() {
        var config = TrainingConfig()
        config.learningRate = 5
        config.maxNorm = 0.5
        let (model, labels) = GradientCheckTests.network(seed: 4)
        // Start every hidden unit well above the limit so the constraint has work to do.
        for l in 0..<2 {
            let w = model.weights(l)
            for i in 0..<(model.layerSizes[l] * model.layerSizes[l + 1]) { w[i] = 1 }
        }
        let optimizer = Optimizer(for: model, config: config)
        labels.withUnsafeBufferPointer { _ = model.forward(rows: 4, labels: $0.baseAddress!, training: true) }
        optimizer.step(model, rows: 4)
        for l in 0..<2 {
            let (inputs, outputs) = (model.layerSizes[l], model.layerSizes[l + 1])
            for unit in 0..<outputs {
                let row = UnsafeBufferPointer(start: model.weights(l) + unit * inputs, count: inputs)
                let norm = row.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                #expect(norm <= 0.5 * (1 + 1e-5), "layer \(l) unit \(unit) has norm \(norm)")
                #expect(norm >= 0.49, "the constraint clips to the limit, it does not shrink further")
            }
        }
    }
}

import Testing
@testable import Training
import SweepCore

/// Finite differences against back-propagation, on a network small enough to check every parameter.
@Suite("Gradients")
struct GradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var weightDecay = 0.0
        var l1 = 0.0
        var dropout = 0.0
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "cross-entropy through every layer"),
        Case(name: "with weight decay", weightDecay: 0.3),
        Case(name: "with L1", l1: 0.05),
        Case(name: "with weight decay and L1", weightDecay: 0.1, l1: 0.02),
        Case(name: "with a fixed dropout mask", dropout: 0.3),
    ]

    /// A 6-5-4-3 network on four random inputs in [0, 1].
    static func network(seed: UInt64) -> (MLP, [UInt8]) {
        let model = MLP(layerSizes: [6, 5, 4, 3], seed: seed, capacity: 4)
        var random = SplitMix64(seed: seed &+ 99)
        for i in 0..<(4 * 6) { model.input[i] = random.nextUnitFloat() }
        return (model, [0, 2, 1, 2])
    }

    @Test(arguments: cases)
    func finiteDifferencesMatchBackpropagation(_ testCase: Case) {
        var config = TrainingConfig()
        config.weightDecay = testCase.weightDecay
        config.l1 = testCase.l1
        let (model, labels) = Self.network(seed: 7)
        let optimizer = Optimizer(for: model, config: config)
        let dropout = testCase.dropout > 0 ? Dropout(probability: testCase.dropout, seed: 3, step: 11) : nil
        func objective() -> Double {
            let outcome = labels.withUnsafeBufferPointer {
                model.forward(rows: 4, labels: $0.baseAddress!, training: true, dropout: dropout)
            }
            return outcome.lossSum / 4 + optimizer.penalty(model)
        }
        _ = objective()
        let analytic = optimizer.objectiveGradient(model, rows: 4)
        let checked = Self.expectFiniteDifferences(of: objective, match: analytic, in: model)
        #expect(checked == 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3)
    }

    /// Checks every parameter's central difference of `objective` against `analytic`; returns how
    /// many were checked. Expects a gradient that is not trivially zero (else the check is vacuous).
    static func expectFiniteDifferences(of objective: () -> Double, match analytic: [Float], in model: MLP) -> Int {
        let epsilon: Float = 1e-3
        var checked = 0
        for i in 0..<model.parameterCount {
            let saved = model.parameters[i]
            model.parameters[i] = saved + epsilon
            let plus = objective()
            model.parameters[i] = saved - epsilon
            let minus = objective()
            model.parameters[i] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let error = abs(numeric - Double(analytic[i]))
            #expect(error <= 1e-3 + 1e-2 * abs(numeric), "parameter \(i): numeric \(numeric), analytic \(analytic[i])")
            checked += 1
        }
        #expect(analytic.contains { abs($0) > 1e-3 }, "a vacuous check: the gradient is zero")
        return checked
    }

    @Test func dropoutMaskDropsAboutTheRightShareAndScalesTheRest() {
        let model = MLP(layerSizes: [20, 400, 3], seed: 1, capacity: 50)
        for i in 0..<(50 * 20) { model.input[i] = 1 }
        let labels = [UInt8](repeating: 0, count: 50)
        labels.withUnsafeBufferPointer {
            _ = model.forward(rows: 50, labels: $0.baseAddress!, training: false)
        }
        let clean = Array(UnsafeBufferPointer(start: model.activations[1], count: 50 * 400))
        labels.withUnsafeBufferPointer {
            _ = model.forward(rows: 50, labels: $0.baseAddress!, training: true,
                              dropout: Dropout(probability: 0.4, seed: 5, step: 0))
        }
        let dropped = Array(UnsafeBufferPointer(start: model.activations[1], count: 50 * 400))
        let active = clean.indices.filter { clean[$0] > 0 }
        let zeroed = active.filter { dropped[$0] == 0 }.count
        let share = Double(zeroed) / Double(active.count)
        #expect(abs(share - 0.4) < 0.03, "dropped share \(share)")
        for i in active where dropped[i] != 0 {
            #expect(abs(dropped[i] - clean[i] / 0.6) <= 1e-5 * abs(clean[i]))
        }
    }
}

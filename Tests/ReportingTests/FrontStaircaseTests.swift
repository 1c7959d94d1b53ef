import Foundation
import Testing
@testable import Reporting
@testable import Sweeping

/// The front's staircase turns at the worse of two neighbours' values on each axis, whichever way each
/// objective goes.
@Suite("Front staircase")
struct FrontStaircaseTests {
    /// The staircase's points, in pixels, from the front chart of `x` against `y`.
    static func staircase(x: Metric, y: Metric) throws -> [(Double, Double)] {
        var data = try ReportSizeTests.data(trials: 30, seed: 3)
        data.objectives = Objectives(metrics: [x, y])
        // seconds rise with the loss: maximising seconds and minimising the loss trade off, so the
        // completed trials all lie on the front; minimising both, only the best does.
        for index in data.records.indices {
            data.records[index].seconds = (data.records[index].metric("test_loss").flatMap { $0.isFinite ? $0 : nil } ?? 9) * 100
        }
        // A row whose seconds are not a number (a program may print anything) is drawn, never trapped on.
        if let diverged = data.records.firstIndex(where: { $0.status == .diverged }) {
            data.records[diverged].seconds = .nan
        }
        let html = Report(data: data).render()
        let figure = try #require(html.components(separatedBy: "data-chart=\"front-\(x.name)-\(y.name)\"").dropFirst().first)
            .components(separatedBy: "</figure>")[0]
        let points = try #require(figure.components(separatedBy: "<polyline points=\"").dropFirst().first).prefix { $0 != "\"" }
        return points.split(separator: " ").map { pair in
            let xy = pair.split(separator: ",").map { Double($0)! }
            return (xy[0], xy[1])
        }
    }

    @Test func withTheXObjectiveMaximisedTheCornerKeepsTheLeftPointsXAndTheRightPointsY() throws {
        let steps = try Self.staircase(x: Metric(name: "seconds", goal: .maximize), y: Metric(name: "test_loss", goal: .minimize))
        #expect(steps.count >= 5, "a front of several trials: \(steps)")
        // Sorted by seconds: each corner sits under the left point (the worse seconds) at the right
        // point's height (the worse loss).
        for corner in stride(from: 1, to: steps.count - 1, by: 2) {
            let (left, turn, right) = (steps[corner - 1], steps[corner], steps[corner + 1])
            #expect(turn.0 == left.0 && turn.1 == right.1, "corner \(turn) between \(left) and \(right)")
        }
    }
}

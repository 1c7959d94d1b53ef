import Foundation
import Testing
import Sweeping
import SweepTestSupport
import Training
@testable import Reporting
import SweepCore

/// Numbers for people, and axes whose slots do not grow with the trials.
@Suite("Format and axes")
struct AxisTests {
    @Test func numbersShowAtMostFourSignificantDigits() {
        #expect(DisplayNumber.number(0.0012345678901234) == "0.001235")
        #expect(DisplayNumber.number(0.30000000000000004) == "0.3")
        #expect(DisplayNumber.number(0.6110111499511559) == "0.611")
        #expect(DisplayNumber.number(9.99996) == "10")
        #expect(DisplayNumber.number(123456) == "123500")
        #expect(DisplayNumber.number(0.000012346) == "1.235e-5")
        #expect(DisplayNumber.number(25_000_000) == "2.5e7")
        #expect(DisplayNumber.number(-0.5) == "-0.5")
        #expect(DisplayNumber.number(0) == "0")
        #expect(DisplayNumber.number(.nan) == "nan")
    }

    @Test func valuesAsTypedWhenShortAlready() {
        #expect(DisplayNumber.value("0.001") == "0.001")
        #expect(DisplayNumber.value("0.0010000000000000002") == "0.001")
        #expect(DisplayNumber.value("1e-05") == "1e-05")
        #expect(DisplayNumber.value("0.0") == "0.0")
        #expect(DisplayNumber.value("2147483647") == "2147483647")
        #expect(DisplayNumber.value("rotate_flip") == "rotate_flip")
        #expect(DisplayNumber.value("128,128") == "128,128")
        #expect(DisplayNumber.value("0.06856497528420338") == "0.06856")
        // Listed values that four digits would show alike keep the digits that tell them apart.
        #expect(DisplayNumber.distinctLabels(["0.123411", "0.123421", "0.5"]) == ["0.12341", "0.12342", "0.5"])
    }

    @Test func fewValuesStayAsTheyAre() {
        let axis = ParameterAxis(name: "dropout", values: ["0.4", "0.0", "0.1", "0.4"], log: nil)
        #expect(axis.labels == ["0.0", "0.1", "0.4"])
        #expect(!axis.isBinned)
        #expect(axis.slot("0.4") == 2)
    }

    @Test func logDistributedNumbersGetRoundLogBins() {
        // 400 learning rates spread evenly on a log scale over [0.0001, 1].
        let values = (0..<400).map { "\(pow(10, -4 + 4 * (Double($0) + 0.5) / 400))" }
        let axis = ParameterAxis(name: "learning_rate", values: values, log: true)
        #expect(axis.scale == .log)
        #expect(axis.count <= ParameterAxis.maxBins && axis.count >= 4)
        #expect(axis.edges.first == 0.0001 && axis.edges.last == 1)
        #expect(axis.edges.allSatisfy { DisplayNumber.significantDigits(DisplayNumber.number($0, digits: 15)) == 1 }, "\(axis.edges)")
        for value in values {
            let x = Double(value)!, slot = axis.slot(value)
            #expect(axis.edges[slot] <= x && x <= axis.edges[slot + 1])
        }
        // Unknown to the sweep, the same spread is taken for a log scale; a uniform one is not.
        #expect(ParameterAxis(name: "x", values: values, log: nil).scale == .log)
        let uniform = (0..<400).map { "\(0.001 + Double($0) / 400)" }
        #expect(ParameterAxis(name: "x", values: uniform, log: nil).scale == .linear)
    }

    @Test func otherNumbersGetQuantileBinsWithShortEdges() {
        var random = TestSeed.generator()
        let values = (0..<5000).map { _ in "\(random.nextUnitDouble() * 0.95)" }
        let axis = ParameterAxis(name: "momentum", values: values, log: false)
        #expect(axis.scale == .linear && axis.count == ParameterAxis.maxBins)
        var counts = [Int](repeating: 0, count: axis.count)
        for value in values { counts[axis.slot(value)] += 1 }
        // About equal counts: 500 each, give or take the rounding of the edges and chance.
        #expect(counts.allSatisfy { $0 > 300 && $0 < 700 }, "\(counts) over \(axis.edges)")
        #expect(axis.labels.allSatisfy { $0.count <= 11 }, "\(axis.labels)")
    }

    @Test func manyWordsKeepTheMostFrequent() {
        let values = (0..<40).flatMap { i in Array(repeating: "arch\(i)", count: i + 1) }
        let axis = ParameterAxis(name: "hidden", values: values, log: nil)
        #expect(axis.count == ParameterAxis.maxSlots)
        #expect(axis.labels.last == "other (29 values)")
        #expect(axis.slot("arch39") < axis.count - 1 && axis.slot("arch0") == axis.count - 1)
    }
}

import Testing
import SweepCore
import SweepTestSupport
@testable import Sweeping

/// Non-dominated sorting and hypervolume against cases worked by hand (ties and duplicates included).
@Suite("Pareto fronts and hypervolume")
struct ParetoTests {
    @Test func dominanceNeedsNoWorseEverywhereAndBetterSomewhere() {
        #expect(Pareto.dominates([1, 2], [2, 2]))
        #expect(!Pareto.dominates([2, 2], [1, 2]))
        #expect(!Pareto.dominates([1, 2], [1, 2]), "a duplicate does not dominate its twin")
        #expect(!Pareto.dominates([1, 3], [2, 2]) && !Pareto.dominates([2, 2], [1, 3]), "a trade-off: neither")
        #expect(Pareto.dominates([1, 2], [1, .nan]) && !Pareto.dominates([1, .nan], [1, 2]), "a missing value is worst")
    }

    @Test func frontsByHand() {
        // a(1,5) b(2,3) c(4,1) are the front, and f, b's duplicate, with them; g(2,3.5) ties b's first
        // coordinate and only b and f dominate it: front 1; d(3,4) is dominated by g too: front 2;
        // e(5,5) by d: front 3.
        let points: [[Double]] = [[1, 5], [2, 3], [4, 1], [3, 4], [5, 5], [2, 3], [2, 3.5]]
        #expect(Pareto.fronts(points) == [0, 0, 0, 2, 3, 0, 1])
        #expect(Pareto.fronts([]) == [])
        #expect(Pareto.fronts([[7, 7]]) == [0])
        // One objective: the fronts are the distinct values' ranks, equal values sharing one.
        #expect(Pareto.fronts([[3], [1], [2], [1]]) == [2, 0, 1, 0])
    }

    @Test func theTwoDimensionalSortingAgreesWithTheGeneralOne() {
        // Small integers, so ties and duplicates are common; infinities (a missing value) too.
        let seed = TestSeed.draw()
        var random = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let points: [[Double]] = (0..<Int(random.next() % 30 + 1)).map { _ in
                (0..<2).map { _ in random.next() % 11 == 0 ? .infinity : Double(random.next() % 6) }
            }
            #expect(Pareto.fronts2D(points) == Pareto.frontsBySweeps(points), "seed \(seed): \(points)")
        }
    }

    @Test func twoDimensionalHypervolumeByHand() {
        // Reference (4, 4): (1,3) covers 3×1, (2,2) adds 2×1 more, (3,1) adds 1×1: 3 + 2 + 1 = 6.
        let front: [[Double]] = [[1, 3], [2, 2], [3, 1]]
        #expect(Pareto.hypervolume(front, reference: [4, 4]) == 6)
        // A dominated point, a duplicate and points outside the reference change nothing.
        #expect(Pareto.hypervolume(front + [[3, 3], [2, 2], [5, 0], [0, 4]], reference: [4, 4]) == 6)
        #expect(Pareto.hypervolume([], reference: [4, 4]) == 0)
        #expect(Pareto.hypervolume([[1, .nan]], reference: [4, 4]) == 0)
        // Contributions: (1,3) alone covers [1,2)×[3,4): 1; (2,2): [2,3)×[2,3): 1; (3,1): [3,4)×[1,2): 1.
        #expect(Pareto.contributions(front, reference: [4, 4]) == [1, 1, 1])
        // A duplicate's contribution is 0 (its twin covers it), and so is its twin's.
        #expect(Pareto.contributions([[1, 3], [2, 2], [2, 2]], reference: [4, 4]) == [1, 0, 0])
    }

    @Test func threeDimensionalHypervolumeByHand() {
        // One point (1,1,1) under (2,2,2): a unit cube. Two points (0,1,1) and (1,0,1) under (2,2,2):
        // each a 2×1×1 box, overlapping in 1×1×1: 2 + 2 − 1 = 3. Adding (1,1,0): a 1×1×2 box minus
        // its overlaps with each (1×1×1 with the first and the second, both the same unit cube
        // [1,2)×[1,2)×[1,2)): 3 + 2 − 1 = 4.
        #expect(Pareto.hypervolume([[1, 1, 1]], reference: [2, 2, 2]) == 1)
        #expect(Pareto.hypervolume([[0, 1, 1], [1, 0, 1]], reference: [2, 2, 2]) == 3)
        #expect(Pareto.hypervolume([[0, 1, 1], [1, 0, 1], [1, 1, 0]], reference: [2, 2, 2]) == 4)
        // Against a brute-force grid count on random integer points: the slicing must agree.
        let seed = TestSeed.draw()
        var random = SplitMix64(seed: seed)
        for _ in 0..<40 {
            let points = (0..<Int(random.next() % 6 + 1)).map { _ in (0..<3).map { _ in Double(random.next() % 5) } }
            var cells = 0
            for x in 0..<5 { for y in 0..<5 { for z in 0..<5 {
                if points.contains(where: { $0[0] <= Double(x) && $0[1] <= Double(y) && $0[2] <= Double(z) }) { cells += 1 }
            } } }
            #expect(Pareto.hypervolume(points, reference: [5, 5, 5]) == Double(cells), "seed \(seed): \(points)")
        }
    }

    @Test func greedySubsetTakesTheLargestGainsFirst() {
        // Reference (10, 10): (1,9) gains 9, (5,5) 25, (9,1) 9; after (5,5), (1,9) adds 4×1 and (9,1) 1×4:
        // a tie, the earlier point first.
        let points: [[Double]] = [[1, 9], [5, 5], [9, 1]]
        #expect(Pareto.greedySubset(points, count: 2, reference: [10, 10]) == [1, 0])
        #expect(Pareto.greedySubset(points, count: 5, reference: [10, 10]) == [1, 0, 2])
    }

    @Test func runningHypervolumeGrowsOnlyWithNewNonDominatedPoints() {
        // Reference (4, 4): (3,3) 1; (2,2) replaces it: 4; (3,3) again and a point outside: no change;
        // (1,3) adds [1,2)×[3,4): 5; nil keeps it.
        let points: [[Double]?] = [[3, 3], [2, 2], [3, 3], [5, 1], [1, 3], nil]
        #expect(Pareto.runningHypervolume(points, reference: [4, 4]) == [1, 4, 4, 4, 5, 5])
    }

    @Test func referencePointIsTheWorstPushedOut() {
        #expect(Pareto.referencePoint([[1, -2], [3, -4]], dimensions: 2) == [3.3000000000000003, -1.8])
        #expect(Pareto.referencePoint([[0, 0]], dimensions: 2) == [1e-12, 1e-12])
    }
}

/// Pareto fronts and hypervolume of points whose every coordinate is to be minimised (objectives
/// signed so that smaller is better): what several objectives are ranked, searched and stopped by.
///
/// Every function is a function of its arguments alone, with ties broken by position, so the fronts,
/// the volumes and the subsets chosen are the same whoever computes them.
public enum Pareto {
    /// Whether `a` dominates `b`: no worse in every coordinate and better in one. Equal points do not
    /// dominate each other (duplicates share a front); NaN is never better nor worse.
    public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        var better = false
        for (x, y) in zip(a, b) {
            if x > y || (x.isNaN && !y.isNaN) { return false }
            if x < y || (y.isNaN && !x.isNaN) { better = true }
        }
        return better
    }

    /// Each point's front by non-dominated sorting (Deb et al. 2002): 0 for the points no other
    /// dominates, 1 for those only front 0 dominates, and so on. O(n² · d); `points` are the
    /// trials a sweep ranks (thousands at most), so the quadratic pass is what NSGA-II pays too.
    public static func fronts(_ points: [[Double]]) -> [Int] {
        if points.allSatisfy({ $0.count == 2 && !$0[0].isNaN && !$0[1].isNaN }) { return fronts2D(points) }
        return frontsBySweeps(points)
    }

    /// Non-dominated sorting of points of two coordinates in O(n log n + n·F) for F fronts: in order of
    /// the first coordinate (then the second), a point joins the first front whose latest point does not
    /// dominate it; that latest point has the front's smallest second coordinate so far, so it is the
    /// only one that can.
    static func fronts2D(_ points: [[Double]]) -> [Int] {
        let order = points.indices.sorted { a, b in
            (points[a][0], points[a][1], a) < (points[b][0], points[b][1], b)
        }
        var latest: [[Double]] = []
        var front = [Int](repeating: 0, count: points.count)
        for index in order {
            let point = points[index]
            // Fronts' latest second coordinates rise with the front: the first that does not dominate is found by bisection.
            var low = 0, high = latest.count
            while low < high {
                let middle = (low + high) / 2
                if dominates(latest[middle], point) { low = middle + 1 } else { high = middle }
            }
            if low == latest.count { latest.append(point) } else { latest[low] = point }
            front[index] = low
        }
        return front
    }

    /// Non-dominated sorting by counting dominators (Deb et al. 2002), for any number of coordinates.
    static func frontsBySweeps(_ points: [[Double]]) -> [Int] {
        let n = points.count
        var dominatedBy = [Int](repeating: 0, count: n)
        var dominating = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                if dominates(points[i], points[j]) {
                    dominating[i].append(j)
                    dominatedBy[j] += 1
                } else if dominates(points[j], points[i]) {
                    dominating[j].append(i)
                    dominatedBy[i] += 1
                }
            }
        }
        var front = [Int](repeating: 0, count: n)
        var current = (0..<n).filter { dominatedBy[$0] == 0 }
        var level = 0
        while !current.isEmpty {
            var next: [Int] = []
            for i in current {
                front[i] = level
                for j in dominating[i] {
                    dominatedBy[j] -= 1
                    if dominatedBy[j] == 0 { next.append(j) }
                }
            }
            current = next.sorted()
            level += 1
        }
        return front
    }

    /// The volume dominated by `points` and bounded by `reference` (every coordinate minimised): the
    /// hypervolume indicator (Zitzler & Thiele 1998). A point not strictly better than the reference in
    /// every coordinate, or with a NaN, adds nothing. Exact: a sweep over the first coordinate in two
    /// dimensions, slicing along the last one above (fine for the few objectives a sweep has).
    public static func hypervolume(_ points: [[Double]], reference: [Double]) -> Double {
        let inside = points.filter { point in point.count == reference.count && zip(point, reference).allSatisfy { $0 < $1 } }
        return volume(inside, reference: reference)
    }

    private static func volume(_ points: [[Double]], reference: [Double]) -> Double {
        guard !points.isEmpty else { return 0 }
        let d = reference.count
        if d == 1 { return reference[0] - points.map { $0[0] }.min()! }
        if d == 2 {
            // Ascending in the first coordinate; each point adds the strip its second coordinate improves.
            let sorted = points.sorted { $0[0] != $1[0] ? $0[0] < $1[0] : $0[1] < $1[1] }
            var total = 0.0, bestSecond = reference[1]
            for point in sorted where point[1] < bestSecond {
                total += (reference[0] - point[0]) * (bestSecond - point[1])
                bestSecond = point[1]
            }
            return total
        }
        // Slices along the last coordinate: between consecutive values, the (d−1)-volume of the points at or below.
        let sorted = points.sorted { $0[d - 1] < $1[d - 1] }
        var total = 0.0
        var below: [[Double]] = []
        for (index, point) in sorted.enumerated() {
            below.append(Array(point.prefix(d - 1)))
            let top = index + 1 < sorted.count ? sorted[index + 1][d - 1] : reference[d - 1]
            guard top > point[d - 1] else { continue }
            total += volume(nondominated(below), reference: Array(reference.prefix(d - 1))) * (top - point[d - 1])
        }
        return total
    }

    /// The points of `points` no other dominates (one copy of each duplicate kept: it adds no volume).
    static func nondominated(_ points: [[Double]]) -> [[Double]] {
        var kept: [[Double]] = []
        for point in points where !kept.contains(where: { dominates($0, point) || $0 == point }) {
            kept.removeAll { dominates(point, $0) }
            kept.append(point)
        }
        return kept
    }

    /// Each point's exclusive hypervolume contribution: the volume lost without it. A duplicate
    /// point's contribution is 0, since its twin still covers it.
    public static func contributions(_ points: [[Double]], reference: [Double]) -> [Double] {
        let whole = hypervolume(points, reference: reference)
        return points.indices.map { index in
            var others = points
            others.remove(at: index)
            return max(whole - hypervolume(others, reference: reference), 0)
        }
    }

    /// `count` of `points` chosen greedily to maximise the hypervolume they dominate (the hypervolume
    /// subset selection problem, as Optuna's `_solve_hssp` approximates it): each step adds the point
    /// that adds most volume to those chosen, the earliest on a tie. Returns their indices, in the
    /// order chosen.
    public static func greedySubset(_ points: [[Double]], count: Int, reference: [Double]) -> [Int] {
        var chosen: [Int] = [], chosenPoints: [[Double]] = []
        var left = Array(points.indices)
        var volume = 0.0
        while chosen.count < min(count, points.count) {
            var best = (gain: -Double.infinity, slot: 0)
            for (slot, index) in left.enumerated() {
                let gain = hypervolume(chosenPoints + [points[index]], reference: reference) - volume
                if gain > best.gain { best = (gain, slot) }
            }
            let index = left.remove(at: best.slot)
            chosen.append(index)
            chosenPoints.append(points[index])
            volume += max(best.gain, 0)
        }
        return chosen
    }

    /// The hypervolume after each of `points` in order (nil: one that does not count, the volume
    /// stays), keeping only the non-dominated points seen so far, so the cost follows the front's size,
    /// not the number of points.
    public static func runningHypervolume(_ points: [[Double]?], reference: [Double]) -> [Double] {
        var front: [[Double]] = []
        var volume = 0.0
        return points.map { point in
            guard let point, point.count == reference.count, zip(point, reference).allSatisfy({ $0 < $1 }),
                  !front.contains(where: { dominates($0, point) || $0 == point }) else { return volume }
            front.removeAll { dominates(point, $0) }
            front.append(point)
            volume = hypervolume(front, reference: reference)
            return volume
        }
    }

    /// The reference point Optuna's multi-objective TPE uses for `points`: per coordinate, the worst
    /// finite value pushed 10 % further out (1.1·w for positive w, 0.9·w for negative, and Optuna's
    /// EPS, 10⁻¹², for 0), so that every point lies strictly inside and adds volume. Unlike Optuna, an
    /// infinite value (a diverged trial) is left out of the worst rather than making the point infinite.
    public static func referencePoint(_ points: [[Double]], dimensions: Int) -> [Double] {
        (0..<dimensions).map { axis in
            let worst = points.compactMap { $0[axis].isFinite ? $0[axis] : nil }.max() ?? 0
            if worst == 0 { return 1e-12 }
            return max(1.1 * worst, 0.9 * worst)
        }
    }

    /// The `count` best of `points` (all minimised), as Optuna's multi-objective TPE splits them: whole
    /// non-domination ranks in order, the rank that does not fit cut by greedy hypervolume subset
    /// selection against that rank's `referencePoint` (a point with an infinite value adds no volume,
    /// so it is chosen last). Indices into `points`, ranks in order.
    public static func best(_ points: [[Double]], count: Int) -> [Int] {
        guard points.count > count else { return Array(points.indices) }
        let ranks = fronts(points)
        var chosen: [Int] = []
        for rank in Set(ranks).sorted() {
            let members = points.indices.filter { ranks[$0] == rank }
            if chosen.count + members.count <= count {
                chosen += members
                continue
            }
            let rankPoints = members.map { points[$0] }
            let reference = referencePoint(rankPoints, dimensions: rankPoints[0].count)
            chosen += greedySubset(rankPoints, count: count - chosen.count, reference: reference).map { members[$0] }
            break
        }
        return chosen
    }
}

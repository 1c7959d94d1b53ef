import Foundation
import SweepCore
import SweepTestSupport
import Testing

/// `sweep importance` on a real program sweep: the score follows x strongly, y weakly and z not at all.
@Suite("Parameter importance, end to end", .heavy, .timeLimit(.minutes(10)))
struct ImportanceSweepTests {
    /// Noise of its own per configuration (seeded by the arguments), so a rerun prints the same.
    static let program = """
        import argparse, json, random
        p = argparse.ArgumentParser()
        p.add_argument("--x", type=float)
        p.add_argument("--y", type=float)
        p.add_argument("--z", type=float)
        a = p.parse_args()
        noise = random.Random(repr((a.x, a.y, a.z))).uniform(-0.5, 0.5)
        print(json.dumps({"score": 4 * (a.x - 0.2) ** 2 + 0.4 * (a.y - 0.5) ** 2 + 0.05 * noise}), flush=True)
        """

    @Test func xMattersMostThenYAndZIsWithinNoise() async throws {
        let scratch = Scratch()
        scratch.write(Self.program, to: "score.py")
        scratch.write("""
            name: xyz
            program: score.py
            method: random
            run_cap: 300
            random_seed: 11
            metric: {name: score, goal: minimize}
            parameters:
              x: {distribution: uniform, min: 0, max: 1}
              y: {distribution: uniform, min: 0, max: 1}
              z: {distribution: uniform, min: 0, max: 1}
            """, to: "xyz.yaml")
        let run = try await SweepBinary.run(["run", "xyz.yaml", "--workers", "2", "--results", "xyz"], directory: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        let outcome = try await SweepBinary.run(["importance", "xyz", "--json"], directory: scratch.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(document["method"] as? String == "ped-anova" && document["trials"] as? Int == 300 && document["top"] as? Int == 30)
        let parameters = try #require(document["parameters"] as? [[String: Any]])
        print("importance (random_seed 11):", parameters)
        #expect(parameters.map { $0["name"] as? String } == ["x", "y", "z"], "x > y > z")
        #expect(parameters.map { $0["within_noise"] as? Bool } == [false, false, true], "only z within noise")
        let shares = parameters.compactMap { $0["importance"] as? Double }
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)

        // The table says the same, and the same every time.
        let table = try await SweepBinary.run(["importance", "xyz"], directory: scratch.path)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("importance for reaching the best 30 of 300 completed trials by score (minimize)") == true,
                "\(table.stdout)")
        #expect(lines.last?.hasPrefix("  z") == true && lines.last?.hasSuffix("within noise") == true, "\(table.stdout)")
        let again = try await SweepBinary.run(["importance", "xyz", "--json"], directory: scratch.path)
        #expect(again.stdout == outcome.stdout)

        // The report shows the same bars: x, y, z in that order, z grey and marked within noise.
        let report = try await SweepBinary.run(["report", "xyz"], directory: scratch.path)
        #expect(report.status == 0, "\(report.stderr)")
        let html = scratch.text("xyz/report.html")
        let chart = try #require(html.components(separatedBy: "data-chart=\"importance\"").dropFirst().first).components(separatedBy: "</figure>")[0]
        let names = chart.components(separatedBy: "data-name=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(names == ["x", "y", "z"], "\(names)")
        #expect(chart.components(separatedBy: "within noise").count - 1 == 1, "only z is within noise")

        // Mistakes in one line each.
        let unknown = try await SweepBinary.run(["importance", "xyz", "--by", "scor"], directory: scratch.path)
        #expect(unknown.status != 0 && unknown.stderr.contains("--by scor is not a metric of sweep xyz; did you mean score?"),
                "\(unknown.stderr)")
        let missing = try await SweepBinary.run(["importance", "nowhere"], directory: scratch.path)
        #expect(missing.status != 0 && missing.stderr.contains("nowhere is not a results directory"), "\(missing.stderr)")
    }
}

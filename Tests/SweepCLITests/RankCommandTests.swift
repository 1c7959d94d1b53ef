import Foundation
import SweepTestSupport
import Testing

/// `sweep rank` on a fixed trials.csv: seed groups, ties, diverged and failed trials last.
@Suite("sweep rank")
struct RankCommandTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ranking-trials.csv").path

    @Test(.timeLimit(.minutes(10))) func tableOrdersGroupsTiesAndFailures() throws {
        let outcome = try SweepBinary.run(["rank", Self.fixture])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == """
            #  learning_rate  momentum  test_loss        n  status             trials
            1  0.01           0.9       0.2500 ± 0.0000  2  completed          2 trials
            2  0.1            0.0       0.5000           1  completed          c000000000000000
            2  0.1            0.9       0.5000 ± 0.1250  3  completed          3 trials
            4  0.001          0.0       0.7500           1  completed          f000000000000000
            5  0.01           0.0       0.8750           1  completed (1 not)  2 trials
            -  1.0            0.9       -                0  diverged           d000000000000000
            -  1.0            0.0       -                0  failed             e000000000000000

            """)
    }

    @Test(.timeLimit(.minutes(10))) func accuracyRanksHighestFirstAndTopCuts() throws {
        let outcome = try SweepBinary.run(["rank", Self.fixture, "--by", "test_accuracy", "--top", "2"])
        #expect(outcome.status == 0)
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix("1  0.1            0.0       0.9000"))
        #expect(lines[2].hasPrefix("2  0.1            0.9       0.8500 ± 0.0100"))
        #expect(lines[3] == "(5 more; --top to show more)")
    }

    @Test(.timeLimit(.minutes(10))) func jsonCarriesRanksMeansAndMembers() throws {
        let outcome = try SweepBinary.run(["rank", Self.fixture, "--json"])
        let rows = try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 7)
        #expect(rows.map { $0["rank"] as? Int } == [1, 2, 2, 4, 5, nil, nil])
        #expect(rows[0]["trials"] as? [String] == ["b000000000000000", "b000000000000001"])
        #expect(rows[2]["mean"] as? Double == 0.5)
        #expect(rows[2]["sd"] as? Double == 0.125)
        #expect(rows[5]["status"] as? String == "diverged")
        #expect(rows[6]["status"] as? String == "failed")
    }

    @Test(.timeLimit(.minutes(2)), arguments: [(["rank", "/nonexistent/results"], "does not exist"),
                      (["rank", "--by", "speed", "x"], "--by must be one of")])
    func badInputIsOneLine(arguments: [String], fragment: String) throws {
        let outcome = try SweepBinary.run(arguments)
        #expect(outcome.status != 0)
        #expect(outcome.stderrLines.count == 1)
        #expect(outcome.stderr.contains(fragment))
    }
}

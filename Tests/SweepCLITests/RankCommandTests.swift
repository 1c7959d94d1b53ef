import Foundation
import SweepTestSupport
import Sweeping
import Testing
import SweepCore

/// `sweep rank` on a fixed trials.csv: seed groups, ties, diverged and failed trials last; on a
/// program sweep, by any figure its program printed; and without a folder, the most recent sweep.
@Suite("sweep rank")
struct RankCommandTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ranking-trials.csv").path

    /// `sweep arguments…` in `directory`, waited for off Swift Testing's threads.
    static func sweep(_ arguments: [String], in directory: String? = nil,
                      environment: [String: String] = [:]) async throws -> SweepBinary.Outcome {
        try await SweepBinary.run(arguments, environment: environment, directory: directory)
    }

    @Test(.timeLimit(.minutes(2))) func tableOrdersGroupsTiesAndFailures() async throws {
        let outcome = try await Self.sweep(["rank", Self.fixture])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        // Numbers for people: at most four significant digits (0.25, not 0.2500).
        #expect(outcome.stdout == """
            #  learning_rate  momentum  test_loss    n  status             trials
            1  0.01           0.9       0.25 ± 0     2  completed          2 trials
            2  0.1            0.0       0.5          1  completed          c000000000000000
            2  0.1            0.9       0.5 ± 0.125  3  completed          3 trials
            4  0.001          0.0       0.75         1  completed          f000000000000000
            5  0.01           0.0       0.875        1  completed (1 not)  2 trials
            -  1.0            0.9       -            0  diverged           d000000000000000
            -  1.0            0.0       -            0  failed             e000000000000000

            """)
    }

    @Test(.timeLimit(.minutes(2))) func accuracyRanksHighestFirstAndTopCuts() async throws {
        let outcome = try await Self.sweep(["rank", Self.fixture, "--by", "test_accuracy", "--top", "2", "--columns", "train_loss"])
        #expect(outcome.status == 0)
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].split(separator: " ") == ["#", "learning_rate", "momentum", "test_accuracy", "n", "train_loss", "status", "trials"])
        #expect(lines[1].hasPrefix("1  0.1            0.0       0.9            1  0.3"), "\(lines[1])")
        #expect(lines[2].hasPrefix("2  0.1            0.9       0.85 ± 0.01    3  0.3 ± 0"), "\(lines[2])")
        #expect(lines[3] == "(5 more; --top to show more)")
        // The built-in trainer's own figures need no word about their direction.
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
    }

    @Test(.timeLimit(.minutes(2))) func jsonCarriesRanksMeansMembersAndTypedValues() async throws {
        let outcome = try await Self.sweep(["rank", Self.fixture, "--json", "--columns", "test_accuracy"])
        let rows = try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 7)
        #expect(rows.map { $0["rank"] as? Int } == [1, 2, 2, 4, 5, nil, nil])
        #expect(rows[0]["trials"] as? [String] == ["b000000000000000", "b000000000000001"])
        #expect(rows[2]["mean"] as? Double == 0.5)
        #expect(rows[2]["sd"] as? Double == 0.125)
        #expect(rows[5]["status"] as? String == "diverged")
        #expect(rows[6]["status"] as? String == "failed")
        // The column asked for, at full precision.
        let accuracy = try #require((rows[0]["columns"] as? [String: Any])?["test_accuracy"] as? [String: Any])
        #expect(accuracy["mean"] as? Double == (0.80 + 0.81) / 2)
        // Values by their kind: numbers, booleans, words, widths; never all strings.
        let parameters = try #require(rows[0]["parameters"] as? [String: Any])
        #expect(parameters["hidden"] as? [Int] == [128, 128])
        for typed in ["\"learning_rate\" : 0.01", "\"batch_size\" : 64", "\"nesterov\" : false", "\"augment\" : \"none\"",
                      "\"teacher\" : null"] {
            #expect(outcome.stdout.contains(typed), "\(typed) in \(outcome.stdout.prefix(1200))")
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: [
        (["rank", "/nonexistent/results"], "does not exist"),
        (["rank", fixture, "--by", "speed"], "--by speed is not a metric of sweep Fixtures (its metrics: test_loss, best_test_loss, "),
        (["rank", fixture, "--by", "test_acuracy"], "did you mean test_accuracy?"),
        (["rank", fixture, "--columns", "test_loss,trian_loss"], "--columns trian_loss is not a metric of sweep Fixtures; did you mean train_loss?"),
        (["rank", fixture, "--goal", "up"], "--goal must be minimize or maximize"),
    ])
    func badInputIsOneLine(arguments: [String], fragment: String) async throws {
        let outcome = try await Self.sweep(arguments)
        #expect(outcome.status == ExitStatus.usage || outcome.status == ExitStatus.noInput)
        #expect(outcome.stderrLines.count == 1)
        #expect(outcome.stderr.contains(fragment), "\(outcome.stderr)")
    }

    /// A program that prints `loss` (lowest at epoch 2) and `acc` (highest at epoch 1) from its values.
    static let figures = """
        import argparse, json
        p = argparse.ArgumentParser()
        p.add_argument("--momentum", type=float)
        p.add_argument("--lr", type=float)
        p.add_argument("--batch_size", type=int)
        p.add_argument("--shuffle", type=str)
        p.add_argument("--note", type=str)
        a = p.parse_args()
        base = a.lr * 10 + a.momentum
        for epoch in (1, 2, 3):
            acc = a.batch_size / 100 + (0.001 if a.shuffle == "True" else 0) + (0.01 if epoch == 1 else 0)
            print(json.dumps({"epoch": epoch, "loss": base + 0.1 * (epoch - 2) ** 2, "acc": acc}), flush=True)
        """

    @Test(.heavy, .timeLimit(.minutes(10))) func aProgramSweepRanksByAnyFigureItPrinted() async throws {
        let scratch = Scratch()
        scratch.write(Self.figures, to: "figures.py")
        // Parameters in an order that is not alphabetical; W&B sorts them, the table shows them as written.
        scratch.write("""
            name: figures
            program: figures.py
            metric: {name: loss}
            parameters:
              momentum: {values: [0.0, 0.5]}
              lr: {values: [0.0123456, 0.05]}
              batch_size: {values: [32, 64]}
              shuffle: {values: [true, false]}
              note: {value: plain}
            """, to: "figures.yaml")
        let run = try await Self.sweep(["run", "figures.yaml", "--workers", "2"], in: scratch.path, environment: ["TMPDIR": scratch.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(scratch.rows("Results/figures/trials.csv").count == 16)

        // By the sweep's own metric: the file's order, and four significant digits.
        let rank = try await Self.sweep(["rank", "Results/figures"], in: scratch.path)
        #expect(rank.status == 0 && rank.stderr.isEmpty, "\(rank.stderr)")
        let lines = rank.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["#", "momentum", "lr", "batch_size", "shuffle", "loss", "status", "trial"])
        #expect(lines.count == 17)
        #expect(Set(lines.dropFirst().map { $0[2] }) == ["0.01235", "0.05"], "\(rank.stdout)")
        #expect(lines.dropFirst().map { $0[5] } == Array(repeating: "0.2235", count: 4) + Array(repeating: "0.6", count: 4)
                + Array(repeating: "0.7235", count: 4) + Array(repeating: "1.1", count: 4), "\(rank.stdout)")
        #expect(lines.dropFirst().map { $0[0] } == ["1", "1", "1", "1", "5", "5", "5", "5", "9", "9", "9", "9", "13", "13", "13", "13"])
        for line in lines.dropFirst() {
            for cell in [line[1], line[2], line[5]] { #expect(DisplayNumber.significantDigits(cell) <= 4, "\(cell)") }
        }

        // By a figure that is not the sweep's metric: acc, highest first (and said so).
        let byAccuracy = try await Self.sweep(["rank", "Results/figures", "--by", "acc", "--top", "4"], in: scratch.path)
        #expect(byAccuracy.status == 0, "\(byAccuracy.stderr)")
        #expect(byAccuracy.stderrLines == ["sweep: ranking by acc, highest first (--goal minimize to reverse)"])
        let top = byAccuracy.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(top.first == ["#", "momentum", "lr", "batch_size", "shuffle", "acc", "status", "trial"])
        #expect(top.dropFirst().prefix(4).allSatisfy { $0[0] == "1" && $0[3] == "64" && $0[4] == "True" && $0[5] == "0.641" },
                "\(byAccuracy.stdout)")
        let lowest = try await Self.sweep(["rank", "Results/figures", "--by", "acc", "--goal", "minimize", "--top", "1"], in: scratch.path)
        #expect(lowest.stdout.split(separator: "\n")[1].split(separator: " ")[5] == "0.32", "\(lowest.stdout)")

        // best_<figure>, with other figures beside it, in JSON: full precision and typed values.
        let json = try await Self.sweep(["rank", "Results/figures", "--by", "best_acc", "--columns", "loss,best_loss", "--json"],
                                        in: scratch.path)
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 16)
        for row in rows {
            let parameters = try #require(row["parameters"] as? [String: Any])
            let (momentum, lr) = (try #require(parameters["momentum"] as? Double), try #require(parameters["lr"] as? Double))
            let batch = try #require(parameters["batch_size"] as? Int)
            let columns = try #require(row["columns"] as? [String: [String: Any]])
            #expect(row["metric"] as? String == "best_acc" && row["goal"] as? String == "maximize")
            let shuffled = try #require(parameters["shuffle"] as? Bool)
            let best = try #require(row["mean"] as? Double)
            #expect(abs(best - (Double(batch) / 100 + (shuffled ? 0.001 : 0) + 0.01)) < 1e-12, "\(row)")
            let base = lr * 10 + momentum
            #expect(abs(try #require(columns["loss"]?["mean"] as? Double) - (base + 0.1)) < 1e-12, "\(row)")
            #expect(abs(try #require(columns["best_loss"]?["mean"] as? Double) - base) < 1e-12, "\(row)")
        }
        #expect(try #require(rows.first?["mean"] as? Double) > 0.65)
        for typed in ["\"lr\" : 0.0123456", "\"batch_size\" : 64", "\"shuffle\" : true", "\"shuffle\" : false", "\"note\" : \"plain\""] {
            #expect(json.stdout.contains(typed), "\(typed)")
        }

        // A name the sweep does not have: one line, what it has, and the close one.
        let wrong = try await Self.sweep(["rank", "Results/figures", "--by", "ac"], in: scratch.path)
        #expect(wrong.status == ExitStatus.usage && wrong.stderrLines.count == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("--by ac is not a metric of sweep figures; did you mean acc? (its metrics: loss, best_loss, acc, best_acc, seconds)"),
                "\(wrong.stderr)")
    }

    @Test(.timeLimit(.minutes(2))) func withoutAFolderTheMostRecentSweepIsReadAndSaidSo() async throws {
        let scratch = Scratch()
        let fixture = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        for name in ["older", "newer", "not-a-sweep"] {
            try FileManager.default.createDirectory(atPath: scratch.file("Results/\(name)"), withIntermediateDirectories: true)
        }
        scratch.write(fixture, to: "Results/older/trials.csv")
        scratch.write(fixture.split(separator: "\n").prefix(4).joined(separator: "\n") + "\n", to: "Results/newer/trials.csv")
        scratch.write("notes", to: "Results/not-a-sweep/notes.txt")
        func age(_ name: String, seconds: Double) throws {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)],
                                                  ofItemAtPath: scratch.file("Results/\(name)/trials.csv"))
        }
        try age("older", seconds: 3600)
        try age("newer", seconds: 60)

        let rank = try await Self.sweep(["rank"], in: scratch.path)
        #expect(rank.status == 0, "\(rank.stderr)")
        #expect(rank.stderrLines == ["sweep: reading Results/newer (the most recent sweep)"])
        let named = try await Self.sweep(["rank", "Results/newer"], in: scratch.path)
        #expect(rank.stdout == named.stdout && named.stderr.isEmpty)
        #expect(rank.stdout.split(separator: "\n").count == 2)

        // The other one changes: it is the most recent now; its sweep.json names it.
        try age("older", seconds: 0)
        scratch.write(#"{"created":"2025-01-01T00:00:00Z","id":"0123456789ab","name":"renamed"}"#, to: "Results/older/sweep.json")
        let again = try await Self.sweep(["rank", "--top", "1"], in: scratch.path)
        #expect(again.stderrLines == ["sweep: reading Results/older (the most recent sweep, called renamed)"], "\(again.stderr)")
        #expect(again.stdout.split(separator: "\n").count == 3)
        let status = try await Self.sweep(["status", "--once"], in: scratch.path)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stderrLines == ["sweep: reading Results/older (the most recent sweep, called renamed)"], "\(status.stderr)")
        #expect(status.stdout.hasPrefix("sweep renamed: 11 recorded; no coordinator is running (figures from the CSVs)"), "\(status.stdout)")
        let report = try await Self.sweep(["report"], in: scratch.path)
        #expect(report.status == 0 && report.stdout == "Results/older/report.html\n", "\(report.stdout) \(report.stderr)")
        #expect(report.stderrLines == ["sweep: reading Results/older (the most recent sweep, called renamed)"])

        // Nothing under Results/: one line, and the exit status of a missing file.
        let empty = Scratch()
        for command in ["rank", "status", "report"] {
            let outcome = try await Self.sweep([command], in: empty.path)
            #expect(outcome.status == ExitStatus.noInput && outcome.stderrLines.count == 1, "\(command): \(outcome.stderr)")
            #expect(outcome.stderr.contains("no results directory given, and Results/ holds no sweep"), "\(outcome.stderr)")
        }
    }
}

import Foundation
import SweepCore
import SweepTestSupport
import Sweeping
import Testing
import ResultsStore

/// Several objectives through the real binary: a program sweep and a built-in one run, rank
/// (`--json` with fronts), report (looked at in headless Chromium), and resume after a SIGKILL to the
/// same rows; warm start and enqueue from the command line.
@Suite("Several objectives, end to end", .heavy, .timeLimit(.minutes(10)))
struct ObjectivesSweepTests {
    /// A program with two objectives that pull apart: `loss` falls with width, `cost` grows with it;
    /// it also prints `acc`, which a constraint reads.
    static let program = """
        import argparse, json, math, time
        p = argparse.ArgumentParser()
        p.add_argument("--lr", type=float, default=0.01)
        p.add_argument("--width", type=int, default=8)
        p.add_argument("--lines", type=int, default=4)
        p.add_argument("--sleep", type=float, default=0.0)
        a = p.parse_args()
        floor = 0.2 + 0.08 * (math.log10(a.lr) + 1.5) ** 2 + 2.0 / a.width
        for epoch in range(1, a.lines + 1):
            if a.sleep:
                time.sleep(a.sleep)
            loss = floor + 1.5 * math.exp(-epoch / 2)
            print(json.dumps({"epoch": epoch, "loss": loss, "cost": a.width * epoch, "acc": 1 - loss / 3}), flush=True)
        """

    static func run(_ arguments: [String], _ scratch: Scratch) async throws -> SweepBinary.Outcome {
        try await SweepBinary.run(arguments, environment: ["TMPDIR": scratch.path], directory: scratch.path)
    }

    static func rankJSON(_ folder: String, _ scratch: Scratch) async throws -> [[String: Any]] {
        let rank = try await Self.run(["rank", folder, "--json"], scratch)
        #expect(rank.status == 0, "\(rank.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(rank.stdout.utf8)) as? [[String: Any]])
    }

    /// The report of `folder`, rendered by Chromium: its DOM, after checking nothing went to the console.
    static func renderedReport(_ folder: String, _ scratch: Scratch) async throws -> String {
        let report = try await Self.run(["report", folder], scratch)
        #expect(report.status == 0, "\(report.stderr)")
        let outcome = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/chromium"),
                                                  ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                                   "--dump-dom", "file://" + scratch.file(folder + "/report.html")])
        let console = outcome.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console: \(console)")
        return outcome.stdout
    }

    /// Every row's front is a whole number from 1, and no row of a front is dominated by a row of it.
    static func checkFronts(_ rows: [[String: Any]], objectives: [String], minimize: [Bool]) {
        let completed = rows.filter { $0["status"] as? String == "completed" && $0["feasible"] as? Bool != false }
        #expect(!completed.isEmpty)
        for row in completed {
            let front = row["front"] as? Int
            #expect(front != nil && front! >= 1, "\(row)")
        }
        func vector(_ row: [String: Any]) -> [Double] {
            let values = row["objectives"] as! [String: Double]
            return zip(objectives, minimize).map { values[$0]! * ($1 ? 1 : -1) }
        }
        for a in completed where a["front"] as? Int == 1 {
            for b in completed where b["front"] as? Int == 1 {
                #expect(!Pareto.dominates(vector(a), vector(b)), "front 1 holds a dominated row")
            }
        }
        let leading = Array(rows.prefix(completed.count).map { $0["front"] as? Int ?? Int.max })
        #expect(leading == completed.map { $0["front"] as! Int }, "feasible completed rows come first")
    }

    @Test func aTwoObjectiveProgramSweepRunsRanksReportsAndResumesToTheSameRows() async throws {
        let scratch = Scratch()
        scratch.write(Self.program, to: "train.py")
        scratch.write("""
            name: two
            program: train.py
            method: bayes
            run_cap: 12
            parallelism: 2
            random_seed: 3
            metrics: [{name: loss, goal: minimize}, {name: cost, goal: minimize}]
            metric_constraints: ["acc >= 0.55"]
            early_terminate: {type: asha, min_iter: 1, eta: 2}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
              width: {values: [2, 4, 8, 16, 32]}
              lines: {value: 4}
              sleep: {value: 0.1}
            """, to: "two.yaml")
        let check = try await Self.run(["check", "two.yaml"], scratch)
        #expect(check.stdout.contains("metrics: loss (minimize), cost (minimize)"), "\(check.stdout)")
        let clean = try await Self.run(["run", "two.yaml", "--workers", "2", "--results", "clean"], scratch)
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.split(separator: "\n").first?.split(separator: " ").prefix(2) == ["#", "front"], "\(clean.stdout)")
        let trials = Results(scratch.file("clean")).trials
        #expect(trials.count == 12)
        #expect(trials.allSatisfy { $0.feasible != nil }, "feasible is true or false in every row")
        #expect(trials.contains { $0.status == .stopped })
        #expect(scratch.text("clean/trials.csv").split(separator: "\n").first?.contains(",best_loss,cost,") == true)
        Self.checkFronts(try await Self.rankJSON("clean", scratch), objectives: ["loss", "cost"], minimize: [true, true])
        let dom = try await Self.renderedReport("clean", scratch)
        #expect(dom.contains("data-chart=\"front-loss-cost\""))
        #expect(dom.contains("data-chart=\"hypervolume-trials\"") && dom.contains("data-chart=\"hypervolume-time\""))

        // SIGKILL a second run once a few rows are in; the rerun resumes to the clean run's rows.
        let run = try SweepBinary.start(["run", "two.yaml", "--workers", "2", "--results", "killed"], directory: scratch.path, log: "run-")
        #expect(await Processes.await(seconds: 60) { scratch.rows("killed/trials.csv").count >= 4 }, "\(scratch.text("run-stderr.log"))")
        kill(run.processIdentifier, SIGKILL)
        try await run.waitForExit()
        let before = scratch.rows("killed/trials.csv").count
        #expect(before < 12, "the sweep finished before it was killed")
        let rerun = try await Self.run(["run", "two.yaml", "--workers", "2", "--results", "killed"], scratch)
        #expect(rerun.status == 0 && rerun.stderr.contains("already recorded"), "\(rerun.stderr)")
        #expect(Results(scratch.file("killed")).outcomes == Results(scratch.file("clean")).outcomes)
    }

    static let builtIn = """
        method: random
        run_cap: 8
        random_seed: 5
        metrics: [{name: test_loss, goal: minimize}, {name: model_size, goal: minimize}]
        metric_constraints: ["test_accuracy >= 0.3"]
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 0.01, max: 0.3}
          hidden: {values: ["8", "16", "32", "64,32"]}
          epochs: {value: 2}
          train_limit: {value: 800}
          test_limit: {value: 400}
        """

    @Test func aTwoObjectiveBuiltInSweepRunsRanksReportsResumesAndWarmStartsTheNext() async throws {
        let scratch = Scratch()
        scratch.write("name: first\n" + Self.builtIn, to: "first.yaml")
        let first = try await Self.run(["run", "first.yaml", "--workers", "2"], scratch)
        #expect(first.status == 0, "\(first.stderr)")
        let trials = Results(scratch.file("Results/first")).trials
        #expect(trials.count == 8 && trials.allSatisfy { $0.feasible != nil })
        let rows = try await Self.rankJSON("Results/first", scratch)
        Self.checkFronts(rows, objectives: ["test_loss", "model_size"], minimize: [true, true])
        // model_size is the network's weights and biases: 784·8 + 8 + 8·10 + 10 = 6,370 for one layer of 8.
        let sizes = Set(rows.compactMap { ($0["objectives"] as? [String: Double])?["model_size"] })
        let twoLayers: Double = 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
        let expectedSizes: Set<Double> = [6_370, 12_730, 25_450, twoLayers]
        #expect(sizes.isSubset(of: expectedSizes), "\(sizes)")
        let dom = try await Self.renderedReport("Results/first", scratch)
        #expect(dom.contains("data-chart=\"front-test_loss-model_size\""))

        // Resume: SIGKILL midway, then rerun; the rows are the first run's.
        scratch.write("name: again\n" + Self.builtIn, to: "again.yaml")
        let run = try SweepBinary.start(["run", "again.yaml", "--workers", "1"], directory: scratch.path, log: "again-")
        #expect(await Processes.await(seconds: 120) { scratch.rows("Results/again/trials.csv").count >= 3 }, "\(scratch.text("again-stderr.log"))")
        kill(run.processIdentifier, SIGKILL)
        try await run.waitForExit()
        let rerun = try await Self.run(["run", "again.yaml", "--workers", "2"], scratch)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(Results(scratch.file("Results/again")).outcomes == Results(scratch.file("Results/first")).outcomes)

        // Warm start from the first sweep, with an enqueued point: the priors are learnt, not rerun or copied.
        scratch.write("""
            name: next
            method: bayes
            run_cap: 4
            parallelism: 1
            random_seed: 6
            warm_start: [Results/first, Results/nowhere-near]
            enqueue: [{learning_rate: 0.1, hidden: "16"}]
            """ + "\n" + Self.builtIn.split(separator: "\n").dropFirst(3).joined(separator: "\n") + "\n", to: "next.yaml")
        let missing = try await Self.run(["check", "next.yaml"], scratch)
        #expect(missing.status != 0 && missing.stderr.contains("warm_start[1]: 'Results/nowhere-near' holds no trials.csv"),
                "\(missing.stderr)")
        scratch.write(scratch.text("next.yaml").replacingOccurrences(of: ", Results/nowhere-near", with: ""), to: "next.yaml")
        let check = try await Self.run(["check", "next.yaml"], scratch)
        #expect(check.stdout.contains("warm_start: Results/first: 8 of its 8 trials lie in this sweep's space"), "\(check.stdout)")
        #expect(check.stdout.contains("enqueue: 1 point run first"), "\(check.stdout)")
        let next = try await Self.run(["run", "next.yaml", "--workers", "2"], scratch)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("warm start: learning from 8 earlier trials"), "\(next.stderr)")
        let recorded = Results(scratch.file("Results/next")).trials
        #expect(recorded.count == 4)
        #expect(Set(recorded.map(\.id)).isDisjoint(with: trials.map(\.id)), "a prior was rerun or copied")
        #expect(recorded.first { $0.number == 0 }?.config.learningRate == 0.1)
        let nextDom = try await Self.renderedReport("Results/next", scratch)
        #expect(nextDom.contains("(prior)"), "the report marks the warm-start trials")
    }
}

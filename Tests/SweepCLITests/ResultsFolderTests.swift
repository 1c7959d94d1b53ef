import Foundation
import SweepCore
import Sweeping
import SweepTestSupport
import Testing
import ResultsStore
import SweepFiles

/// A results folder knows its sweep: two different files with one name do not merge, `--extend`
/// merges them on purpose, `--fresh` moves the old folder aside, every version of the file that ran
/// is kept, and a change that does not change what runs resumes. A file without `name:` is called by
/// its stem everywhere; `runs.csv` keeps ISO times and the name.
@Suite("Results folders", .heavy, .timeLimit(.minutes(10)))
struct ResultsFolderTests {
    static let small = "  train_limit: {value: 500}\n  test_limit: {value: 200}\n"

    /// Two files called `a.yaml` in two folders, as a user copying examples would have.
    static func scratch() -> Scratch {
        let scratch = Scratch()
        scratch.write("parameters:\n  learning_rate: {values: [0.05, 0.1]}\n  epochs: {value: 1}\n" + small, to: "x/a.yaml")
        scratch.write("parameters:\n  momentum: {values: [0.5, 0.9]}\n  epochs: {value: 2}\n" + small, to: "y/a.yaml")
        return scratch
    }

    static func run(_ arguments: [String], _ scratch: Scratch) async throws -> SweepBinary.Outcome {
        try await SweepBinary.run(arguments, directory: scratch.path)
    }

    /// Every file under `folder` with its bytes (what "nothing changed" compares).
    static func snapshot(_ folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let name = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: folder + "/" + name) { files[name] = data }
        }
        return files
    }

    @Test func anotherSweepWithTheSameNameIsRefusedInOneLineAndChangesNothing() async throws {
        let scratch = Self.scratch()
        let first = try await Self.run(["run", "x/a.yaml", "--workers", "2"], scratch)
        #expect(first.status == 0, "\(first.stderr)")
        let before = Self.snapshot(scratch.file("Results/a")).filter { $0.key != "lock" }  // the lock file holds the pid of its last holder
        let second = try await Self.run(["run", "y/a.yaml", "--workers", "2"], scratch)
        #expect(second.status == ExitStatus.cannotCreate, "\(second.stderr)")
        let errors = second.stderrLines.filter { $0.contains("error:") }
        #expect(errors == ["sweep: error: Results/a holds another sweep: parameters learning_rate → momentum, epochs 1 → 2; "
                           + "give this one --results DIR or a name: of its own, start the folder over with --fresh (the old "
                           + "results are moved aside), or add its trials to the folder on purpose with --extend"],
                "\(second.stderr)")
        #expect(Self.snapshot(scratch.file("Results/a")).filter { $0.key != "lock" } == before, "the refused run changed the folder")
        // On purpose: both sweeps' trials in one folder, both files kept.
        let extended = try await Self.run(["run", "y/a.yaml", "--workers", "2", "--extend"], scratch)
        #expect(extended.status == 0, "\(extended.stderr)")
        #expect(Results(scratch.file("Results/a")).trials.count == 4)
        #expect(scratch.text("Results/a/sweep.1.yaml") == scratch.text("x/a.yaml"))
        #expect(scratch.text("Results/a/sweep.yaml") == scratch.text("y/a.yaml"))
        // Either file now resumes the folder: both ran here.
        let again = try await Self.run(["run", "x/a.yaml"], scratch)
        #expect(again.status == 0 && again.stderr.contains("2 trials, 2 already recorded in Results/a"), "\(again.stderr)")
        #expect(scratch.text("Results/a/sweep.2.yaml") == scratch.text("y/a.yaml"), "an earlier version was overwritten")
        // --fresh moves the folder aside and starts the other sweep in a new one.
        let fresh = try await Self.run(["run", "y/a.yaml", "--workers", "2", "--fresh"], scratch)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(fresh.stderr.contains("moved the earlier results to Results/a."), "\(fresh.stderr)")
        #expect(Results(scratch.file("Results/a")).trials.count == 2)
        let folders = try FileManager.default.contentsOfDirectory(atPath: scratch.file("Results"))
        #expect(folders.count == 2 && folders.contains { $0.hasPrefix("a.") })
    }

    @Test func whatDoesNotChangeWhatRunsResumes() async throws {
        let scratch = Scratch()
        scratch.write("method: random\nrun_cap: 2\nrandom_seed: 4\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0.01, max: 0.1}\n"
                      + "  epochs: {value: 1}\n" + Self.small, to: "r.yaml")
        let first = try await Self.run(["run", "r.yaml", "--workers", "2"], scratch)
        #expect(first.status == 0, "\(first.stderr)")
        // Comments, other key order, a higher run_cap, a description, the default dropout given: the same sweep.
        scratch.write("# grown\ndescription: more of the same\nparameters:\n  epochs: {value: 1}\n"
                      + "  learning_rate: {distribution: log_uniform_values, min: 0.01, max: 0.1}\n  dropout: {value: 0.0}\n" + Self.small
                      + "random_seed: 4\nrun_cap: 3\nmethod: random\n", to: "r.yaml")
        let more = try await Self.run(["run", "r.yaml", "--workers", "2"], scratch)
        #expect(more.status == 0 && more.stderr.contains("3 trials, 2 already recorded"), "\(more.stderr)")
        #expect(Results(scratch.file("Results/r")).trials.count == 3)
        // Another seed draws other trials: another sweep.
        scratch.write(scratch.text("r.yaml").replacingOccurrences(of: "random_seed: 4", with: "random_seed: 5"), to: "r.yaml")
        let other = try await Self.run(["run", "r.yaml"], scratch)
        #expect(other.status == ExitStatus.cannotCreate && other.stderr.contains("holds another sweep: random_seed 4 → 5"), "\(other.stderr)")
    }

    @Test func aFileWithoutANameIsCalledByItsStemEverywhere() async throws {
        let scratch = Self.scratch()
        let run = try await Self.run(["run", "x/a.yaml", "--workers", "2"], scratch)
        #expect(run.status == 0 && run.stderr.contains("sweep a: 2 trials"), "\(run.stderr)")
        let report = try await Self.run(["report", "Results/a"], scratch)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(scratch.text("Results/a/report.html").contains("<title>sweep report: a</title>"))
        let runs = ResultStore.readRuns(scratch.file("Results/a/runs.csv"))
        #expect(runs.count == 1 && runs[0].sweep == "a" && runs[0].workers.count == 2)
        // Times for people and machines: ISO 8601 in UTC.
        let row = try #require(scratch.text("Results/a/runs.csv").split(separator: "\n").last)
        #expect(row.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,\d{4}-"#, options: .regularExpression) != nil, "\(row)")
        let status = try await Self.run(["status", "Results/a"], scratch)
        #expect(status.stdout.contains("sweep a:") && status.stdout.contains("2/2"), "\(status.stdout)")
    }

    @Test func trialsCSVOfAnotherLayoutIsCalledWhatItIs() async throws {
        let scratch = Self.scratch()
        // A folder with a program sweep's trials.csv and no sweep file: nothing to compare, so the header tells.
        scratch.write("trial,status,x,loss,best_loss,best_epoch,epochs_run,seconds,attempts,worker,host,reason,number,stopped_at,epochs_trained\n",
                      to: "Results/a/trials.csv")
        let run = try await Self.run(["run", "x/a.yaml"], scratch)
        #expect(run.status == ExitStatus.cannotCreate, "\(run.stderr)")
        #expect(run.stderr.contains("Results/a/trials.csv does not have this sweep's columns (it has trial,status,x,loss"), "\(run.stderr)")
        #expect(!run.stderr.contains("version"), "\(run.stderr)")
    }

    @Test func tryRunsAPointGivenOnTheCommandLine() async throws {
        let scratch = Scratch()
        scratch.write("import json, sys\nprint(json.dumps({'argv': sys.argv[1:]}))\nprint(json.dumps({'loss': 1.0}))\n", to: "p.py")
        scratch.write("""
            name: set
            program: p.py
            metric: {name: loss}
            parameters:
              lr: {values: [0.1, 0.01]}
              optimizer: {parameters: {name: {values: [sgd, adam]}}}
            """, to: "set.yaml")
        let first = try await Self.run(["try", "set.yaml", "--trial", "0", "--log", "0.log"], scratch)
        #expect(first.status == 0 && first.stdout.hasPrefix("trial 0 "), "\(first.stdout) \(first.stderr)")
        #expect(scratch.text("0.log").contains(#"["--lr=0.1", "--optimizer={'name': 'sgd'}"]"#), "\(scratch.text("0.log"))")
        let set = try await Self.run(["try", "set.yaml", "--set", "optimizer.name=adam", "--set", "lr=0.01", "--log", "s.log"], scratch)
        #expect(set.status == 0, "\(set.stdout) \(set.stderr)")
        #expect(scratch.text("s.log").contains(#"["--lr=0.01", "--optimizer={'name': 'adam'}"]"#), "\(scratch.text("s.log"))")
        let spec = try SweepSpec(contentsOf: scratch.file("set.yaml"))
        // The point given is the grid's last point, with that point's id.
        #expect(set.stdout.hasPrefix("trial 0 with --set \(spec.point(at: 3).id): "), "\(set.stdout)")
        let bad = try await Self.run(["try", "set.yaml", "--set", "lr=0.5"], scratch)
        #expect(bad.status == ExitStatus.usage && bad.stderr.contains("--set: lr: 0.5 is not a value of this parameter"), "\(bad.stderr)")
        let misspelled = try await Self.run(["try", "set.yaml", "--set", "lrr=0.1"], scratch)
        #expect(misspelled.status == ExitStatus.usage && misspelled.stderr.contains("did you mean lr?"), "\(misspelled.stderr)")
        let beyond = try await Self.run(["try", "set.yaml", "--trial", "4"], scratch)
        #expect(beyond.status == ExitStatus.usage && beyond.stderr.contains("the sweep has 4 trials, numbered from 0"), "\(beyond.stderr)")
    }
}

/// The README's model-loading example runs as written, on the file the README's main job keeps.
@Suite("README examples", .heavy, .timeLimit(.minutes(10)))
struct ReadmeExampleTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")

    @Test func theModelLoadingExampleLoadsTheQuickstartsBestModel() async throws {
        let readme = try String(contentsOf: Self.readme, encoding: .utf8)
        // The numpy block that loads a kept model.
        let blocks = readme.components(separatedBy: "```python\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let example = try #require(blocks.first { $0.contains("safetensors.numpy") })
        let named = try #require(example.range(of: #"Results/quickstart/models/[0-9a-f]{16}\.safetensors"#, options: .regularExpression))
        let python = ModelExportTests.python
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "Scripts/test makes .build/pyenv")
        let scratch = Scratch()
        // The README's main job: the built-in quickstart sweep, with the release build it uses when
        // Scripts/test has made it (a debug build trains it ten times slower).
        let binary = SweepBinary.releaseURL ?? SweepBinary.url
        let run = try await ProcessRunner.run(binary, ["run"], directory: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(scratch.exists(String(example[named])), "the README names a model the quickstart does not keep")
        let best = try #require(Results(scratch.file("Results/quickstart")).trials.min { ($0.metrics["final_test_loss"] ?? 9) < ($1.metrics["final_test_loss"] ?? 9) })
        #expect(example.contains(best.id), "the README's example is not the quickstart's best trial (\(best.id))")
        scratch.write(example, to: "example.py")
        // Through env, which starts it by this very path (Python finds its environment by it).
        let loaded = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), [python.path, "example.py"], directory: scratch.path)
        #expect(loaded.status == 0, "\(loaded.stdout) \(loaded.stderr)")
        let accuracy = try #require(Double(loaded.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").last ?? ""))
        #expect(abs(accuracy - (best.metrics["final_test_accuracy"] ?? 0)) < 1e-3, "\(accuracy) vs \(best.metrics["final_test_accuracy"] ?? 0)")
    }
}

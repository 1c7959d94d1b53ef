import Foundation
import SweepTestSupport
import Testing
@testable import Sweeping
import ResultsStore
import SweepFiles

/// What makes two sweep files one sweep, what differs when they are not, and `runs.csv` across versions.
@Suite("Sweep definitions")
struct SweepDefinitionTests {
    static func spec(_ yaml: String, file: String = "a.yaml") throws -> SweepSpec {
        try SweepSpec(yaml: yaml, file: file, checkFiles: false)
    }

    @Test func layoutCommentsAndWhatDoesNotRunAreNotPartOfIt() throws {
        let a = try Self.spec("""
            method: random
            run_cap: 4
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.1}
              momentum: {values: [0.0, 0.9]}
            """)
        let b = try Self.spec("""
            # the same, written otherwise
            name: renamed
            description: a note
            parameters:
              momentum: {values: [0.0, 0.9]}
              learning_rate: {min: 0.001, max: 0.1, distribution: log_uniform_values}
              dropout: {value: 0.0}
            run_cap: 40
            epoch_budget: 100
            keep_models: 0
            checkpoint_every: 30
            method: random
            """, file: "b.yaml")
        #expect(SweepDefinition(a) == SweepDefinition(b))
    }

    @Test func whatDiffersIsNamedAsPeopleReadIt() throws {
        let a = try Self.spec("parameters:\n  learning_rate: {values: [0.05, 0.1]}\n  epochs: {value: 1}\n")
        let b = try Self.spec("parameters:\n  momentum: {values: [0.5, 0.9]}\n  epochs: {value: 2}\n")
        #expect(SweepDefinition(b).differences(from: SweepDefinition(a)) == ["parameters learning_rate → momentum", "epochs 1 → 2"])
        let c = try Self.spec("method: random\nrun_cap: 2\nrandom_seed: 3\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n")
        let d = try Self.spec("method: random\nrun_cap: 2\nrandom_seed: 3\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.3}\n")
        #expect(SweepDefinition(d).differences(from: SweepDefinition(c)) == ["learning_rate log_uniform_values(0.001…0.1) → log_uniform_values(0.001…0.3)"])
        let e = try Self.spec("method: grid\nparameters:\n  learning_rate: {values: [0.1]}\n")
        let f = try Self.spec("method: random\nrun_cap: 2\nparameters:\n  learning_rate: {values: [0.1]}\n")
        #expect(SweepDefinition(f).differences(from: SweepDefinition(e)) == ["method grid → random", "random_seed (none) → 0"])
        // A program's command is part of what runs.
        let g = try Self.spec("program: t.py\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2]}\n")
        let h = try Self.spec("program: t.py\ncommand: [\"${env}\", python3, \"${program}\", \"${args_no_hyphens}\"]\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2]}\n")
        #expect(SweepDefinition(g) != SweepDefinition(h))
        #expect(SweepDefinition(h).differences(from: SweepDefinition(g)).first?.hasPrefix("command ") == true)
    }

    @Test func runsCSVOfAnEarlierVersionIsWrittenAgainInTodaysForm() throws {
        let scratch = Scratch()
        scratch.write("started,finished,wall_seconds,workers,hosts,outcome\n1796415296.9757433,1796415306.5,9.52,w1 w2,vm,finished\n",
                      to: "runs.csv")
        let store = try ResultStore(directory: scratch.path, layout: .trainer)
        try store.appendRun(.init(started: 1796415400, finished: 1796415410.25, workers: ["w3"], hosts: ["vm"], outcome: .stopped, sweep: "a"))
        let lines = scratch.text("runs.csv").split(separator: "\n")
        #expect(lines == ["started,finished,wall_seconds,workers,hosts,outcome,sweep",
                          "2026-12-04T20:14:56.976Z,2026-12-04T20:15:06.500Z,\(1796415306.5 - 1796415296.9757433),w1 w2,vm,finished,",
                          "2026-12-04T20:16:40.000Z,2026-12-04T20:16:50.250Z,10.25,w3,vm,stopped,a"])
        let runs = ResultStore.readRuns(scratch.file("runs.csv"))
        #expect(runs.map(\.sweep) == [nil, "a"] && runs.map(\.workers) == [["w1", "w2"], ["w3"]])
        #expect(abs(runs[0].started - 1796415296.9757433) < 0.001 && runs[1].finished == 1796415410.25)
    }
}

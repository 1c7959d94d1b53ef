import Foundation
import Programs
import SweepTestSupport
import Testing
@testable import Sweeping
import SweepFiles

/// Program sweeps read as W&B reads them: free parameter names and values, nested parameters,
/// `program` found next to the sweep file, and W&B's own example files.
@Suite struct ProgramSpecTests {
    let scratch = Scratch("program-spec")

    func spec(_ text: String, program: String? = "train.py") throws -> SweepSpec {
        if let program { scratch.write("# a dummy program\n", to: program) }
        scratch.write(text, to: "sweep.yaml")
        return try SweepSpec(contentsOf: scratch.file("sweep.yaml"))
    }

    static let examples: [String] = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/wandb-examples")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
    }()

    @Test(arguments: examples)
    func wandbsOwnExamplesAreRead(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let program = try #require(text.split(separator: "\n").first { $0.hasPrefix("program:") })
            .dropFirst("program:".count).trimmingCharacters(in: .whitespaces)
        let spec = try spec(text, program: program)
        let sweep = try #require(spec.program)
        #expect(!sweep.parameters.isEmpty)
        #expect(sweep.programPath == scratch.file(program))
        // Every shown trial makes an argv that starts the program.
        for index in 0..<min(5, spec.count) {
            let argv = sweep.argv(of: spec.point(at: index).values, environment: ["PATH": "/usr/bin"], jsonFile: "/t/args.json")
            #expect(argv.contains(scratch.file(program)))
        }
        #expect(ProgramSpecTests.examples.count >= 7)
    }

    @Test func nestedParametersFlattenSortedAndNestAgainForTheProgram() throws {
        let spec = try spec(String(contentsOfFile: ProgramSpecTests.examples.first { $0.hasSuffix("nested-grid.yaml") }!, encoding: .utf8),
                            program: "train-nested-cli.py")
        let program = try #require(spec.program)
        #expect(program.parameters.map(\.name) == ["batch_size", "optimizer.lr", "optimizer.nadam.beta"])
        #expect(spec.count == 8)
        let argv = program.argv(of: spec.point(at: 0).values, environment: ["PATH": "/nonexistent"], jsonFile: "")
        #expect(argv == ["/usr/bin/env", "python3", scratch.file("train-nested-cli.py"), "--batch_size=32",
                         "--optimizer={'lr': 0.001, 'nadam': {'beta': 0.9}}"])
        #expect(spec.point(at: 7).values.map(\.value) == [.int(64), .real(0.0001), .real(0.95)])
    }

    @Test func valuesAreTheProgramsToJudge() throws {
        // Outside the built-in trainer's ranges, any names, strings, booleans, lists.
        let spec = try spec("""
            program: train.py
            method: random
            run_cap: 20
            metric: {name: val/bleu, goal: maximize}
            parameters:
              dropout: {values: [1.5, 2]}
              model: {values: [t5-small, null, yes]}
              layers: {value: [64, 64]}
              lr: {min: 0.001, max: 0.1}
              width: {min: 16, max: 512}
            """)
        let program = try #require(spec.program)
        #expect(spec.metric.name == "val/bleu" && spec.metric.goal == .maximize)
        #expect(spec.count == 20)
        for index in 0..<20 {
            let values = Dictionary(uniqueKeysWithValues: spec.point(at: index).values.map { ($0.key, $0.value) })
            guard case .real(let lr) = values["lr"]!, case .int(let width) = values["width"]! else {
                Issue.record("lr must be a float and width an int: \(values)")
                continue
            }
            #expect(lr >= 0.001 && lr <= 0.1 && width >= 16 && width <= 512)
            #expect(values["layers"] == .list([.int(64), .int(64)]))
            #expect([.string("t5-small"), .null, .bool(true)].contains(values["model"]!))
        }
        #expect(spec.point(at: 0).id == spec.point(at: 0).id && spec.point(at: 0).id != spec.point(at: 1).id && program.command.elements.count > 0)
    }

    @Test func commandsAndTheirMistakes() throws {
        let custom = try spec("""
            command: [bash, -c, "echo ${args_json}", "${args_json}"]
            parameters:
              a: {values: [1]}
            """, program: nil)
        #expect(custom.program?.argv(of: custom.point(at: 0).values, environment: [:], jsonFile: "") == ["bash", "-c", "echo ${args_json}", #"{"a": 1}"#])
        let cases: [(String, String?, String)] = [
            ("program: missing.py\nparameters:\n  a: {value: 1}\n", nil, "sweep.yaml:1: program: 'missing.py' not found"),
            ("command:\n  - ${program}\n  - ${args}\nparameters:\n  a: {value: 1}\n", nil, "sweep.yaml:2: program: missing; the command uses ${program}"),
            ("program: train.py\ncommand: ${args}\nparameters:\n  a: {value: 1}\n", "train.py", "sweep.yaml:2: command: must be a list"),
            ("program: train.py\nparameters:\n  a:\n    parameters: {b: {value: 1}}\n    values: [1]\n", "train.py",
             "sweep.yaml:5: parameters.a.values: does not belong beside parameters"),
            ("program: train.py\nparameters:\n  a: {min: 1, values: [1]}\n", "train.py", "sweep.yaml:3: parameters.a.min: does not belong"),
            ("program: train.py\nmethod: grid\nparameters:\n  a: {min: 0.1, max: 0.2}\n", "train.py",
             "sweep.yaml:4: parameters.a.distribution: grid search cannot enumerate a 'uniform' distribution"),
            ("program: train.py\njob: x\nparameters:\n  a: {value: 1}\n", "train.py", "sweep.yaml:2: job: W&B Launch jobs are not supported"),
        ]
        for (text, program, message) in cases {
            do {
                _ = try spec(text, program: program)
                Issue.record("accepted: \(text)")
            } catch let error as SpecError {
                #expect(error.description.hasPrefix(scratch.path + "/" + message), "\(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    static let launchFiles: [String] = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/wandb-launch")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
    }()

    @Test(arguments: launchFiles)
    func wandbLaunchFilesAreRefusedInOneLine(path: String) throws {
        #expect(ProgramSpecTests.launchFiles.count == 3)
        do {
            _ = try SweepSpec(contentsOf: path)
            Issue.record("accepted \(path)")
        } catch {
            #expect(error.description.contains("W&B Launch") && !error.description.contains("\n"), "\(error.description)")
        }
    }

    @Test func timeLimitsAreReadForProgramsAndWarnedAboutOtherwise() throws {
        let limited = try spec("program: train.py\nmax_seconds: 90\nstop_grace_seconds: 2.5\nparameters:\n  a: {value: 1}\n")
        #expect(limited.maxSeconds == 90 && limited.stopGraceSeconds == 2.5)
        #expect(try spec("program: train.py\nparameters:\n  a: {value: 1}\n").stopGraceSeconds == 30)
        let builtIn = try SweepSpec(yaml: "max_seconds: 5\nparameters:\n  seed: {value: 1}\n", file: "f.yaml")
        #expect(builtIn.warnings == ["f.yaml:1: max_seconds: applies to program sweeps only, so it has no effect here"])
        #expect(throws: SpecError.self) { try spec("program: train.py\nmax_seconds: 0\nparameters:\n  a: {value: 1}\n") }
        #expect(throws: SpecError.self) { try spec("program: train.py\nstop_grace_seconds: -1\nparameters:\n  a: {value: 1}\n") }
    }

    @Test func withoutAProgramNestedParametersAndFreeNamesAreStillRefused() throws {
        #expect(throws: SpecError.self) { try SweepSpec(yaml: "parameters:\n  widths: {value: 1}\n", file: "f.yaml") }
        #expect(throws: SpecError.self) { try SweepSpec(yaml: "parameters:\n  lr:\n    parameters: {a: {value: 1}}\n", file: "f.yaml") }
    }
}

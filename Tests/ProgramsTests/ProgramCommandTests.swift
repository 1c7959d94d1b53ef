import Testing
@testable import Programs
import SweepCore

/// Every macro's argv, as `wandb agent` builds it (`wandb_agent.py`, `sweeps/utils.py`).
@Suite struct ProgramCommandTests {
    let arguments: [(name: String, value: ParameterValue)] = [
        ("lr", .real(0.001)), ("layers", .int(3)), ("augment", .bool(true)), ("nesterov", .bool(false)),
        ("name", .string("a b")), ("optimizer", .mapping([.init("beta", .real(0.9))])),
    ]

    func argv(_ elements: [String], environment: [String: String] = [:]) -> [String] {
        ProgramCommand(elements: elements).argv(arguments: arguments, program: "/w/train.py", interpreter: ["python3"],
                                                environment: environment, jsonFile: "/t/args.json")
    }

    @Test func theDefaultCommand() {
        #expect(ProgramCommand().argv(arguments: arguments, program: "/w/train.py", interpreter: ["python3"],
                                      environment: [:], jsonFile: "")
                == ["/usr/bin/env", "python3", "/w/train.py", "--lr=0.001", "--layers=3", "--augment=True", "--nesterov=False",
                    "--name=a b", "--optimizer={'beta': 0.9}"])
    }

    @Test func everyListMacro() {
        #expect(argv(["${args_no_hyphens}"]) == ["lr=0.001", "layers=3", "augment=True", "nesterov=False", "name=a b",
                                                 "optimizer={'beta': 0.9}"])
        #expect(argv(["${args_no_boolean_flags}"]) == ["--lr=0.001", "--layers=3", "--augment", "--name=a b",
                                                       "--optimizer={'beta': 0.9}"])
        #expect(argv(["${args_no_equals}"]).prefix(4) == ["--lr", "0.001", "--layers", "3"])
        #expect(argv(["${args_append_hydra}"]).first == "+lr=0.001")
        #expect(argv(["${args_override_hydra}"]).first == "++lr=0.001")
        #expect(argv(["${args_json}"]) == [#"{"lr": 0.001, "layers": 3, "augment": true, "nesterov": false, "name": "a b", "optimizer": {"beta": 0.9}}"#])
        #expect(argv(["${args_json_file}"]) == ["/t/args.json"])
        #expect(argv(["${env}", "${interpreter}", "${program}"]) == ["/usr/bin/env", "python3", "/w/train.py"])
    }

    @Test func environmentVariablesAnywhereInAnElement() {
        #expect(argv(["--data=${envvar:DATA}/x", "${envvar:UNSET_ONE}", "${envvar:A}${envvar:B}"], environment: ["DATA": "/d", "A": "1", "B": "2"])
                == ["--data=/d/x", "UNSET_ONE", "12"])
    }

    @Test func otherDollarBracesPassThrough() {
        // Hydra's own interpolations; W&B would drop a whole-element unknown macro, we keep it.
        #expect(argv(["${hydra:runtime.cwd}", "x=${oc.env:HOME}", "--a=${args}"]) == ["${hydra:runtime.cwd}", "x=${oc.env:HOME}", "--a=${args}"])
        #expect(argv(["${envvar:lower}"]) == ["${envvar:lower}"])
    }

    @Test func interpreterByExtension() {
        #expect(Interpreter.forProgram("run.sh", environment: [:]) == ["bash"])
        #expect(Interpreter.forProgram("/x/train.PY", environment: ["PATH": "/nonexistent"]) == ["python3"])
        #expect(Interpreter.forProgram("./a.out", environment: [:]) == [])
        #expect(Interpreter.forProgram("train", environment: [:]) == [])
    }
}

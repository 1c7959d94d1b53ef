import Testing
@testable import Programs
import SweepCore

/// Values rendered as W&B's agent renders them: Python's `str` in flags, `json.dumps` in `${args_json}`.
/// The expected texts were printed by CPython 3.11 (`str(x)`, `json.dumps(x)`).
@Suite struct ParameterValueTests {
    @Test(arguments: [
        (0.1, "0.1"), (1e-05, "1e-05"), (0.0001, "0.0001"), (1e16, "1e+16"), (1234567890123456.0, "1234567890123456.0"),
        (100.0, "100.0"), (-2.5, "-2.5"), (1.5e300, "1.5e+300"), (0.30000000000000004, "0.30000000000000004"),
        (123456789012345678.0, "1.2345678901234568e+17"), (5e-324, "5e-324"), (0.001, "0.001"), (-0.0, "-0.0"),
    ])
    func floatsAsPython(value: Double, text: String) {
        #expect(ParameterValue.real(value).pythonText == text)
    }

    @Test func scalarsListsAndMappingsAsPythonStr() {
        #expect(ParameterValue.bool(true).pythonText == "True")
        #expect(ParameterValue.null.pythonText == "None")
        #expect(ParameterValue.string("adam").pythonText == "adam")
        #expect(ParameterValue.list([.int(1), .string("a"), .bool(false)]).pythonText == "[1, 'a', False]")
        #expect(ParameterValue.mapping([.init("lr", .real(0.001)), .init("nadam", .mapping([.init("beta", .real(0.9))]))]).pythonText
                == "{'lr': 0.001, 'nadam': {'beta': 0.9}}")
        #expect(ParameterValue.list([.string("it's")]).pythonText == "[\"it's\"]")
        #expect(ParameterValue.list([.string("a'b\"c")]).pythonText == "['a\\'b\"c']")
    }

    @Test func jsonAsPythonDumps() {
        let value = ParameterValue.mapping([.init("a", .int(1)), .init("b", .list([.bool(true), .null, .real(1e-05)])),
                                          .init("c", .string("é\"\n"))])
        #expect(value.jsonText == #"{"a": 1, "b": [true, null, 1e-05], "c": "\u00e9\"\n"}"#)
        #expect(ParameterValue.real(.nan).jsonText == "NaN")
    }
}

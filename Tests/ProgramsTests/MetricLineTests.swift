import Testing
@testable import Programs

@Suite struct MetricLineTests {
    @Test func objectsWithNumbersAreMetrics() {
        let line = MetricLine.parse(#"{"epoch": 3, "test_loss": 0.41, "test_accuracy": 0.86, "note": "x", "grad": [1, {"a": 2}]}"#)
        #expect(line == MetricLine(epoch: 3, values: [.init("test_loss", 0.41), .init("test_accuracy", 0.86)]))
        #expect(MetricLine.parse(#"  {"loss": NaN, "acc": -Infinity}"#) == MetricLine(epoch: nil, values: [.init("loss", .nan), .init("acc", -.infinity)]))
        #expect(MetricLine.parse(#"{"epoch":2,"test_loss":"nan","x":"inf"}"#) == MetricLine(epoch: 2, values: [.init("test_loss", .nan), .init("x", .infinity)]))
        #expect(MetricLine.parse(#"{"step": 7, "loss": 1e-3}"#) == MetricLine(epoch: 7, values: [.init("loss", 0.001)]))
        // Exact to the bit, as the program printed it.
        #expect(MetricLine.parse(#"{"loss": 0.30000000000000004}"#)?.value("loss") == 0.30000000000000004)
    }

    @Test(arguments: ["loss: 0.4", "[1, 2]", #"{"loss": 0.4} trailing"#, #"{"loss": 0.4"#, #"{"loss" 0.4}"#, "",
                      String(repeating: "[", count: 10_000), #"{"a": "#  + String(repeating: "[", count: 10_000)])
    func otherLinesAreLogs(text: String) {
        #expect(MetricLine.parse(Substring(text)) == nil)
    }

    @Test func theLogKeepsTheLastBytes() {
        var log = TrialLog(capacity: 10)
        for _ in 0..<100 { log.append(Array("0123456789".utf8)) }
        log.append(Array("abc".utf8))
        let text = String(decoding: log.contents, as: UTF8.self)
        #expect(text.hasSuffix("\n3456789abc"))
        #expect(text.hasPrefix("[sweep: the first 993 bytes of this log were cut"))
        var short = TrialLog(capacity: 10)
        short.append(Array("hi".utf8))
        #expect(short.contents == Array("hi".utf8))
    }
}

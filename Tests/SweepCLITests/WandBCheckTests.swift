import Foundation
import Sweeping
import SweepTestSupport
import Testing
import SweepCore

/// W&B's hyperband files through the real binary: `sweep check` passes each, shows W&B's bands as its
/// rungs, and warns, one line each, about the keys that have no effect.
@Suite("W&B hyperband files through sweep check")
struct WandBCheckTests {
    @Test(.timeLimit(.minutes(3))) func wandbsHyperbandFormsPassCheck() async throws {
        let scratch = Scratch()
        scratch.write("print('{\"loss\": 1}')\n", to: "train.py")
        for (number, form) in WandBHyperbandForm.all.enumerated() {
            let name = "f\(number).yaml"
            scratch.write(form.yaml, to: name)
            let outcome = try await SweepBinary.run(["check", name, "--show", "1"], directory: scratch.path)
            #expect(outcome.status == 0, "\(form): \(outcome.stderr)")
            #expect(outcome.stderrLines.count == form.warnedKeys.count, "\(form): \(outcome.stderr)")
            for (line, key) in zip(outcome.stderrLines, form.warnedKeys) {
                #expect(line.hasPrefix("sweep: warning: \(name):\(WandBHyperbandForm.line(of: key)): \(key): "), "\(line)")
            }
            // A program trial runs until it stops, so its rungs are the bands before the last epoch decided at.
            let rungs = Array(Set(form.bands)).sorted().filter { $0 < EarlyTermination.maximumEpoch }
            let shown = rungs.isEmpty ? "no rung before epoch \(EarlyTermination.maximumEpoch), so no trial is stopped early"
                : "rungs at epochs " + rungs.prefix(8).map(String.init).joined(separator: ", ") + (rungs.count > 8 ? ", …" : "")
            #expect(outcome.stdout.contains("early_terminate: hyperband, eta \(DisplayNumber.number(form.eta)), \(shown);"),
                    "\(form): \(outcome.stdout)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func sBesideMinIterIsOneWarningAndExitZero() async throws {
        let scratch = Scratch()
        scratch.write("print('{\"loss\": 1}')\n", to: "train.py")
        scratch.write("""
            program: train.py
            metric: {name: val_loss, goal: minimize}
            early_terminate:
              type: hyperband
              min_iter: 3
              s: 2
            parameters:
              lr: {values: [0.1, 0.01]}
            """, to: "issue20.yaml")
        let outcome = try await SweepBinary.run(["check", "issue20.yaml"], directory: scratch.path)
        #expect(outcome.status == 0)
        #expect(outcome.stderrLines == ["sweep: warning: issue20.yaml:6: early_terminate.s: has no effect beside min_iter: the bands "
                                        + "come from min_iter and eta, as in W&B (s counts the bands below max_iter)"])
        #expect(outcome.stdout.contains("early_terminate: hyperband, eta 3, rungs at epochs 3, 9, 27, 81, 243, 729, 2187, 6561, …;"),
                "\(outcome.stdout)")
    }
}

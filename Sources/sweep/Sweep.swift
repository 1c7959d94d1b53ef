import ArgumentParser
import Foundation
import Messaging
import Sweeping
import Training
import SweepCore
import ResultsStore

/// `sweep`: hyperparameter sweeps across cores and machines, of the built-in trainer or any program.
@main
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run hyperparameter sweeps across cores and machines, resume them after any interruption, and rank the results.",
        discussion: """
            A sweep file (W&B's format: method grid, random or bayes; early termination with hyperband, asha \
            or median) says what to try. Each trial trains the built-in FashionMNIST MLP, or runs your own \
            program (`program:`/`command:`) that prints its metrics as JSON lines. A coordinator hands trials \
            to worker processes over ZeroMQ and writes every result to CSV files under Results/<name>/ as it \
            arrives; the same decisions come out however many workers ran and whatever died on the way.

            Start with `sweep run [SWEEP.yaml]` (default: the built-in quickstart sweep): all cores, ranked at \
            the end; run it again after an interruption to resume. `sweep check` shows what a file will run, \
            `sweep try` runs one program trial here, `sweep rank`, `status` and `report` read results, \
            `sweep train` trains one configuration, and `sweep coordinator` and `sweep worker` run the two \
            roles separately, across machines.
            Data for the built-in trainer: FashionMNIST IDX files from --data, $FASHION_MNIST_DIR, or \
            \(FashionMNIST.defaultDirectory) (Debian's dataset-fashion-mnist; Scripts/setup installs it).
            """,
        version: "0.1.0",
        subcommands: [Run.self, Check.self, Try.self, Simulate.self, Train.self, Export.self, Rank.self, ImportanceCommand.self, ReportCommand.self, ServeCommand.self, Status.self, CoordinatorCommand.self,
                      WorkerCommand.self, Keygen.self])

    /// Parses, runs, and turns every error into one line on standard error and a sysexits code.
    static func main() {
        BLASEnvironment.configureProcess()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as DataError {
            fail(error.description, code: error.exitCode)
        } catch let error as SpecError {
            // A file that cannot be read is missing input; a file that reads has mistakes, one line each.
            if error.unreadable { fail(error.description, code: ExitStatus.noInput) }
            fail(lines: error.lines(), code: ExitStatus.dataError)
        } catch let error as StoreError {
            switch error {
            case .busy: fail(error.description, code: ExitStatus.busy)
            case .anotherSweep, .unexpectedHeader: fail(error.description, code: ExitStatus.cannotCreate)
            case .system: fail(error.description, code: ExitStatus.ioError)
            }
        } catch let error as ZMQError {
            fail(error.description, code: ExitStatus.unavailable)
        } catch let error as CurveKeys.KeyError {
            if case .unreadable = error { fail(error.description, code: ExitStatus.noInput) }
            fail(error.description, code: ExitStatus.dataError)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)  // already explained on stderr
        } catch let error as RunFailure {
            fail(error.description, code: error.code)
        } catch {
            let code = exitCode(for: error)
            // Help, version and clean exits print as the parser would.
            if code == .success { exit(withError: error) }
            fail(message(for: error), code: code.rawValue)
        }
    }

    /// Prints `sweep: error: message` and exits with `code`.
    static func fail(_ message: String, code: Int32) -> Never {
        fail(lines: [message], code: code)
    }

    /// Prints `sweep: error: …` once per message, each on one line, and exits with `code`.
    static func fail(lines messages: [String], code: Int32) -> Never {
        let text = messages.map { message in
            "sweep: error: " + message.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ") + "\n"
        }.joined()
        FileHandle.standardError.write(Data(text.utf8))
        Foundation.exit(code)
    }
}

extension DataError {
    /// EX_NOINPUT when files are missing, EX_DATAERR when they are bad.
    var exitCode: Int32 {
        switch self {
        case .directoryMissing, .fileMissing: return ExitStatus.noInput
        default: return ExitStatus.dataError
        }
    }
}

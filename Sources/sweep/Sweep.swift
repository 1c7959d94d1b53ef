import ArgumentParser
import Foundation
import Messaging
import Sweeping
import Training

/// `sweep`: hyperparameter sweeps of a FashionMNIST MLP across cores and machines.
@main
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run hyperparameter sweeps of a FashionMNIST MLP across cores and machines, and rank them.",
        discussion: """
            `sweep run` runs a sweep file (default: the built-in quickstart sweep) on all cores and ranks the \
            results; run it again after an interruption to resume. `sweep train` trains one configuration. \
            `sweep coordinator` and `sweep worker` run the two roles separately, across machines.
            Data: FashionMNIST IDX files from --data, $FASHION_MNIST_DIR, or \(FashionMNIST.defaultDirectory) \
            (Debian's dataset-fashion-mnist; Scripts/setup installs it).
            """,
        version: "0.1.0",
        subcommands: [Run.self, Check.self, Try.self, Train.self, Export.self, Rank.self, ReportCommand.self, Status.self, CoordinatorCommand.self,
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
            fail(error.description, code: ExitStatus.dataError)
        } catch let error as StoreError {
            if case .busy = error { fail(error.description, code: ExitStatus.busy) }
            fail(error.description, code: ExitStatus.ioError)
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
        let line = message.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ")
        FileHandle.standardError.write(Data("sweep: error: \(line)\n".utf8))
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

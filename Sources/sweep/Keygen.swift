import ArgumentParser
import Foundation
import Messaging
import SystemCalls
import SweepCore

/// `sweep keygen`: a CURVE key pair for a coordinator or a worker.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: NAME.key (secret, readable only by you) and NAME.pub (public).",
        discussion: """
            The coordinator uses its .key (--curve-secret-key) and hands its .pub to workers (--server-key). \
            Each worker may have its own pair (--curve-secret-key); list the workers' .pub lines in the \
            coordinator's --authorized-keys file to admit only them.
            """)

    @Argument(help: ArgumentHelp("Path prefix of the two files.", valueName: "name"))
    var name: String

    @Flag(help: "Overwrite existing files.")
    var force = false

    func run() throws {
        let keys = try CurveKeys.generate()
        let (secretPath, publicPath) = (name + ".key", name + ".pub")
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) && !force {
            throw RunFailure("\(path) exists; use --force to replace it", code: ExitStatus.cannotCreate)
        }
        let label = (name as NSString).lastPathComponent
        try write("# sweep CURVE secret key: keep it private\n\(keys.secretKey)\n", to: secretPath, mode: 0o600)
        try write("\(keys.publicKey) \(label)\n", to: publicPath, mode: 0o644)
        print("\(secretPath): secret key (mode 600)")
        print("\(publicPath): public key \(keys.publicKey)")
    }

    private func write(_ text: String, to path: String, mode: mode_t) throws {
        do throws(SystemError) {
            let file = try FileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
            try syscall("fchmod", path) { fchmod(file.rawValue, mode) }  // an existing file keeps its old mode otherwise
            try file.write(Array(text.utf8))
            try file.sync()
        } catch {
            throw RunFailure("cannot write \(error)", code: error.operation == "open" ? ExitStatus.cannotCreate : ExitStatus.ioError)
        }
    }
}

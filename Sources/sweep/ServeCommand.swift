import ArgumentParser
import Foundation
import Monitoring
import SweepCore

/// `sweep serve`: web pages that follow the sweeps of some results folders live.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve live web pages of the sweeps in some results folders (default: Results/).",
        discussion: """
            Lists the sweeps in the folders given (a results folder, or a folder of them such as Results/) and \
            shows each as its report, updated in place as rows land, during a sweep or after it. It only reads \
            what the coordinator writes, so it never slows one. The first line printed is the URL to open. \
            Listens on 127.0.0.1 (this machine only) unless --host says otherwise, which needs --token: every \
            request must then carry it (the printed URL does). Ctrl-C stops it.
            """)

    @Argument(help: ArgumentHelp("Results folders, or folders of them (default: Results).", valueName: "results"))
    var results: [String] = []

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: a free port).")
    var port = 8080

    @Option(help: ArgumentHelp("A secret every request must carry (needed with a --host other than loopback).", valueName: "token"))
    var token: String?

    static let loopback: Set<String> = ["127.0.0.1", "::1", "localhost"]

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535, got \(port)") }
        if let token, token.count < 8 || token.contains(where: { $0.isWhitespace }) {
            throw ValidationError("--token must be at least 8 characters with no spaces")
        }
        if token == nil && !Self.loopback.contains(host) {
            throw ValidationError("--host \(host) lets other machines in: give --token too (say, --token $(openssl rand -hex 16))")
        }
    }

    func run() throws {
        let roots = results.isEmpty ? ["Results"] : results
        for root in roots {
            var isDirectory: ObjCBool = false
            if results.isEmpty && !FileManager.default.fileExists(atPath: root) {
                say("\(root) does not exist yet: its sweeps show up once sweep run writes them")
                continue
            }
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw RunFailure("\(root) is not a folder; give a results folder such as Results/quickstart, or Results",
                                 code: ExitStatus.noInput)
            }
        }
        Interrupts.install()
        let server: BackgroundServer
        do {
            server = try LiveServer(site: SweepSite(roots: roots), token: token).start(host: host, port: port)
        } catch {
            throw RunFailure("sweep serve: \(error)", code: ExitStatus.unavailable)
        }
        let shown = Self.loopback.contains(host) || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        let url = "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(server.port)/"
            + (token.map { "?token=" + ($0.addingPercentEncoding(withAllowedCharacters: LiveServer.tokenCharacters) ?? $0) } ?? "")
        // Unbuffered, so whoever started it (a script, a test) reads the URL at once.
        FileHandle.standardOutput.write(Data((url + "\n").utf8))
        say("serving \(SweepSite(roots: roots).sweeps.count) sweeps from \(roots.joined(separator: ", ")); Ctrl-C stops")
        while Interrupts.caught == nil { usleep(100_000) }
        server.stop()
    }
}

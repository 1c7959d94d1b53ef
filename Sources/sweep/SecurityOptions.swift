import ArgumentParser
import Coordinator
import Messaging

/// The coordinator's CURVE flags, and the rule that only loopback may go unencrypted.
struct SecurityOptions: ParsableArguments {
    @Option(name: .customLong("curve-secret-key"),
            help: ArgumentHelp("Encrypt with CURVE using the secret key in this file (from `sweep keygen`).", valueName: "file"))
    var curveSecretKey: String?

    @Option(name: .customLong("authorized-keys"),
            help: ArgumentHelp("Admit only workers whose public key is listed here, one per line.", valueName: "file"))
    var authorizedKeys: String?

    @Flag(help: "Allow a non-loopback bind without CURVE (anyone who can reach the port can join and read results).")
    var insecure = false

    func validate() throws {
        if authorizedKeys != nil && curveSecretKey == nil {
            throw ValidationError("--authorized-keys needs --curve-secret-key")
        }
    }

    /// The CURVE settings, after checking that `bind` may be used with them.
    func curve(bind: String) throws -> CoordinatorOptions.Curve? {
        guard let curveSecretKey else {
            if !Endpoint.isLocal(bind) && !insecure {
                throw ValidationError("refusing to listen on \(bind) without encryption: give --curve-secret-key "
                                      + "(make keys with `sweep keygen`), or --insecure to accept the risk")
            }
            return nil
        }
        let secret = try CurveKeys.readKey(curveSecretKey)
        _ = try CurveKeys(secretKey: secret)
        let allowed = try authorizedKeys.map { path throws(CurveKeys.KeyError) in Set(try CurveKeys.readKeys(path)) }
        return CoordinatorOptions.Curve(secretKey: secret, authorizedKeys: allowed)
    }
}

/// Facts about ZeroMQ endpoint strings.
public enum Endpoint {
    /// Whether `endpoint` can only be reached from this machine: `ipc://`, `inproc://`, or TCP on a
    /// loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = endpoint.dropFirst("tcp://".count)
        // tcp://[::1]:5555, tcp://127.0.0.1:*, tcp://localhost:5555, tcp://eth0;host:port forms.
        if let semicolon = host.lastIndex(of: ";") { host = host[host.index(after: semicolon)...] }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }
}

import Foundation

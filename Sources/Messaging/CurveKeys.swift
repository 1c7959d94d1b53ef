import CZeroMQ
import Foundation

/// A CURVE key pair as Z85 text (40 characters each), the form libzmq and its tools exchange.
public struct CurveKeys: Equatable, Sendable {
    /// The public half: give it to the other side.
    public let publicKey: String
    /// The secret half: keep it in a file only its owner can read.
    public let secretKey: String

    /// A new random key pair.
    public static func generate() throws(ZMQError) -> CurveKeys {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError("zmq_curve_keypair") }
        return CurveKeys(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
    }

    /// The pair whose secret half is `secretKey` (its public half is derived).
    public init(secretKey: String) throws(KeyError) {
        guard CurveKeys.isValid(secretKey) else { throw KeyError.malformed(secretKey.count) }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw KeyError.malformed(secretKey.count) }
        self.publicKey = String(cString: publicKey)
        self.secretKey = secretKey
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Whether `key` is 40 characters of Z85 (32 bytes).
    public static func isValid(_ key: String) -> Bool {
        guard key.utf8.count == 40 else { return false }
        var bytes = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&bytes, key) != nil
    }

    /// The Z85 text of 32 key bytes.
    public static func z85(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 41)
        _ = zmq_z85_encode(&text, bytes, bytes.count)
        return String(cString: text)
    }

    /// What is wrong with a key or key file.
    public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(Int)
        case unreadable(path: String)
        case noKey(path: String)
        case badLine(path: String, line: Int)

        public var description: String {
            switch self {
            case .malformed(let length): return "not a CURVE key: expected 40 characters of Z85, got \(length)"
            case .unreadable(let path): return "cannot read the key file \(path)"
            case .noKey(let path): return "\(path) holds no key (make one with `sweep keygen`)"
            case .badLine(let path, let line): return "\(path):\(line): not a CURVE public key (40 characters of Z85)"
            }
        }
    }

    /// The keys of a key file: one Z85 key per line, each optionally followed by a name; lines that
    /// start with `#` are comments (not `#` anywhere: it is a Z85 digit).
    public static func readKeys(_ path: String) throws(KeyError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        var keys: [String] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, !text.hasPrefix("#") else { continue }
            let key = String(text.split(separator: " ").first!)
            guard isValid(key) else { throw .badLine(path: path, line: index + 1) }
            keys.append(key)
        }
        return keys
    }

    /// The single key of a key file.
    public static func readKey(_ path: String) throws(KeyError) -> String {
        guard let key = try readKeys(path).first else { throw .noKey(path: path) }
        return key
    }
}

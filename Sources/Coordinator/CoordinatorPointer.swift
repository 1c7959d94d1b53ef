import Foundation
import Sweeping
import SystemCalls
import ResultsStore

/// `coordinator.json` in a results directory while a coordinator runs: where `sweep status` can ask it.
public struct CoordinatorPointer: Codable, Equatable, Sendable {
    /// An endpoint reachable from this machine.
    public var endpoint: String
    /// The coordinator's process id.
    public var pid: Int32
    /// The coordinator's CURVE public key, when it encrypts.
    public var curvePublicKey: String?

    enum CodingKeys: String, CodingKey {
        case endpoint, pid, curvePublicKey = "curve_public_key"
    }

    /// A pointer to a coordinator bound at `bound` (wildcard hosts become 127.0.0.1).
    public init(bound: String, pid: Int32, curvePublicKey: String?) {
        var endpoint = bound
        for wildcard in ["tcp://0.0.0.0:", "tcp://*:"] where endpoint.hasPrefix(wildcard) {
            endpoint = "tcp://127.0.0.1:" + endpoint.dropFirst(wildcard.count)
        }
        self.endpoint = endpoint
        self.pid = pid
        self.curvePublicKey = curvePublicKey
    }

    static func path(_ directory: String) -> String { ResultsDirectory(directory).coordinator }

    /// Writes the pointer into `directory` (replaced whole: a reader never sees half of it). A write
    /// that fails (a full disk) is the store's kind of failure, with its errno.
    public func write(to directory: String) throws(StoreError) {
        do {
            try Directory.replace(CoordinatorPointer.path(directory), with: Array(try! JSONEncoder().encode(self)))
        } catch {
            throw .system(error)
        }
    }

    /// Removes the pointer from `directory` (if it is still ours).
    public static func remove(from directory: String, pid: Int32) {
        if read(from: directory)?.pid == pid { try? FileManager.default.removeItem(atPath: path(directory)) }
    }

    /// The pointer in `directory`, if any.
    public static func read(from directory: String) -> CoordinatorPointer? {
        guard let data = FileManager.default.contents(atPath: path(directory)) else { return nil }
        return try? JSONDecoder().decode(CoordinatorPointer.self, from: data)
    }
}

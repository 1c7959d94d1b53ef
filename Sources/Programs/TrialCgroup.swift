#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The cgroup v2 a program trial runs in, where this process may make one: as root, or in a cgroup
/// delegated to its user (systemd's `Delegate=yes`). Every process the program starts is in it,
/// however it detaches, so `cgroup.kill` ends them all, even if the supervisor itself is killed.
/// Elsewhere trials run without one, and the supervisor (a child subreaper) alone ends what the
/// program left, as long as it lives.
///
/// Trial cgroups are made below this process's own cgroup, named `sweep-<pid>-<n>`; one whose
/// process is gone (a worker killed before its supervisor could remove it) is removed by the next
/// worker that makes one there.
public enum TrialCgroup {
    /// The environment variable that turns trial cgroups off (`SWEEP_CGROUPS=off`), leaving the subreaper.
    public static let switchVariable = "SWEEP_CGROUPS"

    /// The folder new trial cgroups go in, or nil where none can be made (looked up once).
    public static var parent: String? { state.withLock { $0.parent(environment: ProcessInfo.processInfo.environment) } }

    /// Makes a new, empty cgroup for one trial; nil where cgroups cannot be made here.
    public static func make() -> String? {
        state.withLock { state -> String? in
            guard let parent = state.parent(environment: ProcessInfo.processInfo.environment) else { return nil }
            state.made += 1
            let path = "\(parent)/sweep-\(getpid())-\(state.made)"
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else { return nil }
            return path
        }
    }

    /// Ends every process in the cgroup at `path` and removes it, waiting up to `seconds` for it to
    /// empty; returns whether it is gone.
    @discardableResult
    public static func destroy(_ path: String, seconds: Double = 2) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        repeat {
            if rmdir(path) == 0 || errno == ENOENT { return true }
            write("1", to: path + "/cgroup.kill")
            usleep(2000)
        } while ContinuousClock.now < deadline
        return false
    }

    /// The pids in the cgroup at `path` (none if it is gone).
    public static func members(_ path: String) -> [Int32] {
        guard let text = try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    private struct State: Sendable {
        var looked = false
        var found: String?
        var made = 0

        mutating func parent(environment: [String: String]) -> String? {
            if environment[TrialCgroup.switchVariable] == "off" { return nil }
            if !looked {
                looked = true
                found = TrialCgroup.lookUp()
            }
            return found
        }
    }

    private static let state = Mutex(State())

    /// This process's cgroup v2 folder, if a child cgroup can be made there and a process moved into it.
    private static func lookUp() -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
              let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        // mountinfo: "id parent major:minor root mountpoint options ... - fstype source superoptions".
        let mount = mounts.split(separator: "\n").lazy.compactMap { line -> String? in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { return nil }
            let fields = halves[0].split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }.first
        // cgroup v2's line is "0::/path".
        guard let mount, let own = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") })?.dropFirst(3) else {
            return nil
        }
        let folder = own == "/" ? mount : mount + own
        removeStale(in: folder)
        // Try it: make one, and see that the kill file is there (cgroup.kill: Linux 5.14).
        let probe = "\(folder)/sweep-\(getpid())-probe"
        guard mkdir(probe, 0o755) == 0 || errno == EEXIST else { return nil }
        defer { rmdir(probe) }
        guard access(probe + "/cgroup.kill", W_OK) == 0, access(probe + "/cgroup.procs", W_OK) == 0,
              access(folder + "/cgroup.procs", W_OK) == 0 else { return nil }
        return folder
    }

    /// Removes trial cgroups whose worker is gone (its processes ended first).
    private static func removeStale(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix("sweep-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            destroy(folder + "/" + name, seconds: 0.5)
        }
    }

    private static func write(_ text: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }
}

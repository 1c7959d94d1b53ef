import Foundation

/// OpenBLAS reads its settings from the environment once, when the library loads, before any Swift
/// code runs. This picks them for the machine and, if the process lacks them, re-executes it with them.
///
/// Why: Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its SSE3 "Prescott"
/// kernels, which run this model's GEMMs at a quarter of the speed of the AVX-512 ones; and a thread
/// pool that `openblas_set_num_threads(1)` idles afterwards still exists. Parallelism is processes.
public enum BLASEnvironment {
    /// Set in the re-executed process so it never re-executes twice.
    static let marker = "SWEEP_BLAS_CONFIGURED"

    /// The variables to add to `environment` on a CPU with these `/proc/cpuinfo` flags
    /// (nothing the user already set is overridden).
    public static func additions(to environment: [String: String], cpuFlags: Set<String>) -> [String: String] {
        var additions: [String: String] = [:]
        if environment["OPENBLAS_NUM_THREADS"] == nil { additions["OPENBLAS_NUM_THREADS"] = "1" }
        if environment["OPENBLAS_CORETYPE"] == nil, let core = coreType(cpuFlags: cpuFlags) {
            additions["OPENBLAS_CORETYPE"] = core
        }
        return additions
    }

    /// The OpenBLAS kernel family for a CPU's instruction-set flags, or nil to let OpenBLAS decide.
    public static func coreType(cpuFlags flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains)
        // 0.3.21 cannot be forced to its Cooperlake kernels by name; SkylakeX's run as fast here.
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The flags of the first CPU in `/proc/cpuinfo` (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Re-executes this program with the variables OpenBLAS needs, if any are missing. Returns only
    /// when nothing was missing (or `execv` failed, in which case the run goes on, slower).
    public static func configureProcess() {
        let environment = ProcessInfo.processInfo.environment
        guard environment[marker] == nil else { return }
        let additions = additions(to: environment, cpuFlags: cpuFlags())
        guard !additions.isEmpty else { return }
        for (name, value) in additions { setenv(name, value, 1) }
        setenv(marker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}

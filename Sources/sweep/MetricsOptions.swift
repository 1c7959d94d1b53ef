import ArgumentParser
import Monitoring

/// `--metrics-port` and `--metrics-host`: Prometheus's `/metrics` for `sweep run` and `sweep coordinator`.
struct MetricsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics while the sweep runs (0: a free port, "
                               + "printed): trials by status, workers, epochs per second, rows waiting, checkpoint bytes.",
                               valueName: "port"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("Where --metrics-port listens (default: 127.0.0.1, this machine only).", valueName: "host"))
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be 0…65535, got \(metricsPort)")
        }
    }
}

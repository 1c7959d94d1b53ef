import ArgumentParser
import Coordinator

/// Heartbeat and retry settings of the coordinator (workers learn the heartbeat from it).
struct FaultOptions: ParsableArguments {
    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat interval in milliseconds, both ways.")
    var heartbeatMilliseconds = 1000

    @Option(help: "Missed heartbeats after which a worker (or, for a worker, the coordinator) counts as dead.")
    var liveness = 3

    @Option(name: .customLong("max-attempts"), help: "Workers a trial may take down before it is recorded as failed.")
    var maxAttempts = 3

    func validate() throws {
        guard heartbeatMilliseconds >= 10 else {
            throw ValidationError("--heartbeat-ms must be at least 10, got \(heartbeatMilliseconds)")
        }
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1, got \(liveness)") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1, got \(maxAttempts)") }
    }

    var coordinatorOptions: CoordinatorOptions {
        var options = CoordinatorOptions()
        options.heartbeatMilliseconds = heartbeatMilliseconds
        options.liveness = liveness
        options.maxAttempts = maxAttempts
        return options
    }
}

import ArgumentParser
import Coordinator
import Scheduling

/// Heartbeat and retry settings of the coordinator (workers learn the heartbeat from it).
struct FaultOptions: ParsableArguments {
    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat interval in milliseconds, both ways.")
    var heartbeatMilliseconds = 1000

    @Option(help: "Missed heartbeats after which a worker (or, for a worker, the coordinator) counts as dead.")
    var liveness = 3

    @Option(name: .customLong("max-attempts"), help: "Workers a trial may take down before it is recorded as failed.")
    var maxAttempts = 3

    @Option(name: .customLong("farewell-ms"),
            help: ArgumentHelp("After the last result, how long to keep telling workers that speak up (they were "
                               + "reconnecting, or just started) to leave (default: one liveness window; "
                               + "0 for `sweep run` on its own loopback port)."))
    var farewellMilliseconds: Int?

    func validate() throws {
        guard heartbeatMilliseconds >= 10 else {
            throw ValidationError("--heartbeat-ms must be at least 10, got \(heartbeatMilliseconds)")
        }
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1, got \(liveness)") }
        if let farewellMilliseconds, farewellMilliseconds < 0 {
            throw ValidationError("--farewell-ms must be 0 or more, got \(farewellMilliseconds)")
        }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1, got \(maxAttempts)") }
    }

    var coordinatorOptions: CoordinatorOptions {
        var options = CoordinatorOptions()
        options.scheduling.heartbeat = .milliseconds(heartbeatMilliseconds)
        options.scheduling.liveness = liveness
        options.scheduling.maxAttempts = maxAttempts
        options.scheduling.farewell = farewellMilliseconds.map { .milliseconds($0) }
        return options
    }
}

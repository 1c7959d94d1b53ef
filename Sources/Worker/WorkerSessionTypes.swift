import Programs
import Training
import SweepCore
import Wire

extension WorkerSession {
    /// The time as the shell passes it: the session reads no clock.
    public typealias Instant = ContinuousClock.Instant

    /// How a worker's run ended.
    public enum Exit: Equatable, Sendable {
        /// The coordinator said `bye`.
        case finished
        /// The coordinator refused this worker.
        case refused(String)
        /// The parent process (`sweep run`) went away.
        case orphaned
        /// The user asked it to stop (Ctrl-C, SIGTERM).
        case stopped
    }

    /// Where the connection to the coordinator stands. A trial is independent of it: it trains on
    /// through a reconnect, and the next `hello` names it.
    public enum Connection: Equatable, Sendable {
        /// `hello` sent on the first socket; no `welcome` yet.
        case connecting
        /// The coordinator answered `welcome`; both sides beat at its interval.
        case welcomed
        /// The coordinator went silent: a fresh socket and a new `hello`, `attempt` times since the
        /// last `welcome`, each try waiting twice as long as the one before (capped).
        case reconnecting(attempt: Int)
    }

    /// Where the worker's trial stands.
    public enum Phase: Equatable, Sendable {
        /// No trial: `ready` was (or will be, once welcomed) sent.
        case idle
        /// A trial arrived with a checkpoint to resume from: `received` of `total` bytes are here.
        case assigned(trial: String, received: Int, total: Int)
        /// The trial runs (the built-in trainer or a program), or is ending after a `halt`.
        case training(trial: String)
        /// The built-in trainer is at rung `epoch`: its checkpoint went out and it waits for `proceed`
        /// or `stop` (the checkpoint goes out again after a reconnect).
        case atRung(trial: String, epoch: Int)
        /// The result went out and goes out again after every `welcome` until `ack`.
        case resultPending(trial: String)
    }

    /// How the shell's trainer started, as it tells the session (`trainingStarted`).
    public enum Resumption: Equatable, Sendable {
        /// From scratch: there was no checkpoint.
        case fresh
        /// From the checkpoint the session handed over.
        case resumed
        /// The checkpoint did not decode or did not fit the configuration (the reason): from scratch.
        case refused(String)
    }

    /// What the shell tells the session.
    public enum Input: Sendable {
        /// A frame from the coordinator, decoded.
        case received(Message)
        /// Nothing but time passed: beat, reconnect, or take a checkpoint if one is due.
        case tick
        /// The shell made the trainer `train` asked for; `epochsDone` are in it already.
        case trainingStarted(epochsDone: Int, resumption: Resumption)
        /// The built-in trainer finished an epoch.
        case epochFinished(EpochMetrics)
        /// The checkpoint `takeCheckpoint` asked for, encoded.
        case checkpointTaken([UInt8])
        /// The built-in trainer's run returned (all epochs, diverged, or halted).
        case trainingEnded(TrainingResult)
        /// The program `runProgram` asked for is running.
        case programStarted
        /// The program could not be started (the reason, one line): the trial fails.
        case programCouldNotStart(String)
        /// The program printed a metric line.
        case metricLine(MetricLine)
        /// The program's output so far (its log may have grown).
        case logOutput(TrialLog)
        /// The program ended: how, its whole log, the end in a few words, and what it left running.
        case programEnded(ProgramRun.Outcome, log: TrialLog, ending: String, leftoverNote: String?)
        /// The user asked the worker to stop.
        case interrupted
        /// The parent process went away.
        case orphaned
    }

    /// What the session asks the shell to do, in order.
    public enum Effect: Equatable, Sendable {
        /// Send this to the coordinator.
        case send(Message)
        /// Say this on the worker's log.
        case log(String)
        /// Replace the socket with a fresh one (a `hello` follows).
        case reconnect
        /// Make a trainer for `config` (from `resumeFrom`'s checkpoint, if given and good), then say
        /// `trainingStarted` and run it, feeding `epochFinished` and, at the end, `trainingEnded`.
        case train(trial: String, config: TrainingConfig, resumeFrom: [UInt8]?)
        /// Start `job` as attempt `attempt` of `trial`, then say `programStarted` (or
        /// `programCouldNotStart`) and feed its lines, output and end.
        case runProgram(trial: String, job: ProgramJob, attempt: Int)
        /// Take the trainer's checkpoint now and answer `checkpointTaken`.
        case takeCheckpoint
        /// End the running trial now: the trainer's next tick stops it; a program gets SIGTERM (and
        /// SIGKILL after its grace). Its end is still reported.
        case halt
        /// The worker's run is over.
        case exit(Exit)
    }
}

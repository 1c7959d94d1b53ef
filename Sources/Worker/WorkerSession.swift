import Foundation
import Programs
import Training
import Wire

/// The worker's side of the protocol, with no I/O: it opens no socket, reads no clock, runs no
/// trainer or program. The shell (`Worker`) feeds it what happened (`Input`: a decoded message, an
/// epoch, a checkpoint's bytes, a run's end, the time) and carries out what it answers (`Effect`:
/// messages to send, a trial to start or halt, a reconnect, the exit), so every decision can be
/// tested with scripted inputs and virtual time.
///
/// Two things stand side by side: the connection (`Connection`: hello, welcome, silence, reconnects
/// with backoff) and the trial (`Phase`: idle, assigned while its checkpoint arrives, training, at a
/// rung, result pending until `ack`). A trial outlives reconnects: `hello` names it, a pending result
/// and a rung's checkpoint go out again after every `welcome`.
public struct WorkerSession: Sendable {
    // Who this worker is, for `hello`.
    private let worker: String
    private let host: String
    private let pid: Int32
    private let maxBackoff: Duration

    /// Where the connection stands.
    public private(set) var connection = Connection.connecting
    private var heartbeat = Duration.milliseconds(1000)
    private var liveness = 3
    private var lastHeard: Instant
    private var lastSent: Instant
    private var nextReconnect: Instant
    private var backoff = Duration.milliseconds(1000)

    var job = Job.idle
    /// Why the worker leaves, once that is decided (the trial, if one runs, ends first).
    public private(set) var exit: Exit?
    /// The `exit` effect went out: nothing more is done.
    private var exited = false
    /// The user asked to stop. A program is stopped at once; the built-in trainer finishes its trial
    /// (and the rung it may wait at) and the worker leaves once the result is out.
    private var interrupted = false
    /// The time of the input being handled.
    private var now: Instant
    /// The effects of the input being handled.
    private var effects: [Effect] = []

    /// A session for worker `worker` on `host` (process `pid`), reconnecting at most `maxBackoff` apart.
    public init(worker: String, host: String, pid: Int32, maxBackoff: Duration = .seconds(30), now: Instant) {
        self.worker = worker
        self.host = host
        self.pid = pid
        self.maxBackoff = maxBackoff
        self.now = now
        lastHeard = now
        lastSent = now
        nextReconnect = now
    }

    /// The first `hello`, on the first socket.
    public mutating func connect(now: Instant) -> [Effect] {
        self.now = now
        sayHello()
        return takeEffects()
    }

    /// Takes in what happened at `now` and says what to do about it.
    public mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        guard !exited else { return [] }
        self.now = now
        switch input {
        case .received(let message): receive(message)
        case .tick: tick()
        case .trainingStarted(let epochsDone, let resumption): trainingStarted(epochsDone: epochsDone, resumption)
        case .epochFinished(let metrics): epochFinished(metrics)
        case .checkpointTaken(let bytes): checkpointTaken(bytes)
        case .trainingEnded(let result): trainingEnded(result)
        case .programStarted: programStarted()
        case .programCouldNotStart(let reason): programCouldNotStart(reason)
        case .metricLine(let line): metricLine(line)
        case .logOutput(let log): logOutput(log)
        case .programEnded(let outcome, let log, let ending, let note): programEnded(outcome, log: log, ending: ending, note: note)
        case .interrupted: interrupt()
        case .orphaned: leave(.orphaned)
        }
        return takeEffects()
    }

    /// Where the trial stands.
    public var phase: Phase {
        switch job {
        case .idle: return .idle
        case .assigned(let assignment):
            return .assigned(trial: assignment.trial, received: assignment.bytes.count, total: assignment.total)
        case .running(let run):
            if case .atRung(let epoch, _) = run.step { return .atRung(trial: run.trial, epoch: epoch) }
            return .training(trial: run.trial)
        case .resultPending(let pending): return .resultPending(trial: pending.trial)
        }
    }

    /// The trainer waits at a rung: the shell keeps moving frames until this turns false.
    public var isWaitingAtRung: Bool {
        if case .atRung = phase { return true }
        return false
    }

    // MARK: - The connection

    private mutating func receive(_ message: Message) {
        // Once leaving, nothing the coordinator says changes anything (the trial is being ended).
        guard exit == nil else { return }
        lastHeard = now
        switch message {
        case .welcome(let milliseconds, let liveness): welcome(milliseconds: milliseconds, liveness: liveness)
        case .trial(let id, let number, let config, let work): assign(id, number: number, config: config, work: work)
        case .checkpoint(let chunk): resumePiece(chunk)
        case .checkpointStored(let trial, let epoch): log("checkpoint of \(trial) after epoch \(epoch) stored")
        case .proceed(let trial, let epoch): proceed(trial, epoch: epoch)
        case .ack(let trial):
            if case .resultPending(let pending) = job, pending.trial == trial {
                job = .idle
                send(.ready)
            }
        case .stop(let trial, let afterEpoch): stop(trial, afterEpoch: afterEpoch)
        case .bye: leave(.finished)
        case .error(let reason): leave(.refused(reason))
        case .heartbeat: break
        default: log("unexpected \(message) from the coordinator")
        }
    }

    private mutating func welcome(milliseconds: Int, liveness: Int) {
        // Bytes on the socket never trap: whatever a coordinator says, the arithmetic stays in range
        // (a beat from 10 ms to an hour, at most 1,000 beats of silence).
        heartbeat = .milliseconds(min(max(10, milliseconds), 3_600_000))
        self.liveness = min(max(1, liveness), 1000)
        backoff = .milliseconds(1000)
        connection = .welcomed
        if case .assigned = job { job = .idle }  // its checkpoint's pieces went to the old connection
        switch job {
        case .resultPending(let pending):
            // The final weights first (the hello claimed the trial, so they are taken), then the result.
            if let final = pending.final { sendCheckpoint(final.bytes, trial: pending.trial, epoch: final.epoch) }
            send(.result(trial: pending.trial, number: pending.number, outcome: pending.outcome))
        case .running(let run):
            // Still at the rung: the (perhaps restarted) coordinator needs the checkpoint to decide.
            if case .atRung(let epoch, let checkpoint) = run.step { sendCheckpoint(checkpoint, trial: run.trial, epoch: epoch) }
        case .idle, .assigned:
            send(.ready)
        }
    }

    private mutating func tick() {
        if now - lastSent >= heartbeat { send(.heartbeat) }
        if now - lastHeard > heartbeat * liveness && now >= nextReconnect {
            log("coordinator silent for \(heartbeat * liveness); reconnecting")
            effects.append(.reconnect)
            nextReconnect = now + backoff
            backoff = min(backoff * 2, maxBackoff)
            if case .reconnecting(let attempt) = connection {
                connection = .reconnecting(attempt: attempt + 1)
            } else {
                connection = .reconnecting(attempt: 1)
            }
            sayHello()
        }
        // A checkpoint every `checkpoint_every` seconds of training (not while waiting at a rung).
        guard case .running(var run) = job, case .trainer(_, let work) = run.kind, case .running = run.step,
              run.wanted == nil, let seconds = work.checkpointEvery, seconds > 0,
              now - run.lastCheckpoint >= .seconds(seconds), !run.abandoned, exit == nil else { return }
        run.lastCheckpoint = now
        requestCheckpoint(.periodic, &run)
        job = .running(run)
    }

    private mutating func sayHello() {
        var hello = Message.Hello(worker: worker, host: host, pid: pid)
        if case .running(let run) = job {
            hello.running = run.trial
            hello.number = run.number
            if case .trainer(let config, _) = run.kind { hello.config = config }
        } else if case .resultPending(let pending) = job, pending.final != nil {
            // Its final weights must reach the coordinator: only the trial's holder's are taken.
            hello.running = pending.trial
            hello.number = pending.number
            hello.config = pending.outcome.config
        }
        send(.hello(hello))
        lastHeard = now
    }

    // MARK: - Assignments

    private mutating func assign(_ id: String, number: Int?, config: TrainingConfig?, work: Message.Work) {
        guard case .idle = job else {
            log("ignoring trial \(id): still busy")
            return
        }
        if let program = work.program {
            let attempt = work.attempt ?? 1
            job = .running(Run(trial: id, number: number, kind: .program(program, attempt: attempt), now: now))
            effects.append(.runProgram(trial: id, job: program, attempt: attempt))
            return
        }
        guard let config else {
            // The decoder lets no such trial through; said rather than dropped all the same.
            log("ignoring trial \(id): it has neither a configuration nor a program")
            return
        }
        if let total = work.resumeBytes, total > 0 {
            job = .assigned(Assignment(trial: id, number: number, config: config, work: work, total: total))
            return
        }
        startTraining(id, number: number, config: config, work: work, from: nil)
    }

    /// A piece of the checkpoint the assigned trial resumes from; once whole, training starts from
    /// it. A piece out of order (or a checkpoint too large for the configuration) costs one line
    /// and the trial trains from scratch.
    private mutating func resumePiece(_ chunk: Message.Chunk) {
        guard case .assigned(var assignment) = job, assignment.trial == chunk.trial else {
            log("ignoring a checkpoint piece of \(chunk.trial): no trial here waits for one")
            return
        }
        guard chunk.total == assignment.total, chunk.offset == assignment.bytes.count,
              chunk.offset + chunk.data.count <= assignment.total,
              assignment.total <= TrainingCheckpoint.maximumSize(for: assignment.config) else {
            log("checkpoint for \(chunk.trial) arrived out of order; training it from scratch")
            startTraining(assignment.trial, number: assignment.number, config: assignment.config, work: assignment.work, from: nil)
            return
        }
        job = .idle  // the job's copy goes, so the append below grows the buffer in place
        assignment.bytes += chunk.data
        guard assignment.bytes.count == assignment.total else {
            job = .assigned(assignment)
            return
        }
        startTraining(assignment.trial, number: assignment.number, config: assignment.config, work: assignment.work,
                      from: assignment.bytes)
    }

    private mutating func startTraining(_ id: String, number: Int?, config: TrainingConfig, work: Message.Work,
                                        from checkpoint: [UInt8]?) {
        job = .running(Run(trial: id, number: number, kind: .trainer(config, work), now: now))
        effects.append(.train(trial: id, config: config, resumeFrom: checkpoint))
    }

    private mutating func proceed(_ trial: String, epoch: Int) {
        guard case .running(var run) = job, run.trial == trial, case .atRung(epoch, _) = run.step else { return }
        leaveRung(&run)
        job = .running(run)
    }

    private mutating func stop(_ trial: String, afterEpoch: Int?) {
        switch job {
        case .assigned(let assignment) where assignment.trial == trial && afterEpoch == nil:
            job = .idle
            send(.ready)
        case .running(var run) where run.trial == trial:
            if let afterEpoch {
                run.stopAfter = afterEpoch  // the run ends once that many epochs are done
                haltIfDue(&run)
            } else {
                run.abandoned = true
                leaveRung(&run)
                halt(&run)
            }
            job = .running(run)
        case .resultPending(let pending) where pending.trial == trial && afterEpoch == nil:
            // A result not wanted (recorded already, or past the sweep's end). One cut by the
            // coordinator itself (`afterEpoch`) still waits for its `ack`.
            job = .idle
            send(.ready)
        default:
            break
        }
    }

    // MARK: - Leaving

    private mutating func interrupt() {
        guard !interrupted else { return }
        interrupted = true
        if case .running(let run) = job, case .trainer = run.kind { return }  // see `interrupted`
        leave(.stopped)
    }

    /// Leaves for `reason`: at once when no trial runs, else once the running trial has ended (it
    /// is abandoned: a program's log still goes out, its result does not).
    private mutating func leave(_ reason: Exit) {
        guard exit == nil else { return }
        exit = reason
        guard case .running(var run) = job else {
            job = .idle
            exitNow()
            return
        }
        run.abandoned = true
        leaveRung(&run)
        halt(&run)
        job = .running(run)
    }

    private mutating func exitNow() {
        guard let exit, !exited else { return }
        exited = true
        effects.append(.exit(exit))
    }

    // MARK: - Helpers

    mutating func send(_ message: Message) {
        lastSent = now
        effects.append(.send(message))
    }

    mutating func sendCheckpoint(_ bytes: [UInt8], trial: String, epoch: Int) {
        for piece in Message.checkpointMessages(bytes, trial: trial, epoch: epoch) { send(piece) }
    }

    mutating func log(_ line: String) {
        effects.append(.log(line))
    }

    private mutating func takeEffects() -> [Effect] {
        defer { effects = [] }
        return effects
    }

    /// Sends the result and waits for its `ack`; an interrupted worker leaves now.
    mutating func finish(_ run: Run, _ outcome: TrainingResult, final: (bytes: [UInt8], epoch: Int)? = nil) {
        job = .resultPending(Pending(trial: run.trial, number: run.number, outcome: outcome, final: final))
        send(.result(trial: run.trial, number: run.number, outcome: outcome))
        if interrupted { leave(.stopped) }
    }

    /// An abandoned run ended: `lastWords` (a program's last log pieces), then `ready`, or the exit
    /// when the worker is leaving.
    mutating func endAbandoned(_ run: Run, lastWords: [Message] = []) {
        log("abandoned \(run.trial)")
        job = .idle
        for message in lastWords { send(message) }
        if exit == nil { send(.ready) } else { exitNow() }
    }

    mutating func requestCheckpoint(_ purpose: Run.Purpose, _ run: inout Run) {
        run.wanted = purpose
        effects.append(.takeCheckpoint)
    }

    mutating func halt(_ run: inout Run) {
        guard !run.halted else { return }
        run.halted = true
        effects.append(.halt)
    }

    /// Halts the run if it has done the epochs `stop` allowed it.
    mutating func haltIfDue(_ run: inout Run) {
        guard run.epochsDone >= (run.stopAfter ?? .max) else { return }
        leaveRung(&run)
        halt(&run)
    }

    mutating func leaveRung(_ run: inout Run) {
        guard case .atRung = run.step else { return }
        run.step = .running
        run.lastCheckpoint = now  // the next periodic checkpoint counts from here
    }

    mutating func put(_ run: Run) { job = .running(run) }

    var currentTime: Instant { now }
}

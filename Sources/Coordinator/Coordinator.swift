import Foundation
import Messaging
import Programs
import Scheduling
import SystemCalls
import Sweeping
import Training
import SweepCore
import Wire
import ResultsStore

/// The I/O shell of a sweep: a ZeroMQ ROUTER socket, the results store and the clock around a
/// `Scheduler`, which makes every decision. Frames become scheduler inputs; its actions become
/// frames and store writes.
///
/// Single-threaded: one loop polls the socket, so all state is owned by that loop. Results that
/// arrive together are written as one batch with one fsync per file (group commit), and every
/// message the batch caused — acknowledgements above all — is sent only after that: an acknowledged
/// result is on disk.
public final class Coordinator {
    /// The bound endpoint, with an ephemeral port resolved.
    public let endpoint: String
    /// The open-file limit in force (raised to the hard limit at the start): every worker's connection
    /// is a descriptor.
    public let openFileLimit: Int
    /// About how many workers that lets this coordinator hold: the limit less what is open at the
    /// start and what the results store and its files may open while it runs.
    public let workerCapacity: Int
    private let socket: Socket
    /// Watches for connections refused for want of descriptors (nil while it rests after one).
    private var acceptMonitor: AcceptMonitor?
    private var fullSince: ContinuousClock.Instant?
    private var lastTick: ContinuousClock.Instant
    private let authenticator: Authenticator?
    private let store: ResultStore
    private let checkpoints: CheckpointStore
    private let options: CoordinatorOptions
    private var scheduler: Scheduler
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    /// Messages waiting for the batch they follow to be on disk.
    private var outbox: [(worker: WorkerID, message: Message)] = []
    private var batch: [(record: TrialRecord, epochs: [EpochMetrics])] = []
    private var held: [HeldResult] = []
    private var beyondEnd: Set<String> = []
    /// Checkpoints arriving piece by piece, one per worker; a whole one waits in `arrived` for the
    /// scheduler to say it is wanted, then in `checkpointWrites` for the flush.
    private var assemblies: [WorkerID: (chunk: Message.Chunk, bytes: [UInt8])] = [:]
    private var arrived: [WorkerID: [UInt8]] = [:]
    private var checkpointWrites: [(trial: String, bytes: [UInt8])] = []
    /// Program trials' logs, written as their pieces arrive.
    private let logs: TrialLogFiles
    /// What happened when, appended at each flush.
    private var timeline: TimelineWriter
    private var timelineFails = false
    /// Checkpoint and model files to settle once the rows they follow are on disk.
    private var fileChanges: [(CheckpointStore, (SweepEvent) -> Void) throws -> Void] = []

    /// Descriptors kept for what the coordinator opens while it runs (results, checkpoints, logs, the
    /// timeline and the report, each open only while it is written), beyond its workers' connections.
    static let reservedDescriptors = 32

    /// Binds `bind` and prepares to run what `scheduler` decides, recording into `store`. Raises the
    /// process's open-file limit to the hard limit first (the default soft limit, often 1,024, would
    /// cap it at about a thousand workers).
    public init(scheduler: Scheduler, store: ResultStore, checkpoints: CheckpointStore, bind: String, context: Context,
                options: CoordinatorOptions = CoordinatorOptions()) throws(ZMQError) {
        let limit = OpenFileLimit.raiseToHard()
        // The ZAP handler must be bound before the first handshake can arrive.
        authenticator = try options.curve.map { curve throws(ZMQError) in
            try Authenticator(context: context, allowed: curve.authorizedKeys)
        }
        let socket = try Socket(context, type: .router)
        if let curve = options.curve {
            try socket.set(.curveServer, 1)
            try socket.set(.curveSecretKey, Array(curve.secretKey.utf8))
            try socket.set(.zapDomain, Array("sweep".utf8))
        }
        try socket.set(.routerMandatory, 1)
        try socket.set(.routerHandover, 1)
        // libzmq cuts off a peer whose frame exceeds this (bounding memory); frames between the
        // protocol's 1 MiB and this are read, counted and dropped by the decoder.
        try socket.set(.maxMessageSize, 4 * Message.maximumSize)
        try socket.set(.receiveHighWaterMark, 100_000)
        try socket.set(.sendHighWaterMark, 100_000)
        try socket.set(.backlog, 4096)  // thousands of workers connect at once when a cluster job starts
        acceptMonitor = try AcceptMonitor(socket, endpoint: Coordinator.monitorEndpoint())
        try socket.bind(bind)
        endpoint = try socket.lastEndpoint
        openFileLimit = limit.soft
        workerCapacity = max(0, min(limit.soft, 1 << 24) - OpenFileLimit.openCount - Coordinator.reservedDescriptors)
        self.socket = socket
        self.store = store
        self.checkpoints = checkpoints
        self.options = options
        self.scheduler = scheduler
        logs = TrialLogFiles(folder: ResultsDirectory(store.directory).logs, capacity: TrialLog.defaultCapacity)
        timeline = TimelineWriter(path: ResultsDirectory(store.directory).timeline)
        started = clock.now
        lastTick = started
    }

    deinit {
        acceptMonitor = nil  // stopped while the socket it watches is open
    }

    /// A fresh inproc endpoint for a socket monitor (the names are per context, which others may share).
    private static func monitorEndpoint() -> String { "inproc://sweep-accept-\(UInt64.random(in: 0...UInt64.max))" }

    /// The time on the scheduler's clock.
    private var now: Duration { clock.now - started }

    /// Trials of this sweep recorded.
    public var recordedCount: Int { scheduler.recordedCount }
    /// Trial positions in this sweep (its end, once settled).
    public var totalCount: Int { scheduler.totalCount }
    /// What waiting for earlier results cost, and what was trained beyond stops.
    public var statistics: Scheduler.Statistics { scheduler.statistics }
    /// Workers alive and training, and results held, for a monitor.
    public var gauges: Scheduler.Gauges { scheduler.gauges }

    /// What `sweep status` is told: each worker's trial with its values and the last value of the
    /// sweep's metric.
    public var status: CoordinatorStatus {
        let spec = scheduler.spec
        let infos = scheduler.workerStatus.map { worker in
            CoordinatorStatus.WorkerInfo(name: worker.name, host: worker.host, trial: worker.trial, epoch: worker.epoch,
                                         epochs: worker.epochs, rung: worker.rung,
                                         values: worker.point.map { spec.valueTexts(of: $0).map { .init(name: $0.name, value: $0.value) } },
                                         value: worker.value)
        }
        return CoordinatorStatus(total: scheduler.totalCount, recorded: scheduler.recordedCount, stopped: scheduler.stoppedCount,
                                 workers: infos, pid: getpid(), metric: scheduler.progressFigure)
    }

    /// The most results written with one fsync.
    static let maximumBatch = 4096

    /// Runs until the scheduler is done (every trial settled, and its farewell window over) or
    /// `shouldStop` returns true (it is asked at least every 100 ms; the run is then `.stopped`).
    public func run(shouldStop: () -> Bool = { false }, onEvent: (SweepEvent) -> Void = { _ in }) throws -> SweepOutcome {
        defer {
            try? socket.set(.linger, 500)  // the last byes are sent as the socket closes
            do {
                try logs.closeAll(end: "still running when the coordinator stopped")
            } catch {
                onEvent(.rejected(peer: "logs", reason: "cannot write a log: \(error)"))
            }
        }
        perform(scheduler.startingActions(), onEvent)
        try flush(onEvent)
        let wait = Int(min(options.scheduling.heartbeat, .milliseconds(100)) / .milliseconds(1))
        while scheduler.phase != .done {
            if shouldStop() {
                guard scheduler.phase == .running else { break }  // in the farewell: everything is recorded
                perform(scheduler.shutDown(), onEvent)
                try flush(onEvent)
                return .stopped
            }
            let drained = try serve(waitMilliseconds: max(1, wait), onEvent: onEvent)
            // A worker is found silent only once what arrived is read (its heartbeat may be waiting in
            // the queue behind a burst); a coordinator that stays behind still ticks once a beat.
            if drained || clock.now - lastTick >= options.scheduling.heartbeat {
                lastTick = clock.now
                perform(scheduler.handle(.tick, now: now), onEvent)
            }
            try flush(onEvent)
            watchConnections(onEvent)
        }
        return scheduler.outcome
    }

    /// Says once when a worker's connection could not be accepted for want of descriptors. libzmq
    /// then retries that accept as fast as it can (on its I/O thread) and reports each failure, so
    /// the monitor rests for a minute before it looks again.
    private func watchConnections(_ onEvent: (SweepEvent) -> Void) {
        guard acceptMonitor != nil else {
            if let since = fullSince, clock.now - since >= .seconds(60) {
                fullSince = nil
                acceptMonitor = try? AcceptMonitor(socket, endpoint: Coordinator.monitorEndpoint())
            }
            return
        }
        let failures = (try? acceptMonitor?.failures()) ?? []
        guard failures.contains(where: { $0 == EMFILE || $0 == ENFILE }) else { return }
        acceptMonitor = nil
        fullSince = clock.now
        onEvent(.coordinatorFull(workers: scheduler.gauges.workers, openFileLimit: openFileLimit))
    }

    /// Waits up to `waitMilliseconds` for the socket (and the ZAP handler), then hands what is waiting
    /// (up to a batch) to the scheduler and writes and sends what it decided. True if it read all
    /// that was waiting.
    private func serve(waitMilliseconds: Int, onEvent: (SweepEvent) -> Void) throws -> Bool {
        do {
            var readable = false
            if let authenticator {
                let (router, zap) = try socket.waitForMessage(orOn: authenticator.socket, milliseconds: waitMilliseconds)
                readable = router
                if zap {
                    for decision in try authenticator.handleRequests() {
                        onEvent(.authentication(accepted: decision.accepted, key: decision.clientKey, address: decision.address))
                    }
                }
            } else {
                readable = try socket.waitForMessage(milliseconds: waitMilliseconds)
            }
            guard readable else { return true }
            var handled = 0
            while handled < Coordinator.maximumBatch {
                guard let frames = try socket.receive(dontWait: true) else {
                    try flush(onEvent)
                    return true
                }
                handle(frames, onEvent: onEvent)
                handled += 1
            }
            try flush(onEvent)
            return false
        } catch let error as ZMQError where error.isInterrupted {
            return true  // a signal: the caller loops round to ask shouldStop
        }
    }

    /// One message: decoded, and handed to the scheduler.
    private func handle(_ frames: [[UInt8]], onEvent: (SweepEvent) -> Void) {
        guard frames.count == 2 else {
            onEvent(.rejected(peer: WorkerID(frames.first ?? []).description,
                              reason: "expected 2 frames (identity, message), got \(frames.count)"))
            return
        }
        let worker = WorkerID(frames[0])
        let message: Message
        do {
            // The two messages every worker sends most (one a trial, one a beat when silent) are always
            // the same bytes: recognised without parsing JSON.
            if frames[1] == Coordinator.heartbeatFrame {
                message = .heartbeat
            } else if frames[1] == Coordinator.readyFrame {
                message = .ready
            } else {
                message = try Message.decode(frames[1])
            }
        } catch {
            if case .unsupportedVersion(let theirs) = error {
                send(.error(reason: "protocol version mismatch: the worker speaks version \(theirs), "
                            + "this coordinator speaks version \(Message.protocolVersion)"), to: worker)
            }
            onEvent(.rejected(peer: worker.description, reason: error.description))
            return
        }
        let input: SchedulerInput
        switch message {
        case .hello(let hello):
            input = .hello(worker, name: hello.worker, host: hello.host, running: hello.running.map {
                SchedulerInput.RunningTrial(trial: $0, number: hello.number, config: hello.config)
            })
        case .ready: input = .ready(worker)
        case .heartbeat: input = .heartbeat(worker)
        case .progress(let trial, let metrics): input = .progress(worker, trial: trial, metrics: metrics)
        case .result(let trial, let number, let outcome): input = .result(worker, trial: trial, number: number, outcome: outcome)
        case .checkpoint(let chunk):
            // A piece says the worker is alive as much as a heartbeat does (a large checkpoint is many).
            guard let checkpoint = assemble(chunk, from: worker, onEvent: onEvent) else {
                perform(scheduler.handle(.heartbeat(worker), now: now), onEvent)
                return
            }
            input = .checkpoint(worker, trial: chunk.trial, epochs: checkpoint.epochs)
        case .log(let piece):
            receiveLog(piece, from: worker, onEvent: onEvent)
            input = .heartbeat(worker)
        case .status:
            send(.statusReport(status), to: worker)  // anyone may ask; it needs no hello
            return
        default:
            onEvent(.rejected(peer: worker.description, reason: "unexpected \(message) from a worker"))
            return
        }
        perform(scheduler.handle(input, now: now), onEvent)
    }

    /// Adds a piece to the worker's checkpoint; returns the checkpoint once whole and valid. Memory is
    /// bounded: one assembly per worker, for a trial it trains, no larger than that trial's model can
    /// need; a piece out of order drops the assembly.
    private func assemble(_ chunk: Message.Chunk, from worker: WorkerID, onEvent: (SweepEvent) -> Void) -> TrainingCheckpoint? {
        func refuse(_ reason: String) -> TrainingCheckpoint? {
            assemblies[worker] = nil
            onEvent(.rejected(peer: worker.description, reason: "checkpoint of trial \(chunk.trial) refused: \(reason)"))
            return nil
        }
        guard let config = scheduler.config(ofTrial: chunk.trial, trainedBy: worker, epoch: chunk.epoch) else {
            return refuse("this worker is not training it")
        }
        let limit = TrainingCheckpoint.maximumSize(for: config)
        guard chunk.total <= limit else { return refuse("\(chunk.total) bytes, more than its model can need (\(limit))") }
        if chunk.offset == 0 { assemblies[worker] = (chunk, []) }
        guard var assembly = assemblies[worker], assembly.chunk.trial == chunk.trial, assembly.chunk.total == chunk.total,
              assembly.chunk.epoch == chunk.epoch, assembly.bytes.count == chunk.offset else {
            return refuse("piece at \(chunk.offset) out of order")
        }
        assemblies[worker] = nil  // no copy-on-write of the growing buffer
        assembly.bytes += chunk.data
        guard assembly.bytes.count == chunk.total else {
            assemblies[worker] = assembly
            return nil
        }
        let checkpoint: TrainingCheckpoint
        do {
            checkpoint = try TrainingCheckpoint(decoding: assembly.bytes)
        } catch {
            return refuse(error.description)
        }
        guard checkpoint.config == config, checkpoint.epochs.count == chunk.epoch else {
            return refuse("it holds another configuration or epoch")
        }
        arrived[worker] = assembly.bytes
        return checkpoint
    }

    /// Writes a piece of the log of a program trial the worker runs (the id names the file, so only
    /// the worker running that trial may write it).
    private func receiveLog(_ piece: Message.LogPiece, from worker: WorkerID, onEvent: (SweepEvent) -> Void) {
        guard scheduler.trains(piece.trial, worker: worker) else {
            onEvent(.rejected(peer: worker.description, reason: "log of trial \(piece.trial) refused: this worker is not running it"))
            return
        }
        do {
            try logs.receive(piece, worker: worker.description)
        } catch {
            // A log is not a record: the sweep goes on, and says so.
            onEvent(.rejected(peer: worker.description, reason: "cannot write the log of trial \(piece.trial): \(error)"))
        }
    }

    /// Carries out the scheduler's actions: records and moves wait for the next flush, and so does
    /// every message, so that none overtakes the writes it follows.
    private func perform(_ actions: [SchedulerAction], _ onEvent: (SweepEvent) -> Void) {
        withoutActuallyEscaping(onEvent) { onEvent in
            var effects = Effects(coordinator: self, onEvent: onEvent)
            effects.perform(actions)
        }
    }

    /// The coordinator's side of each action: what goes to a worker waits in the outbox, what goes to
    /// disk waits for the flush, events go out at once.
    private struct Effects: SchedulerEffects {
        let coordinator: Coordinator
        let onEvent: (SweepEvent) -> Void

        func welcome(_ worker: WorkerID) {
            let scheduling = coordinator.options.scheduling
            coordinator.outbox.append((worker, .welcome(heartbeatMilliseconds: Int(scheduling.heartbeat / .milliseconds(1)),
                                                        liveness: scheduling.liveness)))
        }

        func assign(_ assignment: Assignment, to worker: WorkerID) { coordinator.assign(assignment, to: worker, onEvent) }

        func proceed(_ worker: WorkerID, trial: String, epoch: Int) {
            coordinator.outbox.append((worker, .proceed(trial: trial, epoch: epoch)))
        }

        func stop(_ worker: WorkerID, trial: String, afterEpoch: Int?) {
            coordinator.outbox.append((worker, .stop(trial: trial, afterEpoch: afterEpoch)))
        }

        func acknowledge(_ worker: WorkerID, trial: String) { coordinator.outbox.append((worker, .ack(trial: trial))) }

        func heartbeat(_ worker: WorkerID) { coordinator.outbox.append((worker, .heartbeat)) }

        func bye(_ worker: WorkerID) { coordinator.outbox.append((worker, .bye)) }

        func storeCheckpoint(from worker: WorkerID, trial: String, epoch: Int) {
            guard let bytes = coordinator.arrived.removeValue(forKey: worker) else { return }
            coordinator.checkpointWrites.append((trial, bytes))
            coordinator.outbox.append((worker, .checkpointStored(trial: trial, epoch: epoch)))
        }

        // Checkpoint and model files follow the rows: they change only once the batch is on disk.
        func removeCheckpoint(_ trial: String) {
            coordinator.fileChanges.append { checkpoints, _ in try checkpoints.remove(trial) }
        }

        func keepModel(_ trial: String) {
            coordinator.fileChanges.append { checkpoints, onEvent in
                do {
                    try checkpoints.keepModel(trial)
                } catch let error as StoreError {
                    throw error
                } catch {
                    // A final checkpoint that does not read back: the record stands; `sweep export` remakes the model.
                    onEvent(.noModel(trial: trial, reason: "its final checkpoint does not read back: \(error)"))
                }
            }
        }

        func removeModel(_ trial: String) {
            coordinator.fileChanges.append { checkpoints, _ in try checkpoints.removeModel(trial) }
        }

        func record(_ record: TrialRecord, epochs: [EpochMetrics]) {
            coordinator.batch.append((record, epochs))
            // A trial whose worker streamed a log (a program's) has it closed; for others this does nothing.
            do {
                try coordinator.logs.close(record.id, end: "no end received: its worker was lost")
            } catch {
                onEvent(.rejected(peer: "logs", reason: "cannot write the log of trial \(record.id): \(error)"))
            }
        }

        func hold(_ result: HeldResult) { coordinator.held.append(result) }

        func moveBeyondEnd(_ trials: Set<String>) { coordinator.beyondEnd.formUnion(trials) }

        func report(_ event: SweepEvent) {
            coordinator.timeline.note(event, at: Date().timeIntervalSince1970)
            onEvent(event)
        }
    }

    /// A trial message, and the pieces of the checkpoint to resume from; a stored checkpoint that
    /// cannot be read is reported and the trial starts from scratch.
    private func assign(_ assignment: Assignment, to worker: WorkerID, _ onEvent: (SweepEvent) -> Void) {
        var work = Message.Work(checkpointEvery: assignment.checkpointEvery > 0 ? assignment.checkpointEvery : nil,
                                pauseAt: assignment.pauseAt.isEmpty ? nil : assignment.pauseAt,
                                sendFinal: assignment.sendFinal ? true : nil)
        var pieces: [Message] = []
        if let from = assignment.resumeFrom {
            do {
                var bytes = try checkpoints.bytes(assignment.parent ?? assignment.trial)
                if assignment.parent != nil, let config = assignment.config {
                    // A stretch of population-based training: its parent's final weights, going on
                    // with this stretch's values (the worker then resumes it as its own).
                    bytes = try TrainingCheckpoint(decoding: bytes).continued(as: config).encoded()
                }
                work.resumeBytes = bytes.count
                pieces = Message.checkpointMessages(bytes, trial: assignment.trial, epoch: from)
            } catch {
                onEvent(.rejected(peer: "checkpoints", reason: "\(checkpoints.checkpointPath(assignment.parent ?? assignment.trial)): \(error); "
                                  + "trial \(assignment.trial) starts from scratch"))
            }
        }
        let (config, sent) = scheduler.spec.runnerWork(for: assignment, folder: store.identity.id, adding: work)
        outbox.append((worker, .trial(id: assignment.trial, number: assignment.number, config: config, work: sent)))
        for piece in pieces { outbox.append((worker, piece)) }
    }

    /// Writes the checkpoints that arrived and the pending results durably (one fsync per results file),
    /// keeps the held ones, moves aside what is past the sweep's end, settles checkpoint and model
    /// files, then sends what waited for that.
    private func flush(_ onEvent: (SweepEvent) -> Void) throws {
        for (trial, bytes) in checkpointWrites { try checkpoints.write(bytes, trial: trial) }
        checkpointWrites.removeAll()
        arrived.removeAll()
        if !batch.isEmpty {
            try store.append(contentsOf: batch)
            batch.removeAll(keepingCapacity: true)
        }
        do {
            try timeline.write()
            timelineFails = false
        } catch {
            // Said once until it works again (out of descriptors, every flush would say it).
            if !timelineFails {
                onEvent(.rejected(peer: "timeline", reason: "\(error); the timeline misses some rows, the results do not"))
            }
            timelineFails = true
        }
        if !held.isEmpty {
            try store.hold(held)
            held.removeAll()
        }
        if !beyondEnd.isEmpty {
            try store.moveAside(beyondEnd, to: .beyondEnd)
            beyondEnd.removeAll()
        }
        for change in fileChanges { try change(checkpoints, onEvent) }
        fileChanges.removeAll()
        for (worker, message) in outbox { send(message, to: worker) }
        outbox.removeAll(keepingCapacity: true)
    }

    private func send(_ message: Message, to worker: WorkerID) {
        let frame: [UInt8]
        if case .heartbeat = message { frame = Coordinator.heartbeatFrame } else { frame = message.encoded() }
        // Best effort: a vanished peer is noticed by its missed heartbeats, not here.
        _ = try? socket.send([worker.bytes, frame], dontWait: true)
    }

    /// A heartbeat and a ready, encoded (`Message` encodes with sorted keys: the same message is the same bytes).
    private static let heartbeatFrame = Message.heartbeat.encoded(), readyFrame = Message.ready.encoded()
}

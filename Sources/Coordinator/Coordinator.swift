import Foundation
import Messaging
import Sweeping
import Training

/// Hands trials to workers over a ZeroMQ ROUTER socket and records their results.
///
/// Single-threaded: one loop polls the socket, so all state is owned by that loop. A result is
/// written and fsync'ed by the `ResultStore` before it is acknowledged; a result for a trial that is
/// already recorded is acknowledged and dropped, so every trial is recorded exactly once.
///
/// Trials come from the `TrialSpace` one position at a time (a cursor, never a list), so memory
/// holds only what is running or waiting to be retried, whatever the sweep's size.
public final class Coordinator {
    /// The bound endpoint, with an ephemeral port resolved.
    public let endpoint: String
    private let socket: Socket
    private let authenticator: Authenticator?
    private let store: ResultStore
    private let options: CoordinatorOptions
    private let space: TrialSpace
    private let metric: Metric
    /// The next position of the space to consider.
    private var cursor = 0
    /// Trials handed out (or claimed by a reconnecting worker) and not yet recorded: their configs.
    private var known: [String: Trial] = [:]
    /// Trials whose worker died, handed out before the rest.
    private var retries: [String] = []
    /// Trials of this sweep recorded (before this run and during it).
    public private(set) var recordedCount: Int
    /// The completed trial that reached `metric.target`, if one has: nothing more is handed out.
    public private(set) var targetReachedBy: String?
    /// Results received but not yet on disk: written together (one fsync), then acknowledged.
    private var batch: [(record: TrialRecord, epochs: [EpochMetrics])] = []
    private var batchIDs: Set<String> = []
    private var acksAfterFlush: [(identity: [UInt8], trial: String)] = []
    private var attempts: [String: Int] = [:]
    private var running: [String: [UInt8]] = [:]  // trial → worker identity
    private var workers: [[UInt8]: WorkerState] = [:]
    private var lastBeat = ContinuousClock.now
    /// Until then no trial is handed out (see `CoordinatorOptions.graceMilliseconds`).
    private var holdUntil = ContinuousClock.now

    struct WorkerState {
        var name: String
        var host: String
        var lastSeen: ContinuousClock.Instant
        var trial: String?
        var idle = false
        var epoch: Int?
    }

    /// How a run ended.
    public enum Outcome: Equatable, Sendable {
        /// Every trial is recorded.
        case finished
        /// `shouldStop` said so; unrecorded trials remain for a rerun.
        case stopped
        /// A completed trial reached `metric.target`; the rest were not run.
        case targetReached
    }

    /// Binds `bind` and prepares to run the trials of `space`, skipping those `store` already holds.
    public init(space: TrialSpace, metric: Metric, store: ResultStore, bind: String, context: Context,
                options: CoordinatorOptions = CoordinatorOptions()) throws(ZMQError) {
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
        try socket.bind(bind)
        endpoint = try socket.lastEndpoint
        self.socket = socket
        self.store = store
        self.options = options
        self.space = space
        self.metric = metric
        let ours = store.records.filter { space.admits($0.config) }
        recordedCount = ours.count
        targetReachedBy = ours.first { $0.status == .completed && metric.reachesTarget($0.metric(metric.name) ?? .nan) }?.id
        if !ours.isEmpty {
            // A restart: workers of the previous coordinator may still be training some of these.
            let grace = options.graceMilliseconds ?? options.heartbeatMilliseconds * options.liveness
            holdUntil = ContinuousClock.now + .milliseconds(grace)
        }
    }

    /// Trial positions in this sweep.
    public var totalCount: Int { space.count }

    /// Nothing is running, waiting to be retried or to be written, and no position is left (or the
    /// target was reached).
    private var isDone: Bool {
        running.isEmpty && batch.isEmpty && (targetReachedBy != nil || (retries.isEmpty && !hasNextPosition()))
    }

    /// Whether a position not yet recorded remains (moves the cursor past recorded ones).
    private func hasNextPosition() -> Bool {
        while cursor < space.count {
            if !isTaken(space[cursor].id) { return true }
            cursor += 1
        }
        return false
    }

    /// Recorded, being recorded, running, or waiting for a retry: not to be handed out again.
    private func isTaken(_ id: String) -> Bool {
        store.recordedIDs.contains(id) || batchIDs.contains(id) || running[id] != nil || retries.contains(id)
    }

    /// What `sweep status` is told.
    public var status: CoordinatorStatus {
        let infos = workers.values.sorted { $0.name < $1.name }.map { state in
            CoordinatorStatus.WorkerInfo(name: state.name, host: state.host, trial: state.trial, epoch: state.epoch,
                                         epochs: state.trial.flatMap { known[$0]?.config.epochs })
        }
        return CoordinatorStatus(total: space.count, recorded: recordedCount, workers: infos, pid: getpid())
    }

    /// The most results written with one fsync.
    static let maximumBatch = 4096

    /// Runs until every trial is recorded or `shouldStop` returns true (it is asked at least every
    /// 100 ms). Says `bye` to every worker on the way out, and once finished keeps answering
    /// stragglers with `bye` for `CoordinatorOptions.farewellMilliseconds`.
    public func run(shouldStop: () -> Bool = { false },
                    onEvent: (CoordinatorEvent) -> Void = { _ in }) throws -> Outcome {
        defer { sayGoodbye() }
        while !isDone {
            if shouldStop() { return .stopped }
            try serve(waitMilliseconds: min(100, options.heartbeatMilliseconds), onEvent: onEvent) { frames in
                try handle(frames, onEvent: onEvent)
            }
            beatAndReap(onEvent: onEvent)
        }
        sayGoodbye()
        try bidFarewell(shouldStop: shouldStop, onEvent: onEvent)
        return targetReachedBy != nil ? .targetReached : .finished
    }

    /// Waits up to `waitMilliseconds` for the socket (and the ZAP handler), then passes on what is
    /// waiting (up to a batch), records the results in it with one fsync and acknowledges them.
    private func serve(waitMilliseconds: Int, onEvent: (CoordinatorEvent) -> Void,
                       frames handleFrames: ([[UInt8]]) throws -> Void) throws {
        do {
            var readable = false
            if let authenticator {
                let (router, zap) = try socket.waitForMessage(orOn: authenticator.socket, milliseconds: waitMilliseconds)
                readable = router
                if zap {
                    for decision in try authenticator.handleRequests() {
                        onEvent(.authentication(accepted: decision.accepted, key: decision.clientKey,
                                                address: decision.address))
                    }
                }
            } else {
                readable = try socket.waitForMessage(milliseconds: waitMilliseconds)
            }
            if readable {
                var handled = 0
                while handled < Coordinator.maximumBatch, let frames = try socket.receive(dontWait: true) {
                    try handleFrames(frames)
                    handled += 1
                }
                try flush(onEvent: onEvent)
            }
        } catch let error as ZMQError where error.isInterrupted {
            return  // a signal: the caller loops round to ask shouldStop
        }
    }

    /// The sweep is finished, but a worker that was between connections when the last result came
    /// in (its coordinator restarted, or it had just started) has not heard `bye` and would wait for
    /// this coordinator forever, and with it an `sbatch` job. Whoever speaks up in the window hears
    /// `bye`; a result it was still holding is acknowledged first (it is recorded already).
    private func bidFarewell(shouldStop: () -> Bool, onEvent: (CoordinatorEvent) -> Void) throws {
        let window = options.farewellMilliseconds ?? options.heartbeatMilliseconds * options.liveness
        let deadline = ContinuousClock.now + .milliseconds(window)
        while ContinuousClock.now < deadline, !shouldStop() {
            let milliseconds = Int((deadline - ContinuousClock.now) / .milliseconds(1))
            try serve(waitMilliseconds: max(1, min(100, milliseconds)), onEvent: onEvent) { frames in
                guard frames.count == 2, let message = try? Message.decode(frames[1]) else {
                    reject(frames.first ?? [], "a malformed frame after the sweep finished", onEvent)
                    return
                }
                switch message {
                case .status:
                    send(.statusReport(status), to: frames[0])
                case .result(let trial, _):
                    send(.ack(trial: trial), to: frames[0])
                    send(.bye, to: frames[0])
                default:
                    send(.bye, to: frames[0])
                }
            }
        }
    }

    // MARK: - Messages

    private func handle(_ frames: [[UInt8]], onEvent: (CoordinatorEvent) -> Void) throws {
        guard frames.count == 2 else {
            reject(frames.first ?? [], "expected 2 frames (identity, message), got \(frames.count)", onEvent)
            return
        }
        let identity = frames[0]
        let message: Message
        do {
            message = try Message.decode(frames[1])
        } catch {
            if case .unsupportedVersion(let theirs) = error {
                send(.error(reason: "protocol version mismatch: the worker speaks version \(theirs), "
                            + "this coordinator speaks version \(Message.protocolVersion)"), to: identity)
            }
            reject(identity, error.description, onEvent)
            return
        }
        let now = ContinuousClock.now
        if case .hello(let hello) = message {
            // A worker saying hello again (a reconnect, or a new process with the same name) is
            // training only what it says it is; a trial we had given it before goes back to the queue.
            if let previous = workers[identity]?.trial, previous != hello.running, running[previous] == identity {
                running[previous] = nil
                retries.append(previous)
            }
            workers[identity] = WorkerState(name: hello.worker, host: hello.host, lastSeen: now, trial: nil)
            send(.welcome(heartbeatMilliseconds: options.heartbeatMilliseconds, liveness: options.liveness), to: identity)
            onEvent(.workerJoined(worker: hello.worker, host: hello.host))
            if let trial = hello.running { adoptRunning(trial, config: hello.config, identity: identity) }
            return
        }
        if case .status = message {
            send(.statusReport(status), to: identity)  // anyone may ask; it needs no hello
            return
        }
        guard workers[identity] != nil else {
            // Not introduced (or declared dead): it must say hello first. A result is still accepted.
            if case .result(let trial, let outcome) = message {
                try record(trial, outcome: outcome, identity: identity, worker: printable(identity), host: "", onEvent: onEvent)
            } else {
                reject(identity, "\(message) before hello", onEvent)
            }
            return
        }
        workers[identity]!.lastSeen = now
        switch message {
        case .ready:
            workers[identity]!.idle = true
            assign(identity, onEvent: onEvent)
        case .heartbeat:
            break
        case .progress(let trial, let metrics):
            if workers[identity]!.trial == trial { workers[identity]!.epoch = metrics.epoch }
            onEvent(.epoch(trial: trial, worker: workers[identity]!.name, metrics: metrics))
        case .result(let trial, let outcome):
            let state = workers[identity]!
            try record(trial, outcome: outcome, identity: identity, worker: state.name, host: state.host, onEvent: onEvent)
        default:
            reject(identity, "unexpected \(message) from a worker", onEvent)
        }
    }

    /// A reconnecting worker still training `trial`: let it finish instead of giving the trial away.
    private func adoptRunning(_ trial: String, config: TrainingConfig?, identity: [UInt8]) {
        let claimed = known[trial] ?? config.map(Trial.init(config:))
        guard let claimed, claimed.id == trial, space.admits(claimed.config), targetReachedBy == nil,
              !store.recordedIDs.contains(trial) else {
            send(.stop(trial: trial), to: identity)
            return
        }
        if let holder = running[trial], holder != identity, workers[holder] != nil {
            send(.stop(trial: trial), to: identity)  // someone else has it now
            return
        }
        retries.removeAll { $0 == trial }
        known[trial] = claimed
        running[trial] = identity
        workers[identity]!.trial = trial
        workers[identity]!.idle = false
        if attempts[trial, default: 0] == 0 { attempts[trial] = 1 }
    }

    private func record(_ trialID: String, outcome: TrainingResult, identity: [UInt8], worker: String, host: String,
                        onEvent: (CoordinatorEvent) -> Void) throws {
        if running[trialID] == identity { running[trialID] = nil }
        if workers[identity]?.trial == trialID { workers[identity]!.trial = nil }
        // A result for a trial handed out by an earlier coordinator is checked against the sweep itself.
        let trial = known[trialID] ?? Trial(config: outcome.config)
        guard trial.id == trialID, outcome.config == trial.config, space.admits(trial.config) else {
            reject(identity, "result for trial \(trialID), which is not in this sweep", onEvent)
            send(.ack(trial: trialID), to: identity)  // nothing to retry: it will never be accepted
            return
        }
        if store.recordedIDs.contains(trialID) || batchIDs.contains(trialID) {
            onEvent(.duplicateResult(trial: trialID, worker: worker))
        } else {
            let record = TrialRecord(trial: trial, result: outcome, attempts: max(1, attempts[trialID, default: 1]),
                                     worker: worker, host: host)
            batch.append((record, outcome.epochs))
            batchIDs.insert(trialID)
        }
        known[trialID] = nil
        acksAfterFlush.append((identity, trialID))  // only once the batch is on disk
    }

    /// Writes the pending results durably, then acknowledges them.
    private func flush(onEvent: (CoordinatorEvent) -> Void) throws {
        if !batch.isEmpty {
            try store.append(contentsOf: batch)
            recordedCount += batch.count
            for (record, _) in batch {
                known[record.id] = nil
                onEvent(.trialRecorded(record))
                if targetReachedBy == nil, record.status == .completed,
                   metric.reachesTarget(record.metric(metric.name) ?? .nan) {
                    targetReachedBy = record.id
                    onEvent(.targetReached(trial: record.id))
                }
            }
            batch.removeAll(keepingCapacity: true)
            batchIDs.removeAll(keepingCapacity: true)
        }
        for (identity, trial) in acksAfterFlush { send(.ack(trial: trial), to: identity) }
        acksAfterFlush.removeAll(keepingCapacity: true)
    }

    /// The next trial to hand out: retries first, then the sweep's positions in order. A position
    /// whose configuration cannot be trained (a corner the sweep file's checks cannot see) is recorded
    /// as failed with the reason, never handed out.
    private func nextTrial() -> Trial? {
        guard targetReachedBy == nil else { return nil }
        while let retry = retries.popLast() {
            if let trial = known[retry], !store.recordedIDs.contains(retry), !batchIDs.contains(retry), running[retry] == nil {
                return trial
            }
        }
        while hasNextPosition() {
            let trial = space[cursor]
            cursor += 1
            do {
                try trial.config.validate()
            } catch {
                batch.append((TrialRecord(failed: trial, reason: "cannot be trained: \(error)", attempts: 0,
                                          worker: "", host: ""), []))
                batchIDs.insert(trial.id)
                continue
            }
            known[trial.id] = trial
            return trial
        }
        return nil
    }

    private func assign(_ identity: [UInt8], onEvent: (CoordinatorEvent) -> Void) {
        guard ContinuousClock.now >= holdUntil else { return }  // beatAndReap assigns once it passes
        guard var state = workers[identity], state.idle, state.trial == nil else { return }
        if let trial = nextTrial() {
            let next = trial.id
            attempts[next, default: 0] += 1
            running[next] = identity
            state.trial = next
            state.epoch = nil
            state.idle = false
            workers[identity] = state
            send(.trial(id: next, config: trial.config), to: identity)
            onEvent(.trialStarted(trial: next, worker: state.name, attempt: attempts[next]!))
            return
        }
    }

    // MARK: - Liveness

    private func beatAndReap(onEvent: (CoordinatorEvent) -> Void) {
        let now = ContinuousClock.now
        let interval = Duration.milliseconds(options.heartbeatMilliseconds)
        if now - lastBeat >= interval {
            lastBeat = now
            for identity in workers.keys { send(.heartbeat, to: identity) }
        }
        let deadline = interval * options.liveness
        for (identity, state) in workers where now - state.lastSeen > deadline {
            workers[identity] = nil
            if let trial = state.trial, running[trial] == identity {
                running[trial] = nil
                requeue(trial, worker: state.name, host: state.host, onEvent: onEvent)
            }
            onEvent(.workerLost(worker: state.name, trial: state.trial))
        }
        // Idle workers may have been waiting for requeued trials.
        for (identity, state) in workers where state.idle { assign(identity, onEvent: onEvent) }
        try? flush(onEvent: onEvent)  // failed trials recorded above; a store error resurfaces on the next flush
    }

    private func requeue(_ trialID: String, worker: String, host: String, onEvent: (CoordinatorEvent) -> Void) {
        guard let trial = known[trialID], !store.recordedIDs.contains(trialID) else { return }
        let tries = attempts[trialID, default: 1]
        if tries >= options.maxAttempts {
            let record = TrialRecord(failed: trial, reason: "took down \(tries) workers in a row (last: \(worker))",
                                     attempts: tries, worker: worker, host: host)
            if !batchIDs.contains(trialID) {
                batch.append((record, []))
                batchIDs.insert(trialID)
            }
        } else {
            retries.append(trialID)
        }
    }

    // MARK: - Sending

    private func send(_ message: Message, to identity: [UInt8]) {
        // Best effort: a vanished peer is noticed by its missed heartbeats, not here.
        _ = try? socket.send([identity, message.encoded()], dontWait: true)
    }

    private func sayGoodbye() {
        for identity in workers.keys { send(.bye, to: identity) }
        workers.removeAll()
        // Linger is 0 while running (results are acknowledged end to end), but nothing answers a
        // lost `bye`: give the last ones a moment to leave when the socket closes.
        try? socket.set(.linger, 500)
    }

    private func reject(_ identity: [UInt8], _ reason: String, _ onEvent: (CoordinatorEvent) -> Void) {
        onEvent(.rejected(peer: workers[identity]?.name ?? printable(identity), reason: reason))
    }

    private func printable(_ identity: [UInt8]) -> String {
        if let text = String(bytes: identity, encoding: .utf8), text.allSatisfy({ $0.isASCII && !$0.isNewline }) {
            return text
        }
        return identity.map { String(format: "%02x", $0) }.joined()
    }
}

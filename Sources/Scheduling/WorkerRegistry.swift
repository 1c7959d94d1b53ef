import Training
import SweepCore

/// The workers that said hello: who they are, when each was last heard from, what each trains or
/// whether it waits for work, and how long workers waited for a proposal. It decides when a worker
/// is dead (silent for a liveness window, checked at the heartbeat's cadence) and when to beat.
///
/// With thousands of workers nothing here is sorted or scanned per input: the identity order that
/// beats and work follow is kept as workers come and go (`WorkerOrder`), and a beat is linear in the
/// workers.
struct WorkerRegistry {
    struct Worker: Equatable {
        var name: String
        var host: String
        var lastSeen: Duration
        /// The trial it trains.
        var trial: String?
        /// It asked for work and has none.
        var idle = false
        /// The last epoch it reported of its trial, and the figures of its last progress (its
        /// trial's while they are of `epoch`).
        var epoch: Int?
        var lastProgress: EpochMetrics?
        /// Since when it waits for a proposal (bayes waiting for the trials it learns from).
        var waitingSince: Duration?
    }

    private(set) var workers: [WorkerID: Worker] = [:]
    /// Every worker, in identity order.
    private var order = WorkerOrder()
    /// Workers with nothing to do, waiting for work, in identity order.
    private var idle = WorkerOrder()
    /// Of those, the ones not counted as waiting for a proposal yet (`startWaiting`).
    private var idleNotWaiting: Set<WorkerID> = []
    private var lastBeat: Duration
    /// When the last input arrived. The coordinator feeds one at least every beat (its ticks); a gap
    /// longer than a liveness window means its loop stalled (a long fsync, SIGSTOP), and the workers'
    /// silence in that time is its own, not theirs.
    private var lastInput: Duration
    /// Worker time spent waiting for a proposal, of workers no longer waiting.
    private(set) var waiting: Duration = .zero

    init(now: Duration) {
        lastBeat = now
        lastInput = now
    }

    subscript(worker: WorkerID) -> Worker? { workers[worker] }

    /// The trial `worker` trains.
    func trial(of worker: WorkerID) -> String? { workers[worker]?.trial }

    /// The name to report `worker` by: its own, or its identity if it never said hello.
    func name(of worker: WorkerID) -> String { workers[worker]?.name ?? worker.description }

    /// A worker said hello (again: whatever it was doing before is forgotten).
    mutating func hello(_ worker: WorkerID, name: String, host: String, now: Duration) {
        notIdle(worker)
        if workers.updateValue(Worker(name: name, host: host, lastSeen: now), forKey: worker) == nil { order.insert(worker) }
    }

    /// Refreshes `worker`'s liveness; false if it never said hello.
    mutating func heard(_ worker: WorkerID, now: Duration) -> Bool {
        guard workers[worker] != nil else { return false }
        workers[worker]!.lastSeen = now
        return true
    }

    /// `worker` asks for work.
    mutating func ready(_ worker: WorkerID) {
        workers[worker]!.idle = true
        idle.insert(worker)
        if workers[worker]!.waitingSince == nil { idleNotWaiting.insert(worker) }
    }

    /// An epoch of `trial` from `worker`; true if that is the trial it trains.
    mutating func progress(_ worker: WorkerID, trial: String, metrics: EpochMetrics) -> Bool {
        guard workers[worker]!.trial == trial else { return false }
        workers[worker]!.epoch = metrics.epoch
        workers[worker]!.lastProgress = metrics
        return true
    }

    /// Whether `worker` can be given a trial: it asked for work and trains nothing.
    func canTake(_ worker: WorkerID) -> Bool {
        guard let state = workers[worker] else { return false }
        return state.idle && state.trial == nil
    }

    /// `worker` asked for work and there is none until earlier trials are recorded.
    mutating func startWaiting(_ worker: WorkerID, now: Duration) {
        if workers[worker]!.waitingSince == nil { workers[worker]!.waitingSince = now }
        idleNotWaiting.remove(worker)
    }

    /// Every worker that can take work wait for a proposal from `now` (those waiting already keep
    /// their start): what `startWaiting` for each would do, without visiting the ones waiting already.
    mutating func startWaitingAll(now: Duration) {
        for worker in idleNotWaiting where canTake(worker) { startWaiting(worker, now: now) }
    }

    /// `worker` takes `trial`; the time it waited for it is counted.
    mutating func give(_ trial: String, to worker: WorkerID, now: Duration) {
        if let since = workers[worker]!.waitingSince {
            waiting += now - since
            workers[worker]!.waitingSince = nil
        }
        workers[worker]!.trial = trial
        workers[worker]!.idle = false
        notIdle(worker)
        workers[worker]!.epoch = nil
    }

    /// `worker` (which said hello) claims `trial`, which it trains already.
    mutating func adopt(_ trial: String, by worker: WorkerID) {
        workers[worker]!.trial = trial
        workers[worker]!.idle = false
        notIdle(worker)
    }

    /// `worker` no longer trains its trial (another took it over, or the sweep ended before it).
    mutating func unassign(_ worker: WorkerID) { workers[worker]?.trial = nil }

    /// `worker` is done with its trial: it ended, or was stopped to wait at a rung.
    mutating func finished(_ worker: WorkerID) {
        workers[worker]?.trial = nil
        workers[worker]?.epoch = nil
    }

    /// An input arrived at `now`: after a stall longer than `window`, every worker gets a fresh
    /// window to speak up in, instead of being found dead at the next tick. True if it was a stall.
    @discardableResult
    mutating func input(now: Duration, window: Duration) -> Bool {
        defer { lastInput = now }
        guard now - lastInput > window else { return false }
        for worker in workers.keys { workers[worker]!.lastSeen = max(workers[worker]!.lastSeen, now) }
        return true
    }

    /// At the heartbeat's cadence: the workers to beat, and the ones silent for longer than
    /// `window`, removed (with the time they waited counted), in identity order.
    mutating func tick(now: Duration, heartbeat: Duration, window: Duration) -> (beat: [WorkerID], lost: [(WorkerID, Worker)])? {
        guard now - lastBeat >= heartbeat else { return nil }
        lastBeat = now
        let everyone = order.identities
        var lost: [(WorkerID, Worker)] = []
        for worker in everyone where now - workers[worker]!.lastSeen > window {
            let state = workers.removeValue(forKey: worker)!
            order.remove(worker)
            notIdle(worker)
            if let since = state.waitingSince { waiting += now - since }
            lost.append((worker, state))
        }
        return (everyone, lost)
    }

    /// The sweep is over: every worker, in identity order, with the time they waited counted; none is left.
    mutating func farewell(now: Duration) -> [WorkerID] {
        let everyone = order.identities
        for worker in everyone {
            if let since = workers[worker]!.waitingSince { waiting += now - since }
        }
        workers.removeAll()
        order = WorkerOrder()
        idle = WorkerOrder()
        idleNotWaiting.removeAll()
        return everyone
    }

    /// Ctrl-C: every worker, by its identity as text; none is left.
    mutating func shutDown() -> [WorkerID] {
        let everyone = workers.keys.sorted { $0.description < $1.description }
        workers.removeAll()
        order = WorkerOrder()
        idle = WorkerOrder()
        idleNotWaiting.removeAll()
        return everyone
    }

    /// The workers waiting for work, in identity order (the order they are given work in).
    var waitingForWork: [WorkerID] { idle.identities }

    /// The first worker waiting for work after `worker` in identity order (the first of all for nil).
    func waitingForWork(after worker: WorkerID?) -> WorkerID? { idle.first(after: worker) }

    private mutating func notIdle(_ worker: WorkerID) {
        idle.remove(worker)
        idleNotWaiting.remove(worker)
    }
}

/// Worker identities in identity order (their bytes, lexicographically), kept sorted as they are
/// added and removed (a binary search and a move of the identities after it), so that the order
/// beats and work follow costs nothing per input.
struct WorkerOrder {
    /// The identities, in order.
    private(set) var identities: [WorkerID] = []

    /// Where `worker` is, or would go.
    private func position(of worker: WorkerID) -> (index: Int, found: Bool) {
        var low = 0, high = identities.count
        while low < high {
            let middle = (low + high) / 2
            if identities[middle].bytes.lexicographicallyPrecedes(worker.bytes) { low = middle + 1 } else { high = middle }
        }
        return (low, low < identities.count && identities[low] == worker)
    }

    mutating func insert(_ worker: WorkerID) {
        let (index, found) = position(of: worker)
        if !found { identities.insert(worker, at: index) }
    }

    mutating func remove(_ worker: WorkerID) {
        let (index, found) = position(of: worker)
        if found { identities.remove(at: index) }
    }

    /// The first identity after `worker` (the first of all for nil).
    func first(after worker: WorkerID?) -> WorkerID? {
        guard let worker else { return identities.first }
        let (index, found) = position(of: worker)
        let next = found ? index + 1 : index
        return next < identities.count ? identities[next] : nil
    }
}

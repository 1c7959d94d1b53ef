/// Events in virtual time, earliest first; events at the same time come out in the order they were
/// added, so a simulation is a function of its inputs alone. A binary heap: O(log n) a push or pop.
struct EventQueue<Event> {
    private var heap: [(time: Duration, order: Int, event: Event)] = []
    private var added = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// Adds `event` at `time`.
    mutating func push(_ event: Event, at time: Duration) {
        heap.append((time, added, event))
        added += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard earlier(child, than: parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Takes the earliest event out.
    mutating func pop() -> (time: Duration, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count && earlier(left, than: first) { first = left }
            if right < heap.count && earlier(right, than: first) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return (top.time, top.event)
    }

    private func earlier(_ a: Int, than b: Int) -> Bool {
        heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].order < heap[b].order
    }
}

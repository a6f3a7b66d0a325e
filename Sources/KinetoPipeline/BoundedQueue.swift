import Foundation

/// A first-in first-out queue between two pipeline stages that holds at most `capacity` items:
/// a producer that gets ahead blocks in `push` until the consumer catches up (back-pressure), so a
/// job's memory is bounded by the sum of its queues' capacities whatever the video's length.
///
/// Ends two ways: `close()` (the producer is done; consumers drain what is left, then `pop` returns
/// nil) or `cancel()` (the job stops; items are dropped, blocked producers and consumers wake up,
/// `push` returns false and `pop` nil from then on). Any thread may call any method.
public final class BoundedQueue<Element>: @unchecked Sendable {
    public let capacity: Int
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false
    private let condition = NSCondition()

    public init(capacity: Int) {
        precondition(capacity > 0, "a BoundedQueue needs room for at least one item")
        self.capacity = capacity
        self.items = Array(repeating: nil, count: capacity)
    }

    /// Appends `item`, waiting while the queue is full. Returns false (and drops the item) if the
    /// queue is cancelled; pushing after `close()` is a programming error and also returns false.
    @discardableResult
    public func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count == capacity && !cancelled && !closed { condition.wait() }
        guard !cancelled, !closed else { return false }
        items[(head + count) % capacity] = item
        count += 1
        condition.broadcast()
        return true
    }

    /// Removes the oldest item, waiting while the queue is empty and open. Nil once the queue is
    /// closed and empty, or cancelled.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed && !cancelled { condition.wait() }
        guard !cancelled, count > 0 else { return nil }
        let item = items[head]
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return item
    }

    /// The producer is done: consumers get the remaining items, then nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the queue now: drops the items and wakes every waiting thread.
    public func cancel() {
        condition.lock()
        cancelled = true
        items = Array(repeating: nil, count: capacity)
        count = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Items waiting now (for progress and tests; may change immediately).
    public var currentCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }
}

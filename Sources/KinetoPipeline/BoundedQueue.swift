import Foundation

/// A first-in first-out queue between two pipeline stages that holds at most `capacity` items and,
/// when given a `byteLimit`, at most that many bytes of them (as `cost` counts them): a producer that
/// gets ahead blocks in `push` until the consumer catches up (back-pressure), so a job's memory is
/// bounded by the sum of its queues' limits whatever the video's length. A byte limit lets a queue of
/// small frames hold several while a queue of 4K pictures holds one; an item larger than the limit
/// is still taken when the queue is empty (the job would stop otherwise).
///
/// Ends two ways: `close()` (the producer is done; consumers drain what is left, then `pop` returns
/// nil) or `cancel()` (the job stops; items are dropped, blocked producers and consumers wake up,
/// `push` returns false and `pop` nil from then on). Any thread may call any method.
public final class BoundedQueue<Element>: @unchecked Sendable {
    public let capacity: Int
    /// Most bytes held at once (`Int.max`: counted by items only).
    public let byteLimit: Int
    private let cost: (Element) -> Int
    /// Each held item with the bytes it was counted at.
    private var items: [(item: Element, bytes: Int)?]
    private var bytes = 0
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false
    private let condition = NSCondition()

    /// `cost` gives an item's bytes (called once, in `push`); with the default `byteLimit` it is not used.
    public init(capacity: Int, byteLimit: Int = .max, cost: @escaping (Element) -> Int = { _ in 0 }) {
        precondition(capacity > 0, "a BoundedQueue needs room for at least one item")
        precondition(byteLimit > 0, "a BoundedQueue needs a positive byte limit")
        self.capacity = capacity
        self.byteLimit = byteLimit
        self.cost = byteLimit == .max ? { _ in 0 } : cost
        self.items = Array(repeating: nil, count: capacity)
    }

    /// Appends `item`, waiting while the queue is full (of items, or of bytes: then until it is empty or
    /// has room for `item`'s). Returns false (and drops the item) if the queue is cancelled; pushing after
    /// `close()` is a programming error and also returns false.
    @discardableResult
    public func push(_ item: Element) -> Bool {
        let itemBytes = cost(item)
        condition.lock()
        defer { condition.unlock() }
        while (count == capacity || (count > 0 && itemBytes > byteLimit - bytes)) && !cancelled && !closed {
            condition.wait()
        }
        guard !cancelled, !closed else { return false }
        items[(head + count) % capacity] = (item, itemBytes)
        count += 1
        bytes += itemBytes
        condition.broadcast()
        return true
    }

    /// Removes the oldest item, waiting while the queue is empty and open. Nil once the queue is
    /// closed and empty, or cancelled.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed && !cancelled { condition.wait() }
        guard !cancelled, count > 0, let held = items[head] else { return nil }
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        bytes -= held.bytes
        condition.broadcast()
        return held.item
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
        bytes = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Items waiting now (for progress and tests; may change immediately).
    public var currentCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Bytes of the items waiting now (by `cost`; 0 without a byte limit).
    public var currentBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return bytes
    }

    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }
}

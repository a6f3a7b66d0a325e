import Foundation

/// Recycles tensor memory across the operators of a network and across frames.
///
/// Create one pool per network instance (or per worker running a network), make the network's input tensors from it
/// (`pool.tensor(...)`, `pool.copy(...)`), and every operator output and scratch buffer derived from those inputs is
/// drawn from the same pool. When a tensor is no longer referenced its buffer returns here (ARC frees it) and the
/// next request of the same size class gets it back. Buffers are bucketed by size class (`bucketCapacity`), so a
/// network that makes the same sequence of requests every frame allocates nothing new after its first frame.
///
/// Thread-safe: buffers may be requested and returned from any thread.
public final class TensorPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var _allocations = 0
    private var _allocatedFloats = 0
    private var _reuses = 0

    public init() {}

    deinit {
        for (_, list) in free { for p in list { TensorStorage.deallocateRaw(p) } }
    }

    /// A tensor of `shape` from this pool. Its contents are unspecified unless `zeroed` (operators overwrite their
    /// outputs entirely, so they ask for unzeroed memory).
    public func tensor(_ shape: [Int], zeroed: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        let storage = storage(count: count)
        if zeroed { storage.base.initialize(repeating: 0, count: count) }
        return Tensor(storage: storage, shape: shape)
    }

    /// A contiguous copy of `source` in this pool's memory.
    public func copy(_ source: Tensor) -> Tensor {
        let result = tensor(source.shape)
        result.copy(from: source)
        return result
    }

    /// A tensor of `shape` holding `values` (row-major), in this pool's memory.
    public func tensor(_ shape: [Int], values: [Float]) -> Tensor {
        let result = tensor(shape)
        values.withUnsafeBufferPointer {
            result.pointer.update(from: $0.baseAddress!, count: min(values.count, result.count))
        }
        return result
    }

    /// Storage for at least `count` floats: a recycled buffer of the same bucket size, or a new one.
    public func storage(count: Int) -> TensorStorage {
        let capacity = TensorPool.bucketCapacity(count)
        lock.lock()
        if var list = free[capacity], let p = list.popLast() {
            free[capacity] = list
            _reuses += 1
            lock.unlock()
            return TensorStorage(base: p, capacity: capacity, pool: self)
        }
        // A large request takes the smallest free buffer of up to twice its size before allocating: a network's
        // big passing buffers (a 4K frame's planar copy, a head's maps) then serve the next stage's buffers of
        // other sizes, so the pool holds about the most that is live at once, not each size's own peak.
        if capacity >= TensorPool.largeCapacity,
            let larger = free.lazy.filter({ $0.key > capacity && $0.key <= 2 * capacity && !$0.value.isEmpty })
                .map(\.key).min(), let p = free[larger]!.popLast()
        {
            _reuses += 1
            lock.unlock()
            return TensorStorage(base: p, capacity: larger, pool: self)
        }
        _allocations += 1
        _allocatedFloats += capacity
        lock.unlock()
        return TensorStorage(base: TensorStorage.allocateRaw(capacity), capacity: capacity, pool: self)
    }

    /// From this many floats (4 MB) a request may be served by a larger free buffer.
    static let largeCapacity = 1 << 20

    /// The size class of a request: small sizes rounded to 64 bytes, from 64 K floats up to four sizes per octave
    /// (at most 19 % unused), so tensors of nearby sizes (the same layer at two scales, scratch panels of different
    /// layers) share buffers. Deterministic in `count`, so a repeated sequence of requests still allocates nothing new.
    /// From 16 M floats (64 MB, frames of 4K and more) the size itself: a larger free buffer serves a request
    /// anyway, and rounding up there would cost up to 19 % of the largest buffers.
    static func bucketCapacity(_ count: Int) -> Int {
        let rounded = TensorStorage.roundedCapacity(count)
        if rounded <= 65_536 || rounded >= 1 << 24 { return rounded }
        let octave = Int.bitWidth - 1 - rounded.leadingZeroBitCount  // 2^octave ≤ rounded < 2^(octave+1)
        let step = 1 << (octave - 2)
        return (rounded + step - 1) / step * step
    }

    func recycle(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        free[capacity, default: []].append(pointer)
        lock.unlock()
    }

    /// Number of buffers this pool has ever allocated (not counting reuses). Stays flat once a network is warm.
    public var allocationCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return _allocations
    }
    /// Bytes this pool has allocated and not trimmed (live plus free).
    public var allocatedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return _allocatedFloats * 4
    }
    /// Number of requests served from the free list.
    public var reuseCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return _reuses
    }

    /// The free buffers by size class (floats), largest first: what the pool holds besides the live tensors.
    public var freeBuffers: [(capacity: Int, count: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return free.filter { !$0.value.isEmpty }.map { ($0.key, $0.value.count) }.sorted { $0.capacity > $1.capacity }
    }

    /// Frees the buffers currently in the free list (e.g. after the frame size changed). Live tensors are unaffected.
    public func trim() {
        lock.lock()
        let lists = free
        free = [:]
        for (capacity, list) in lists { _allocatedFloats -= capacity * list.count }
        lock.unlock()
        for (_, list) in lists { for p in list { TensorStorage.deallocateRaw(p) } }
    }
}

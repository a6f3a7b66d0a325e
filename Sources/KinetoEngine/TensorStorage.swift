/// A block of float32 memory behind one or more tensors (views share it).
///
/// Memory is 64-byte aligned. Storage that came from a `TensorPool` goes back to that pool's free list when the last
/// tensor referring to it is gone, so a network that runs frame after frame at one size reuses its buffers instead
/// of allocating new ones.
public final class TensorStorage: @unchecked Sendable {
    /// The first element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of floats the block holds (at least what was asked for).
    public let capacity: Int
    /// The pool the block returns to, or nil for plain heap memory.
    public let pool: TensorPool?

    init(base: UnsafeMutablePointer<Float>, capacity: Int, pool: TensorPool?) {
        self.base = base
        self.capacity = capacity
        self.pool = pool
    }

    /// Heap storage of `count` floats, zero-filled, not part of any pool.
    public convenience init(zeroedCount count: Int) {
        let capacity = TensorStorage.roundedCapacity(count)
        let base = TensorStorage.allocateRaw(capacity)
        base.initialize(repeating: 0, count: capacity)
        self.init(base: base, capacity: capacity, pool: nil)
    }

    deinit {
        if let pool {
            pool.recycle(base, capacity: capacity)
        } else {
            TensorStorage.deallocateRaw(base)
        }
    }

    /// Capacities are rounded up to whole 64-byte lines; pools bucket buffers by this rounded size.
    static func roundedCapacity(_ count: Int) -> Int { max(16, (count + 15) & ~15) }

    static func allocateRaw(_ capacity: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    static func deallocateRaw(_ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

/// A float32 tensor, NCHW for images and feature maps (PyTorch layouts everywhere).
///
/// A `Tensor` is a reference to memory, like a PyTorch tensor: copies of the struct and views share storage,
/// and writing through one is visible through the others. Operators (`Ops`) never modify their inputs; they
/// return new tensors drawn from the input's `TensorPool` (or write into an `out:` tensor you pass).
///
/// Layout: all dimensions are contiguous row-major except dimension 0, whose stride is `batchStride`. That makes
/// a channel range (`channels(_:)`) a view without copying for any batch size: for batch 1 it is simply a
/// contiguous sub-block. Operators accept such views as inputs and outputs (writing a convolution's output into
/// `concatBuffer.channels(a..<b)` avoids a `concat` copy).
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    /// The memory behind this tensor.
    public let storage: TensorStorage
    /// Index of element [0, 0, ...] in `storage`.
    public let offset: Int
    /// Dimensions, outermost first: `[n, c, h, w]` for feature maps, `[out, in/groups, kh, kw]` for conv weights.
    public let shape: [Int]
    /// Elements between item `i` and item `i + 1` of dimension 0 (equals `itemSize` when contiguous).
    public let batchStride: Int

    /// A tensor over existing storage. `batchStride` defaults to the contiguous value.
    public init(storage: TensorStorage, shape: [Int], offset: Int = 0, batchStride: Int? = nil) {
        self.storage = storage
        self.shape = shape
        self.offset = offset
        self.batchStride = batchStride ?? shape.dropFirst().reduce(1, *)
    }

    /// A zero-filled tensor on the heap (not pooled): for weights and constants.
    public init(zeros shape: [Int]) {
        self.init(storage: TensorStorage(zeroedCount: shape.reduce(1, *)), shape: shape)
    }

    /// A heap tensor holding `values` in row-major order; `values.count` must equal the shape's element count.
    public init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: Swift.min(values.count, count)) }
    }

    /// An uninitialized tensor of `shape` from `like`'s pool (heap memory if `like` is not pooled). Operators make
    /// their outputs and scratch buffers this way.
    public static func empty(_ shape: [Int], like: Tensor) -> Tensor {
        if let pool = like.pool { return pool.tensor(shape) }
        return Tensor(zeros: shape)
    }

    /// The pool this tensor's memory returns to, if any.
    public var pool: TensorPool? { storage.pool }
    public var rank: Int { shape.count }
    /// Total number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Elements in one item of dimension 0 (`c * h * w` for NCHW).
    public var itemSize: Int { shape.dropFirst().reduce(1, *) }
    /// Batch size (dimension 0).
    public var n: Int { shape[0] }
    /// Channels (dimension 1 of an NCHW tensor).
    public var c: Int { shape[1] }
    /// Height (dimension 2 of an NCHW tensor).
    public var h: Int { shape[2] }
    /// Width (dimension 3 of an NCHW tensor).
    public var w: Int { shape[3] }
    /// Whether the elements are one dense row-major block.
    public var isContiguous: Bool { shape.isEmpty || shape[0] <= 1 || batchStride == itemSize }

    /// Pointer to element [0, 0, ...].
    public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }
    /// Pointer to the first element of item `index` of dimension 0; the item itself is contiguous.
    @inline(__always)
    public func pointer(item index: Int) -> UnsafeMutablePointer<Float> { storage.base + offset + index * batchStride }

    /// Channels `range` of an NCHW (or any rank ≥ 2) tensor, as a view sharing memory.
    public func channels(_ range: Range<Int>) -> Tensor {
        let inner = shape.dropFirst(2).reduce(1, *)
        var newShape = shape
        newShape[1] = range.count
        return Tensor(
            storage: storage, shape: newShape, offset: offset + range.lowerBound * inner, batchStride: batchStride)
    }

    /// Item `index` of dimension 0 as a view with batch size 1.
    public func item(_ index: Int) -> Tensor {
        var newShape = shape
        newShape[0] = 1
        return Tensor(storage: storage, shape: newShape, offset: offset + index * batchStride)
    }

    /// The same elements with another shape of equal count (requires a contiguous tensor; no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Engine.check(newShape.reduce(1, *) == count, "reshape \(shape) to \(newShape): element counts differ")
        Engine.check(isContiguous, "reshape of a non-contiguous view \(shape)")
        return Tensor(storage: storage, shape: newShape, offset: offset)
    }

    /// `parts` equal views along the channel dimension (torch.chunk with an even split).
    public func chunked(_ parts: Int) -> [Tensor] {
        let size = c / parts
        return (0..<parts).map { channels($0 * size..<($0 + 1) * size) }
    }

    /// The elements in row-major order.
    public func toArray() -> [Float] {
        var result = [Float](repeating: 0, count: count)
        result.withUnsafeMutableBufferPointer { buffer in
            let inner = itemSize
            for i in 0..<(shape.first ?? 1) where inner > 0 {
                (buffer.baseAddress! + i * inner).update(from: pointer(item: i), count: inner)
            }
            if shape.isEmpty { buffer[0] = pointer.pointee }
        }
        return result
    }

    /// Copies `source` (same element count per item and items) into this tensor.
    public func copy(from source: Tensor) {
        Engine.check(source.count == count, "copy \(source.shape) into \(shape): element counts differ")
        if isContiguous && source.isContiguous {
            pointer.update(from: source.pointer, count: count)
            return
        }
        let inner = itemSize
        for i in 0..<shape[0] { pointer(item: i).update(from: source.pointer(item: i), count: inner) }
    }

    /// A contiguous copy in the same pool.
    public func contiguousCopy() -> Tensor {
        let result = Tensor.empty(shape, like: self)
        result.copy(from: self)
        return result
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        let inner = itemSize
        for i in 0..<Swift.max(1, shape.first ?? 1) { pointer(item: i).update(repeating: value, count: inner) }
    }

    /// Element at a full N-dimensional index (slow; for tests and debugging).
    public subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        Engine.check(index.count == shape.count, "index \(index) for a tensor of shape \(shape)")
        var flat = 0
        for d in 1..<max(1, index.count) { flat = flat * shape[d] + index[d] }
        return (index.first ?? 0) * batchStride + flat
    }

    public var description: String { "Tensor\(shape)" }
}

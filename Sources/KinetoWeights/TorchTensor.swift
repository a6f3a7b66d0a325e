import Foundation

/// A tensor from a PyTorch checkpoint: a strided view (shape, strides, offset) into a storage, as PyTorch keeps
/// it. Checkpoints validate every view when they load, so all accessors here are safe.
public struct TorchTensor: Sendable {
    public let storage: TorchStorage
    /// Offset of element [0, 0, …] in the storage, in elements.
    public let storageOffset: Int
    public let shape: [Int]
    /// Element strides per dimension.
    public let strides: [Int]
    /// Why the view does not fit its storage (set while unpickling, reported by the checkpoint with the tensor's key).
    let problem: String?

    init(storage: TorchStorage, storageOffset: Int, shape: [Int], strides: [Int]) {
        self.storage = storage
        self.storageOffset = storageOffset
        self.shape = shape
        self.strides = strides
        problem = Self.check(storage: storage, offset: storageOffset, shape: shape, strides: strides)
    }

    public var dtype: TensorDType { storage.dtype }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the elements lie in row-major order without gaps.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// The elements in row-major order, as little-endian bytes (a non-contiguous view is materialised).
    public func contiguousBytes() -> [UInt8] {
        let elementSize = dtype.size
        let total = count * elementSize
        guard total > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            storage.withUnsafeBytes { source in
                let base = source.baseAddress! + storageOffset * elementSize
                if isContiguous {
                    out.baseAddress!.update(from: base.assumingMemoryBound(to: UInt8.self), count: total)
                } else {
                    copyStrided(from: base, to: UnsafeMutableRawPointer(out.baseAddress!), elementSize: elementSize)
                }
            }
            initialized = total
        }
    }

    /// The elements in row-major order converted to Float.
    public func floats() -> [Float] {
        let bytes = contiguousBytes()
        return bytes.withUnsafeBytes {
            dtype.floats(from: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: count)
        }
    }

    /// The elements of an integer tensor exactly, in row-major order; nil for floating-point tensors.
    public func int64s() -> [Int64]? {
        let bytes = contiguousBytes()
        return bytes.withUnsafeBytes {
            dtype.int64s(from: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: count)
        }
    }

    /// The tensor as a `WeightTensor` called `name` (values converted to Float).
    public func weightTensor(name: String) -> WeightTensor {
        WeightTensor(name: name, shape: shape, values: floats(), storedAs: dtype)
    }

    /// Gathers a strided view row by row (innermost dimension in one loop).
    private func copyStrided(from base: UnsafeRawPointer, to out: UnsafeMutableRawPointer, elementSize: Int) {
        let rank = shape.count
        let innerSize = shape[rank - 1]
        let innerStride = strides[rank - 1] * elementSize
        var index = [Int](repeating: 0, count: rank)
        var written = 0
        let rows = count / innerSize
        for _ in 0..<rows {
            var offset = 0
            for d in 0..<(rank - 1) { offset += index[d] * strides[d] }
            var source = base + offset * elementSize
            for _ in 0..<innerSize {
                (out + written).copyMemory(from: source, byteCount: elementSize)
                written += elementSize
                source += innerStride
            }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Nil when every element of the view lies inside the storage, else what is wrong.
    private static func check(storage: TorchStorage, offset: Int, shape: [Int], strides: [Int]) -> String? {
        guard shape.count == strides.count else { return "shape \(shape) and strides \(strides) differ in rank" }
        guard shape.count <= 64 else { return "\(shape.count) dimensions" }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            return "impossible view: shape \(shape), strides \(strides), storage offset \(offset)"
        }
        var count = 1
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            guard !o1 else { return "shape \(shape) has too many elements" }
            count = c
            guard size > 0 else { continue }
            let (span, o2) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, o3) = last.addingReportingOverflow(span)
            guard !o2, !o3 else { return "view shape \(shape), strides \(strides) reaches past any storage" }
            last = sum
        }
        guard count > 0 else { return nil }
        // Stride-0 (broadcast) views have more elements than their storage; materialising one must stay sane.
        let (bytes, o4) = count.multipliedReportingOverflow(by: storage.dtype.size)
        guard !o4, count <= storage.count || bytes <= 1 << 30 else {
            return "view of shape \(shape) repeats its storage's \(storage.count) elements into more than 1 GiB"
        }
        guard last < storage.count else {
            return
                "view (shape \(shape), strides \(strides), offset \(offset)) needs \(last + 1) elements but storage '\(storage.key)' holds \(storage.count)"
        }
        return nil
    }
}

/// A PyTorch storage: a flat run of elements of one dtype inside a checkpoint file, shared by the tensors that
/// view it. Its bytes stay in the memory-mapped file.
public final class TorchStorage: @unchecked Sendable {
    /// The storage's key in the checkpoint (a file name in zip archives, an id in legacy files).
    public let key: String
    public let dtype: TensorDType
    /// Number of elements.
    public let count: Int
    let bytes: StorageBytes
    /// Where the storage starts in `bytes`, in elements (non-zero only for legacy storage views).
    let elementOffset: Int

    init(key: String, dtype: TensorDType, count: Int, bytes: StorageBytes, elementOffset: Int = 0) {
        self.key = key
        self.dtype = dtype
        self.count = count
        self.bytes = bytes
        self.elementOffset = elementOffset
    }

    /// Calls `body` with the storage's raw little-endian bytes (valid during the call only).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = bytes.base.map { $0 + elementOffset * dtype.size }
        return try body(UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count * dtype.size))
    }
}

/// The bytes behind one or more storages: a range of a mapped file, located once the file has been read that
/// far (legacy checkpoints put the data after the pickle that refers to it).
final class StorageBytes: @unchecked Sendable {
    private(set) var base: UnsafeRawPointer?
    private(set) var byteCount = 0
    private var owner: MappedFile?

    init() {}

    init(file: MappedFile, offset: Int, byteCount: Int) {
        bind(file: file, offset: offset, byteCount: byteCount)
    }

    func bind(file: MappedFile, offset: Int, byteCount: Int) {
        owner = file
        base = file.base + offset
        self.byteCount = byteCount
    }

    var isBound: Bool { base != nil }
}

/// Bounds-checked reading of a FlatBuffers binary (the format of .tflite models): tables found through their
/// vtables, vectors, strings. Every offset is checked against the buffer, so a corrupt file is an error.
struct FlatBuffer {
    let bytes: UnsafeRawBufferPointer
    let file: String

    func failure(_ message: String) -> WeightError {
        WeightError(file: file, "flatbuffer: \(message) (file truncated or corrupt?)")
    }

    private func check(_ position: Int, _ size: Int) throws {
        guard position >= 0, position <= bytes.count - size else {
            throw failure("read of \(size) bytes at \(position) outside the \(bytes.count)-byte file")
        }
    }

    func load<T: FixedWidthInteger>(_ position: Int, as type: T.Type) throws -> T {
        try check(position, MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// The position an unsigned 32-bit offset stored at `position` points to.
    func follow(_ position: Int) throws -> Int {
        position + Int(try load(position, as: UInt32.self))
    }

    func table(at position: Int) throws -> Table {
        let vtable = position - Int(try load(position, as: Int32.self))
        let vtableSize = Int(try load(vtable, as: UInt16.self))
        guard vtableSize >= 4, vtableSize % 2 == 0 else { throw failure("bad vtable at \(vtable)") }
        try check(vtable, vtableSize)
        return Table(buffer: self, position: position, vtable: vtable, vtableSize: vtableSize)
    }

    /// A table: fields are numbered slots; absent fields read as their schema default.
    struct Table {
        let buffer: FlatBuffer
        let position: Int
        let vtable: Int
        let vtableSize: Int

        /// Where field `slot` is stored, or nil when it is absent.
        func field(_ slot: Int) throws -> Int? {
            let entry = 4 + 2 * slot
            guard entry + 2 <= vtableSize else { return nil }
            let offset = Int(try buffer.load(vtable + entry, as: UInt16.self))
            return offset == 0 ? nil : position + offset
        }

        func scalar<T: FixedWidthInteger>(_ slot: Int, default value: T) throws -> T {
            guard let at = try field(slot) else { return value }
            return try buffer.load(at, as: T.self)
        }

        func float(_ slot: Int, default value: Float) throws -> Float {
            guard let at = try field(slot) else { return value }
            return Float(bitPattern: try buffer.load(at, as: UInt32.self))
        }

        func bool(_ slot: Int) throws -> Bool { try scalar(slot, default: UInt8(0)) != 0 }

        func table(_ slot: Int) throws -> Table? {
            guard let at = try field(slot) else { return nil }
            return try buffer.table(at: try buffer.follow(at))
        }

        /// Start and element count of vector field `slot`, checked to fit elements of `elementSize` bytes.
        func vector(_ slot: Int, elementSize: Int) throws -> (start: Int, count: Int)? {
            guard let at = try field(slot) else { return nil }
            let header = try buffer.follow(at)
            let count = Int(try buffer.load(header, as: UInt32.self))
            let start = header + 4
            guard count <= (buffer.bytes.count - start) / max(elementSize, 1) else {
                throw buffer.failure("vector of \(count) elements at \(header) runs past the end")
            }
            return (start, count)
        }

        func string(_ slot: Int) throws -> String? {
            guard let (start, count) = try vector(slot, elementSize: 1) else { return nil }
            return String(
                decoding: UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<(start + count)]), as: UTF8.self)
        }

        func tables(_ slot: Int) throws -> [Table] {
            guard let (start, count) = try vector(slot, elementSize: 4) else { return [] }
            return try (0..<count).map { try buffer.table(at: try buffer.follow(start + 4 * $0)) }
        }

        func integers<T: FixedWidthInteger>(_ slot: Int, as type: T.Type) throws -> [T] {
            guard let (start, count) = try vector(slot, elementSize: MemoryLayout<T>.size) else { return [] }
            return try (0..<count).map { try buffer.load(start + MemoryLayout<T>.size * $0, as: T.self) }
        }

        func floats(_ slot: Int) throws -> [Float] {
            try integers(slot, as: UInt32.self).map(Float.init(bitPattern:))
        }
    }
}

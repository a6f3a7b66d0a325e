/// Element types of stored tensors, named as safetensors names them.
public enum TensorDType: String, Sendable, CaseIterable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// Whether the elements are floating-point numbers.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: true
        default: false
        }
    }

    /// Converts `count` little-endian elements at `bytes` to Float (integers exactly where Float can hold them).
    func floats(from bytes: UnsafeRawPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch self {
            case .f32:
                for i in 0..<count {
                    out[i] = Float(
                        bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f64:
                for i in 0..<count {
                    out[i] = Float(
                        Double(
                            bitPattern: UInt64(
                                littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            case .f16:
                for i in 0..<count {
                    out[i] = Float(
                        Float16(
                            bitPattern: UInt16(
                                littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            case .bf16:
                for i in 0..<count {
                    out[i] = Float(
                        bitPattern: UInt32(
                            UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            case .i64:
                for i in 0..<count {
                    out[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                }
            case .u64:
                for i in 0..<count {
                    out[i] = Float(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                }
            case .i32:
                for i in 0..<count {
                    out[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                }
            case .u32:
                for i in 0..<count {
                    out[i] = Float(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .i16:
                for i in 0..<count {
                    out[i] = Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                }
            case .u16:
                for i in 0..<count {
                    out[i] = Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .i8:
                for i in 0..<count { out[i] = Float(bytes.load(fromByteOffset: i, as: Int8.self)) }
            case .u8, .bool:
                for i in 0..<count { out[i] = Float(bytes.load(fromByteOffset: i, as: UInt8.self)) }
            }
            initialized = count
        }
    }

    /// Converts `count` little-endian integer elements at `bytes` to Int64 exactly; nil for floating-point types
    /// (U64 values above Int64.max wrap to their bit pattern).
    func int64s(from bytes: UnsafeRawPointer, count: Int) -> [Int64]? {
        if isFloatingPoint { return nil }
        return [Int64](unsafeUninitializedCapacity: count) { out, initialized in
            switch self {
            case .i64, .u64:
                for i in 0..<count {
                    out[i] = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                }
            case .i32:
                for i in 0..<count {
                    out[i] = Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                }
            case .u32:
                for i in 0..<count {
                    out[i] = Int64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .i16:
                for i in 0..<count {
                    out[i] = Int64(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                }
            case .u16:
                for i in 0..<count {
                    out[i] = Int64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .i8:
                for i in 0..<count { out[i] = Int64(bytes.load(fromByteOffset: i, as: Int8.self)) }
            case .u8, .bool:
                for i in 0..<count { out[i] = Int64(bytes.load(fromByteOffset: i, as: UInt8.self)) }
            case .f64, .f32, .f16, .bf16:
                break
            }
            initialized = isFloatingPoint ? 0 : count
        }
    }
}

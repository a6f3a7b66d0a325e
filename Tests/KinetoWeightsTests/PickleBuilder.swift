import Foundation

/// Hand-written pickle streams and legacy checkpoints for tests of malformed input.
struct PickleBuilder {
    var bytes: [UInt8] = [0x80, 0x02]

    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func raw(_ more: [UInt8]) { bytes += more }
    mutating func string(_ s: String) {
        bytes.append(0x58)
        withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(s.utf8)
    }
    mutating func int(_ i: Int32) {
        bytes.append(0x4A)
        withUnsafeBytes(of: i.littleEndian) { bytes += $0 }
    }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func ints(_ values: [Int32]) {
        op(0x28)
        for v in values { int(v) }
        op(0x74)
    }
    /// `_rebuild_tensor_v2(storage KEY of COUNT floats, offset, shape, strides, False, {})`.
    mutating func tensor(storageKey: String, storageCount: Int32, offset: Int32, shape: [Int32], strides: [Int32]) {
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28)
        op(0x28)
        string("storage")
        global("torch", "FloatStorage")
        string(storageKey)
        string("cpu")
        int(storageCount)
        op(0x4E)
        op(0x74)
        op(0x51)
        int(offset)
        ints(shape)
        ints(strides)
        op(0x89)
        op(0x7D)
        op(0x74)
        op(0x52)
    }
    mutating func stop() { op(0x2E) }

    /// A legacy checkpoint whose main pickle is `main` and whose storages are `storages` (key, float count).
    static func legacyCheckpoint(main: [UInt8], storages: [(String, Int)], declaredCounts: [Int]? = nil) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        var version = PickleBuilder()
        version.raw([0x4D, 0xE9, 0x03])
        version.stop()
        var info = PickleBuilder()
        info.op(0x7D)
        info.op(0x28)
        info.string("little_endian")
        info.op(0x88)
        info.op(0x75)
        info.stop()
        var keys = PickleBuilder()
        keys.op(0x5D)
        keys.op(0x28)
        for (key, _) in storages { keys.string(key) }
        keys.op(0x65)
        keys.stop()
        out += version.bytes + info.bytes + main + keys.bytes
        for (i, (_, count)) in storages.enumerated() {
            withUnsafeBytes(of: UInt64(declaredCounts?[i] ?? count).littleEndian) { out += $0 }
            for j in 0..<count { withUnsafeBytes(of: Float(j).bitPattern.littleEndian) { out += $0 } }
        }
        return out
    }
}

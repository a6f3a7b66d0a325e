import Foundation

/// Builds a safetensors file from named tensors.
///
/// Tensors are laid out by element size (largest first), then name, with no gaps, and the JSON header is
/// padded with spaces to a multiple of 8 bytes: every tensor then starts at an offset aligned to its element
/// size (and the data section at an 8-byte boundary), which is what memory-mapping readers expect.
public struct SafeTensorsWriter: Sendable {
    private struct Pending: Sendable {
        let dtype: TensorDType
        let shape: [Int]
        let bytes: [UInt8]
    }

    private var tensors: [String: Pending] = [:]
    /// Free-form string pairs stored under `__metadata__`.
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names added so far, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// Adds a tensor from its little-endian, row-major bytes.
    public mutating func add(_ name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__", !name.isEmpty else {
            throw WeightError(file: "safetensors writer", key: name, "is not a usable tensor name")
        }
        guard tensors[name] == nil else { throw WeightError(file: "safetensors writer", key: name, "added twice") }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw WeightError(file: "safetensors writer", key: name, "negative dimension in shape \(shape)")
        }
        let count = shape.reduce(1, *)
        guard count * dtype.size == bytes.count else {
            throw WeightError(
                file: "safetensors writer", key: name,
                "shape \(shape) of \(dtype.rawValue) needs \(count * dtype.size) bytes, got \(bytes.count)")
        }
        tensors[name] = Pending(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds float32 values.
    public mutating func add(_ name: String, shape: [Int], floats: [Float]) throws {
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        bytes.withUnsafeMutableBytes { out in
            for (i, v) in floats.enumerated() {
                out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        try add(name, dtype: .f32, shape: shape, bytes: bytes)
    }

    /// Adds a `WeightTensor` as float32 under its own name.
    public mutating func add(_ tensor: WeightTensor) throws {
        try add(tensor.name, shape: tensor.shape, floats: tensor.values)
    }

    /// Adds a checkpoint tensor with its own dtype (a strided view is stored contiguous).
    public mutating func add(_ name: String, tensor: TorchTensor) throws {
        try add(name, dtype: tensor.dtype, shape: tensor.shape, bytes: tensor.contiguousBytes())
    }

    /// The whole file's bytes.
    public func encoded() -> [UInt8] {
        let order = tensors.keys.sorted { a, b in
            let sa = tensors[a]!.dtype.size
            let sb = tensors[b]!.dtype.size
            return sa != sb ? sa > sb : a < b
        }
        var offsets: [String: (Int, Int)] = [:]
        var position = 0
        for name in order {
            let n = tensors[name]!.bytes.count
            offsets[name] = (position, position + n)
            position += n
        }
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(Self.quoted($0)):\(Self.quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let (begin, end) = offsets[name]!
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\(Self.quoted(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}"
            )
        }
        json += fields.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + position)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in order { out.append(contentsOf: tensors[name]!.bytes) }
        return out
    }

    /// Writes the file; it appears at `url` only once completely written.
    public func write(to url: URL) throws {
        do {
            try Data(encoded()).write(to: url, options: .atomic)
        } catch {
            throw WeightError(file: url.path, "cannot write: \(error.localizedDescription)")
        }
    }

    /// A JSON string literal.
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

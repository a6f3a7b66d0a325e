import Foundation

/// A safetensors file, memory-mapped: tensors are read on demand, straight from the page cache.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON (`{"name": {"dtype", "shape",
/// "data_offsets": [begin, end]}, "__metadata__": {…}}`), then the data section that the offsets index.
/// Every entry is validated when the file is opened, so a bad file fails early with the key it concerns.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Where one tensor's bytes are and how to read them.
    public struct Entry: Sendable, Equatable {
        public let dtype: TensorDType
        public let shape: [Int]
        /// Byte range inside the data section.
        public let byteRange: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    /// Tensor entries by name.
    public let entries: [String: Entry]
    /// The free-form `__metadata__` map.
    public let metadata: [String: String]
    private let mapping: MappedFile
    private let dataStart: Int

    public init(contentsOf url: URL) throws {
        path = url.path
        mapping = try MappedFile(path: url.path)
        let size = mapping.size
        guard size >= 8 else {
            throw WeightError(
                file: path, "not a safetensors file: \(size) bytes, shorter than its 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: mapping.base.loadUnaligned(as: UInt64.self))
        guard headerLength >= 2, headerLength <= UInt64(size - 8), headerLength <= 100_000_000 else {
            throw WeightError(
                file: path,
                "not a safetensors file (or truncated): header length \(headerLength) does not fit in \(size) bytes")
        }
        dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: mapping.base + 8, count: Int(headerLength))
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw WeightError(file: path, "not a safetensors file: its header is not a JSON object")
        }
        let dataSize = size - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let fields = value as? [String: Any],
                let dtypeName = fields["dtype"] as? String,
                let shapeValues = fields["shape"] as? [Any],
                let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2
            else {
                throw WeightError(file: path, key: name, "malformed header entry (needs dtype, shape, data_offsets)")
            }
            guard let dtype = TensorDType(rawValue: dtypeName) else {
                throw WeightError(file: path, key: name, "unsupported dtype \(dtypeName)")
            }
            let shape = shapeValues.compactMap(JSONNumber.exactInt)
            let offsets = offsetValues.compactMap(JSONNumber.exactInt)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2 else {
                throw WeightError(file: path, key: name, "impossible shape \(shapeValues) or offsets \(offsetValues)")
            }
            let (count, countOverflow) = shape.reduce((1, false)) { acc, d in
                let (m, o) = acc.0.multipliedReportingOverflow(by: d)
                return (m, acc.1 || o)
            }
            let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: dtype.size)
            let overflow = countOverflow || byteOverflow
            guard !overflow, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw WeightError(
                    file: path, key: name,
                    "byte range \(offsets) lies outside the \(dataSize)-byte data section (file truncated?)")
            }
            guard offsets[1] - offsets[0] == byteCount else {
                throw WeightError(
                    file: path, key: name,
                    "shape \(shape) of \(dtypeName) needs \(byteCount) bytes, the file gives \(offsets[1] - offsets[0])"
                )
            }
            entries[name] = Entry(dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
        }
        // Tensors must not share bytes: an overlap means a corrupt or hand-edited file.
        let ordered = entries.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound) < (
                $1.value.byteRange.lowerBound, $1.value.byteRange.upperBound
            )
        }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound && !next.value.byteRange.isEmpty {
            throw WeightError(
                file: path, key: next.key,
                "its bytes \(next.value.byteRange) overlap those of '\(previous.key)' \(previous.value.byteRange)")
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The entry for `name`, or an error naming the file and the missing key.
    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw WeightError(file: path, key: name, "missing from the file") }
        return entry
    }

    /// The dtype and shape of `name` (same as `entry`).
    public func info(_ name: String) throws -> Entry { try entry(name) }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The tensor `name` as a `WeightTensor`, or an error naming the file and the missing key.
    public func require(_ name: String) throws -> WeightTensor { try tensor(name) }

    /// The values of an integer tensor (I64, I32, I16, I8, U8, BOOL) exactly, widened to Int64.
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        guard
            let values = entry.dtype.int64s(
                from: mapping.base + dataStart + entry.byteRange.lowerBound, count: entry.count)
        else {
            throw WeightError(file: path, key: name, "holds \(entry.dtype.rawValue) values, not integers")
        }
        return values
    }

    /// The tensor's bytes, copied (little-endian, row-major).
    public func rawBytes(_ name: String) throws -> [UInt8] {
        try withRawBytes(name) { [UInt8]($0) }
    }

    /// Every tensor as a `WeightTensor`, sorted by name.
    public func allTensors() throws -> [WeightTensor] { try names.map { try tensor($0) } }

    /// The tensor's values converted to Float.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        return entry.dtype.floats(from: mapping.base + dataStart + entry.byteRange.lowerBound, count: entry.count)
    }

    /// The tensor as a `WeightTensor` (values converted to Float).
    public func tensor(_ name: String) throws -> WeightTensor {
        let entry = try entry(name)
        return WeightTensor(name: name, shape: entry.shape, values: try floats(name), storedAs: entry.dtype)
    }

    /// Calls `body` with the tensor's raw little-endian bytes (valid only during the call).
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let entry = try entry(name)
        return try body(
            UnsafeRawBufferPointer(
                start: mapping.base + dataStart + entry.byteRange.lowerBound, count: entry.byteRange.count))
    }
}

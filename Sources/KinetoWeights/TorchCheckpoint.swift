import Foundation

/// A PyTorch checkpoint (`torch.save` output) read without Python: today's zip archive (torch ≥ 1.6) or the
/// legacy stream of pickles (torch < 1.6). The file is memory-mapped; tensors view its bytes until copied.
///
/// Only plain data, dicts/OrderedDicts and tensors are rebuilt. Other objects (a `datetime`, an optimizer's
/// classes) stay opaque `PickleObject`s: nothing in the file is executed.
public final class TorchCheckpoint: @unchecked Sendable {
    public enum Format: String, Sendable {
        /// A zip archive holding `data.pkl` and one `data/KEY` entry per storage (torch ≥ 1.6).
        case zip
        /// Magic number, protocol and system-info pickles, the main pickle, the storage keys, then raw storages.
        case legacy
    }

    public let path: String
    public let format: Format
    /// The object that was saved: typically a dict or a state dict (an OrderedDict of tensors).
    public let root: PickleValue
    private let mapping: MappedFile

    /// Reads and validates the checkpoint at `url`: every tensor's view is checked against its storage.
    public init(contentsOf url: URL) throws {
        path = url.path
        mapping = try MappedFile(path: url.path)
        let value: PickleValue
        if ZipArchive.looksLikeZip(mapping) {
            format = .zip
            value = try Self.loadZip(mapping, path: path)
        } else if Self.looksLikeLegacy(mapping) {
            format = .legacy
            value = try Self.loadLegacy(mapping, path: path)
        } else if mapping.size > 262, memcmp(mapping.base + 257, "ustar", 5) == 0 {
            throw WeightError(
                file: path,
                "a PyTorch checkpoint in the tar format of torch < 0.4, which is not supported; load and re-save it with a newer torch"
            )
        } else {
            throw WeightError(
                file: path,
                "not a PyTorch checkpoint: neither a zip archive nor a legacy torch.save stream (it starts with \(Self.describeStart(mapping)))"
            )
        }
        root = value
        try Self.validate(root, path: "", file: path, depth: 0)
    }

    // MARK: Finding tensors

    /// The value at a dotted path through dicts (keys may themselves contain dots: `state_dictGEN.dcn.dcn.weight`
    /// is key `dcn.dcn.weight` of dict `state_dictGEN`) and lists (by index). The empty path is the root.
    public func value(at keyPath: String) throws -> PickleValue {
        guard let value = Self.resolve(root, keyPath) else {
            throw WeightError(
                file: path, key: keyPath,
                "no such entry in the checkpoint (top-level keys: \(root.dictionary?.keys.prefix(20).joined(separator: ", ") ?? root.kindDescription))"
            )
        }
        return value
    }

    /// The tensor at `keyPath`, or an error naming the file and the key.
    public func tensor(_ keyPath: String) throws -> TorchTensor {
        let value = try value(at: keyPath)
        guard case .tensor(let tensor) = value else {
            throw WeightError(file: path, key: keyPath, "is a \(value.kindDescription), not a tensor")
        }
        return tensor
    }

    /// Every tensor under `keyPath` in file order, named by their dotted paths relative to it (for a state dict
    /// under "state_dictGEN": "dcn.dcn.weight", …). Dicts and lists are entered, other objects are not.
    public func tensors(under keyPath: String = "") throws -> [(name: String, tensor: TorchTensor)] {
        var out: [(name: String, tensor: TorchTensor)] = []
        Self.flatten(try value(at: keyPath), prefix: "", into: &out)
        return out
    }

    /// `tensors(under:)` converted to `WeightTensor`s (values as Float).
    public func weightTensors(under keyPath: String = "") throws -> [WeightTensor] {
        try tensors(under: keyPath).map { $0.tensor.weightTensor(name: $0.name) }
    }

    private static func resolve(_ value: PickleValue, _ keyPath: String) -> PickleValue? {
        if keyPath.isEmpty { return value }
        switch value {
        case .dict(let dict):
            if let exact = dict[keyPath] { return exact }
            // The longest key that is a whole prefix of the path.
            var best: (String, PickleValue)?
            for entry in dict.entries {
                guard let key = PickleDictionary.name(of: entry.key), keyPath.hasPrefix(key + "."),
                    key.count > (best?.0.count ?? -1)
                else { continue }
                best = (key, entry.value)
            }
            guard let (key, child) = best else { return nil }
            return resolve(child, String(keyPath.dropFirst(key.count + 1)))
        case .list(let items), .tuple(let items):
            let head = keyPath.prefix { $0 != "." }
            guard let index = Int(head), items.indices.contains(index) else { return nil }
            return resolve(items[index], String(keyPath.dropFirst(head.count + 1)))
        default:
            return nil
        }
    }

    private static func flatten(
        _ value: PickleValue, prefix: String, into out: inout [(name: String, tensor: TorchTensor)]
    ) {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        switch value {
        case .tensor(let tensor): out.append((prefix, tensor))
        case .dict(let dict):
            for entry in dict.entries {
                if let key = PickleDictionary.name(of: entry.key) {
                    flatten(entry.value, prefix: join(key), into: &out)
                }
            }
        case .list(let items), .tuple(let items):
            for (i, item) in items.enumerated() { flatten(item, prefix: join(String(i)), into: &out) }
        default: break
        }
    }

    /// Throws for the first tensor whose view does not fit its storage, naming its path.
    private static func validate(_ value: PickleValue, path keyPath: String, file: String, depth: Int) throws {
        func join(_ key: String) -> String { keyPath.isEmpty ? key : keyPath + "." + key }
        switch value {
        case .tensor(let tensor):
            if let problem = tensor.problem {
                throw WeightError(file: file, key: keyPath.isEmpty ? "(root)" : keyPath, problem)
            }
        case .dict(let dict):
            for entry in dict.entries {
                try validate(
                    entry.value, path: join(PickleDictionary.name(of: entry.key) ?? "?"), file: file, depth: depth + 1)
            }
        case .list(let items), .tuple(let items), .set(let items):
            for (i, item) in items.enumerated() {
                try validate(item, path: join(String(i)), file: file, depth: depth + 1)
            }
        case .object(let object):
            let inner = join("<\(object.typeName)>")
            for item in object.arguments + object.listItems + (object.state.map { [$0] } ?? []) {
                try validate(item, path: inner, file: file, depth: depth + 1)
            }
            for entry in object.dictItems { try validate(entry.value, path: inner, file: file, depth: depth + 1) }
        default: break
        }
    }

    // MARK: Storages

    /// Element type of a storage class such as `torch.FloatStorage`.
    static func storageDType(_ node: Unpickler.Node) -> TensorDType? {
        guard case .global(let module, let name) = node,
            module == "torch" || module == "torch.storage" || module == "torch.cuda"
        else { return nil }
        switch name {
        case "FloatStorage": return .f32
        case "DoubleStorage": return .f64
        case "HalfStorage": return .f16
        case "BFloat16Storage": return .bf16
        case "LongStorage": return .i64
        case "IntStorage": return .i32
        case "ShortStorage": return .i16
        case "CharStorage": return .i8
        case "ByteStorage", "UntypedStorage": return .u8
        case "BoolStorage": return .bool
        default: return nil
        }
    }

    /// The fields of a persistent id `('storage', storage_type, key, location, numel[, view_metadata])`.
    private static func storageReference(_ id: Unpickler.Node, file: String) throws -> (
        dtype: TensorDType, key: String, count: Int, view: [Unpickler.Node]?
    )? {
        guard let fields = id.tupleItems, let kind = fields.first, case .string(let typeName) = kind else {
            throw WeightError(file: file, "persistent id is not a ('storage', …) tuple: not a PyTorch checkpoint")
        }
        guard typeName == "storage" else { return nil }
        guard fields.count >= 5 else {
            throw WeightError(file: file, "storage reference with \(fields.count) fields, expected 5 or 6")
        }
        let key: String
        switch fields[2] {
        case .string(let s): key = s
        case .int(let i): key = String(i)
        default: throw WeightError(file: file, "storage reference whose key is not a string")
        }
        guard let dtype = storageDType(fields[1]) else {
            let name = if case .global(let m, let n) = fields[1] { "\(m).\(n)" } else { "?" }
            throw WeightError(
                file: file, key: "storage \(key)",
                "storage type \(name) is not supported (float, half, bfloat16, double and integer storages are)")
        }
        guard case .int(let count) = fields[4], count >= 0 else {
            throw WeightError(file: file, key: "storage \(key)", "element count is not a non-negative integer")
        }
        var view: [Unpickler.Node]?
        if fields.count > 5, let metadata = fields[5].tupleItems { view = metadata }
        return (dtype, key, count, view)
    }

    // MARK: Zip archives

    private static func loadZip(_ mapping: MappedFile, path: String) throws -> PickleValue {
        let archive = try ZipArchive(file: mapping, path: path)
        guard let pickle = archive.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") })
        else {
            throw WeightError(file: path, "a zip archive without data.pkl: not a PyTorch checkpoint")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.entry(prefix + "byteorder") {
            let text = String(
                decoding: UnsafeRawBufferPointer(start: mapping.base + order.dataOffset, count: order.size),
                as: UTF8.self)
            guard text.hasPrefix("little") else {
                throw WeightError(
                    file: path, "saved on a \(text)-endian machine; only little-endian checkpoints are supported")
            }
        }
        var storages: [String: TorchStorage] = [:]
        let bytes = UnsafeRawBufferPointer(start: mapping.base, count: mapping.size)
        let unpickler = Unpickler(
            bytes: UnsafeRawBufferPointer(rebasing: bytes[pickle.dataOffset..<(pickle.dataOffset + pickle.size)]),
            file: path, streamName: "'\(pickle.name)'"
        ) { id in
            guard let reference = try storageReference(id, file: path) else { return .none }
            let cacheKey = "\(reference.key)|\(reference.dtype.rawValue)"
            if let known = storages[cacheKey] { return .storage(known) }
            guard let entry = archive.entry(prefix + "data/" + reference.key) else {
                throw WeightError(
                    file: path, key: "storage \(reference.key)",
                    "missing from the archive (no entry \(prefix)data/\(reference.key))")
            }
            let (needed, overflow) = reference.count.multipliedReportingOverflow(by: reference.dtype.size)
            guard !overflow, needed <= entry.size else {
                throw WeightError(
                    file: path, key: "storage \(reference.key)",
                    "declares \(reference.count) \(reference.dtype.rawValue) elements but the archive holds \(entry.size) bytes"
                )
            }
            let storage = TorchStorage(
                key: reference.key, dtype: reference.dtype, count: reference.count,
                bytes: StorageBytes(file: mapping, offset: entry.dataOffset, byteCount: needed))
            storages[cacheKey] = storage
            return .storage(storage)
        }
        return try unpickler.loadValue()
    }

    // MARK: Legacy streams

    /// PyTorch's legacy magic number 0x1950a86a20f9469cfc6c, as pickle protocol 2 writes it (LONG1 of 10 bytes).
    private static let legacyMagic: [UInt8] = [
        0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
    ]

    private static func looksLikeLegacy(_ mapping: MappedFile) -> Bool {
        mapping.size >= legacyMagic.count && memcmp(mapping.base, legacyMagic, legacyMagic.count) == 0
    }

    private static func loadLegacy(_ mapping: MappedFile, path: String) throws -> PickleValue {
        let bytes = UnsafeRawBufferPointer(start: mapping.base, count: mapping.size)
        var position = legacyMagic.count
        func next(_ name: String, persistentLoad: @escaping Unpickler.PersistentLoad = { _ in .none }) throws
            -> PickleValue
        {
            let unpickler = Unpickler(
                bytes: bytes, start: position, file: path, streamName: name, persistentLoad: persistentLoad)
            let value = try unpickler.loadValue()
            position = unpickler.position
            return value
        }
        guard case .int(let protocolVersion) = try next("protocol version"), protocolVersion == 1001 else {
            throw WeightError(file: path, "legacy checkpoint with an unknown protocol version (expected 1001)")
        }
        if case .bool(false)? = try next("system info")["little_endian"] {
            throw WeightError(file: path, "saved on a big-endian machine; only little-endian checkpoints are supported")
        }

        // Storages are referenced before their bytes appear: record them, bind the bytes after the key list.
        var roots: [String: TorchStorage] = [:]
        let root = try next("main object") { id in
            guard let reference = try storageReference(id, file: path) else {
                // ('module', class, source file, source): a pickled module's source, kept as nothing.
                return .none
            }
            let storage: TorchStorage
            if let known = roots[reference.key] {
                guard known.dtype == reference.dtype else {
                    throw WeightError(
                        file: path, key: "storage \(reference.key)",
                        "referenced as both \(known.dtype.rawValue) and \(reference.dtype.rawValue)")
                }
                storage = known
            } else {
                storage = TorchStorage(
                    key: reference.key, dtype: reference.dtype, count: reference.count, bytes: StorageBytes())
                roots[reference.key] = storage
            }
            guard let view = reference.view else { return .storage(storage) }
            // (view_key, offset, size) in elements: a slice of the root storage (torch < 1.0 wrote these).
            guard view.count == 3, case .int(let offset) = view[1], case .int(let size) = view[2],
                offset >= 0, size >= 0, offset <= storage.count, size <= storage.count - offset
            else {
                throw WeightError(
                    file: path, key: "storage \(reference.key)",
                    "storage view outside its root storage of \(storage.count) elements")
            }
            let viewKey = if case .string(let k) = view[0] { k } else { reference.key + "+view" }
            return .storage(
                TorchStorage(
                    key: viewKey, dtype: storage.dtype, count: size, bytes: storage.bytes, elementOffset: offset))
        }
        guard case .list(let keys) = try next("storage keys") else {
            throw WeightError(file: path, "legacy checkpoint: the storage key list is missing or not a list")
        }
        for item in keys {
            let key: String
            switch item {
            case .string(let s): key = s
            case .int(let i): key = String(i)
            default: throw WeightError(file: path, "legacy checkpoint: a storage key is not a string")
            }
            guard let storage = roots[key] else {
                throw WeightError(file: path, key: "storage \(key)", "listed in the storage keys but never referenced")
            }
            guard position <= bytes.count - 8 else {
                throw WeightError(
                    file: path, key: "storage \(key)", "the file ends before this storage's data (file truncated?)")
            }
            let count = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            position += 8
            guard count == UInt64(storage.count) else {
                throw WeightError(
                    file: path, key: "storage \(key)", "holds \(count) elements, the pickle declared \(storage.count)")
            }
            let (byteCount, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.size)
            guard !overflow, byteCount <= bytes.count - position else {
                throw WeightError(
                    file: path, key: "storage \(key)",
                    "needs \(byteCount) bytes at byte \(position), the file has \(bytes.count - position) left (file truncated?)"
                )
            }
            storage.bytes.bind(file: mapping, offset: position, byteCount: byteCount)
            position += byteCount
        }
        if let unbound = roots.values.first(where: { !$0.bytes.isBound }) {
            throw WeightError(
                file: path, key: "storage \(unbound.key)",
                "referenced by a tensor but its data is missing from the file")
        }
        return root
    }

    private static func describeStart(_ mapping: MappedFile) -> String {
        let n = min(8, mapping.size)
        if n == 0 { return "nothing: the file is empty" }
        let raw = UnsafeRawBufferPointer(start: mapping.base, count: n)
        return raw.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// A value read from a Python pickle by the restricted unpickler: plain data, tensors, and opaque records of
/// anything else (nothing from the file is ever executed).
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits: its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A set or frozenset, in stream order.
    case set([PickleValue])
    /// A dict or OrderedDict, in insertion order.
    case dict(PickleDictionary)
    case tensor(TorchTensor)
    case storage(TorchStorage)
    /// A reference to a class or function (`module.name`) that was not called.
    case global(String)
    /// An instance of a type the unpickler does not know (e.g. `datetime.datetime`), kept as data.
    case object(PickleObject)

    /// The dictionary, if this is one.
    public var dictionary: PickleDictionary? { if case .dict(let d) = self { d } else { nil } }
    /// The tensor, if this is one.
    public var tensor: TorchTensor? { if case .tensor(let t) = self { t } else { nil } }
    /// The string, if this is one.
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    /// The integer (bools count as 0 and 1), if this is one.
    public var int: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }
    /// The number as a Double (ints included), if this is one.
    public var double: Double? {
        switch self {
        case .float(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }
    /// The elements of a list, tuple or set.
    public var elements: [PickleValue]? {
        switch self {
        case .list(let items), .tuple(let items), .set(let items): items
        default: nil
        }
    }
    /// A dict's value for a string key.
    public subscript(key: String) -> PickleValue? { dictionary?[key] }

    /// A short description of the value's kind, for messages.
    public var kindDescription: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .list(let items): "list of \(items.count)"
        case .tuple(let items): "tuple of \(items.count)"
        case .set(let items): "set of \(items.count)"
        case .dict(let d): "dict of \(d.count)"
        case .tensor(let t): "tensor \(t.dtype.rawValue) \(t.shape)"
        case .storage(let s): "storage \(s.dtype.rawValue) × \(s.count)"
        case .global(let name): "reference to \(name)"
        case .object(let o): "\(o.typeName) object"
        }
    }
}

/// A pickled dict or OrderedDict: key-value pairs in insertion order.
public struct PickleDictionary: Sendable {
    public let entries: [(key: PickleValue, value: PickleValue)]
    /// Whether it was a `collections.OrderedDict` (a PyTorch state dict) rather than a plain dict.
    public let isOrdered: Bool
    private let stringIndex: [String: Int]

    init(entries: [(key: PickleValue, value: PickleValue)], isOrdered: Bool) {
        self.entries = entries
        self.isOrdered = isOrdered
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            if let name = Self.name(of: entry.key) { index[name] = i }
        }
        stringIndex = index
    }

    public var count: Int { entries.count }

    /// Keys that are strings (ints spelled in decimal), in order.
    public var keys: [String] { entries.compactMap { Self.name(of: $0.key) } }

    /// The value for a string key (or an int key spelled in decimal).
    public subscript(key: String) -> PickleValue? {
        guard let i = stringIndex[key] else { return nil }
        return entries[i].value
    }

    /// How a key reads in a dotted path, or nil for keys that are not strings or ints.
    static func name(of key: PickleValue) -> String? {
        switch key {
        case .string(let s): s
        case .int(let i): String(i)
        default: nil
        }
    }
}

/// An instance of a type the restricted unpickler does not rebuild, recorded instead of constructed.
public struct PickleObject: Sendable {
    /// `module.name` of its class or constructor function.
    public let typeName: String
    /// Arguments of the constructor call.
    public let arguments: [PickleValue]
    /// What `__setstate__` would have received (BUILD), if anything.
    public let state: PickleValue?
    /// Items appended to it (list subclasses).
    public let listItems: [PickleValue]
    /// Items set on it (dict subclasses).
    public let dictItems: [(key: PickleValue, value: PickleValue)]
}

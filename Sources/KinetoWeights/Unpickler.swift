import Foundation

/// A restricted unpickler: it understands every opcode `torch.save` emits (protocols 0–5 except out-of-band
/// buffers and the extension registry) and rebuilds only plain data, OrderedDicts and tensors. Any other class
/// or function named in the stream becomes an opaque `PickleObject`; nothing is imported or executed.
final class Unpickler {
    /// Nodes while unpickling: containers are reference boxes because pickles fill them after memoizing them.
    indirect enum Node {
        case none
        case bool(Bool)
        case int(Int)
        case bigInt([UInt8])
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case tupleBox(TupleBox)
        case list(ListBox)
        case set(ListBox)
        case dict(DictBox)
        case global(module: String, name: String)
        case object(ObjectBox)
        case tensor(TorchTensor)
        case storage(TorchStorage)

        static func tuple(_ items: [Node]) -> Node { .tupleBox(TupleBox(items)) }

        var tupleItems: [Node]? { if case .tupleBox(let t) = self { t.items } else { nil } }
    }

    final class TupleBox {
        var items: [Node]
        init(_ items: [Node]) { self.items = items }
    }

    final class ListBox {
        var items: [Node]
        init(_ items: [Node] = []) { self.items = items }
    }

    final class DictBox {
        var pairs: [(Node, Node)] = []
        var index: [String: Int] = [:]
        let isOrdered: Bool
        init(isOrdered: Bool) { self.isOrdered = isOrdered }

        func set(_ key: Node, _ value: Node) {
            let name: String? =
                switch key {
                case .string(let s): "s" + s
                case .int(let i): "i\(i)"
                default: nil
                }
            if let name, let i = index[name] {
                pairs[i].1 = value
                return
            }
            if let name { index[name] = pairs.count }
            pairs.append((key, value))
        }
    }

    final class ObjectBox {
        let typeName: String
        var arguments: [Node]
        var state: Node?
        var listItems: [Node] = []
        var dictItems: [(Node, Node)] = []
        init(typeName: String, arguments: [Node]) {
            self.typeName = typeName
            self.arguments = arguments
        }
    }

    /// Turns a persistent id (PyTorch: a storage reference tuple) into a node.
    typealias PersistentLoad = (Node) throws -> Node

    private let bytes: UnsafeRawBufferPointer
    private let file: String
    private let streamName: String
    private let persistentLoad: PersistentLoad
    /// Read position in `bytes`; after `load()` it is just past the STOP opcode.
    private(set) var position: Int

    private var stack: [Node] = []
    private var marks: [Int] = []
    private var memo: [Int: Node] = [:]

    init(
        bytes: UnsafeRawBufferPointer, start: Int = 0, file: String, streamName: String,
        persistentLoad: @escaping PersistentLoad
    ) {
        self.bytes = bytes
        self.position = start
        self.file = file
        self.streamName = streamName
        self.persistentLoad = persistentLoad
    }

    // MARK: Reading the stream

    private func failure(_ message: String, at offset: Int? = nil) -> WeightError {
        WeightError(file: file, "pickle \(streamName), byte \(offset ?? position): \(message)")
    }

    private func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - position else {
            throw failure("needs \(n) more bytes but the stream ends (file truncated?)")
        }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    private func byte() throws -> UInt8 { try take(1)[0] }

    private func littleEndian(_ n: Int) throws -> UInt64 {
        let b = try take(n)
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = v << 8 | UInt64(b[i]) }
        return v
    }

    /// A length field that must fit in the rest of the stream.
    private func length(_ n: Int) throws -> Int {
        let v = try littleEndian(n)
        guard v <= UInt64(bytes.count - position) else {
            throw failure("length \(v) runs past the end of the stream (file truncated?)")
        }
        return Int(v)
    }

    private func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw failure("unterminated text line") }
        defer { position = end + 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
    }

    private func utf8(_ n: Int) throws -> String {
        let raw = try take(n)
        guard let s = String(validating: raw, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
        return s
    }

    private func pop() throws -> Node {
        guard let top = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw failure("stack underflow") }
        return top
    }

    private func popMark() throws -> [Node] {
        guard let mark = marks.popLast() else { throw failure("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func top() throws -> Node {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else { throw failure("stack underflow") }
        return top
    }

    private func memoGet(_ index: Int) throws -> Node {
        guard let node = memo[index] else { throw failure("memo entry \(index) was never stored") }
        return node
    }

    /// Two's-complement little-endian bytes to a node.
    private func long(_ raw: UnsafeRawBufferPointer) -> Node {
        if raw.isEmpty { return .int(0) }
        if raw.count <= 8 {
            var v: UInt64 = raw[raw.count - 1] & 0x80 != 0 ? ~0 : 0
            for i in (0..<raw.count).reversed() { v = v << 8 | UInt64(raw[i]) }
            return .int(Int(Int64(bitPattern: v)))
        }
        return .bigInt(Array(raw))
    }

    // MARK: Running

    /// Runs the stream to its STOP opcode and returns the value it built, with shared containers and nesting
    /// limited as `ValueBuilder` describes.
    func loadValue() throws -> PickleValue {
        var root: Node?
        defer {
            // Hand-made streams can nest containers millions deep; releasing such a graph recursively would
            // overflow the stack, so it is taken apart iteratively (which also breaks reference cycles).
            Self.dismantle(stack + Array(memo.values) + (root.map { [$0] } ?? []))
            stack = []
            memo = [:]
        }
        root = try run()
        var builder = ValueBuilder(file: file)
        return try builder.value(root!)
    }

    /// Empties every container reachable from `roots` without recursion.
    private static func dismantle(_ roots: [Node]) {
        var work = roots
        var seen: Set<ObjectIdentifier> = []
        while let node = work.popLast() {
            let box: AnyObject
            switch node {
            case .tupleBox(let b): box = b
            case .list(let b), .set(let b): box = b
            case .dict(let b): box = b
            case .object(let b): box = b
            default: continue
            }
            guard seen.insert(ObjectIdentifier(box)).inserted else { continue }
            switch node {
            case .tupleBox(let b):
                work += b.items
                b.items = []
            case .list(let b), .set(let b):
                work += b.items
                b.items = []
            case .dict(let b):
                for (k, v) in b.pairs {
                    work.append(k)
                    work.append(v)
                }
                b.pairs = []
                b.index = [:]
            case .object(let b):
                work += b.arguments + b.listItems + (b.state.map { [$0] } ?? [])
                for (k, v) in b.dictItems {
                    work.append(k)
                    work.append(v)
                }
                b.arguments = []
                b.listItems = []
                b.dictItems = []
                b.state = nil
            default: break
            }
        }
    }

    private func run() throws -> Node {
        while true {
            let opcodeOffset = position
            let opcode = try byte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try byte()
                guard version <= 5 else {
                    throw failure("pickle protocol \(version) is newer than 5", at: opcodeOffset)
                }
            case 0x95: _ = try littleEndian(8)  // FRAME: a length hint only
            case 0x2E:  // STOP
                let value = try pop()
                return value
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: stack.append(try top())  // DUP

            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int(Int32(bitPattern: UInt32(try littleEndian(4))))))  // BININT
            case 0x4B: stack.append(.int(Int(try byte())))  // BININT1
            case 0x4D: stack.append(.int(Int(try littleEndian(2))))  // BININT2
            case 0x8A: stack.append(long(try take(try length(1))))  // LONG1
            case 0x8B:  // LONG4
                let n = Int32(bitPattern: UInt32(try littleEndian(4)))
                guard n >= 0 else { throw failure("negative LONG4 length", at: opcodeOffset) }
                stack.append(long(try take(Int(n))))
            case 0x49:  // INT (text)
                let text = try line()
                if text == "00" {
                    stack.append(.bool(false))
                } else if text == "01" {
                    stack.append(.bool(true))
                } else {
                    guard let v = Int(text) else { throw failure("bad INT literal \(text)", at: opcodeOffset) }
                    stack.append(.int(v))
                }
            case 0x4C:  // LONG (text)
                var text = try line()
                if text.hasSuffix("L") { text.removeLast() }
                guard let v = Int(text) else { throw failure("LONG literal \(text) is out of range", at: opcodeOffset) }
                stack.append(.int(v))
            case 0x47:  // BINFLOAT
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case 0x46:  // FLOAT (text)
                let text = try line()
                guard let v = Double(text) else { throw failure("bad FLOAT literal \(text)", at: opcodeOffset) }
                stack.append(.float(v))

            case 0x58: stack.append(.string(try utf8(try length(4))))  // BINUNICODE
            case 0x8C: stack.append(.string(try utf8(try length(1))))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try utf8(try length(8))))  // BINUNICODE8
            case 0x56: stack.append(.string(try line()))  // UNICODE (raw-unicode-escape; plain ASCII in practice)
            case 0x54: stack.append(.bytes(Array(try take(try length(4)))))  // BINSTRING (Python 2 str)
            case 0x55: stack.append(.bytes(Array(try take(try length(1)))))  // SHORT_BINSTRING
            case 0x53: stack.append(.bytes(Array(try quotedString(try line()))))  // STRING (repr)
            case 0x42: stack.append(.bytes(Array(try take(try length(4)))))  // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(try length(1)))))  // SHORT_BINBYTES
            case 0x8E, 0x96: stack.append(.bytes(Array(try take(try length(8)))))  // BINBYTES8, BYTEARRAY8

            case 0x5D: stack.append(.list(ListBox()))  // EMPTY_LIST
            case 0x6C: stack.append(.list(ListBox(try popMark())))  // LIST
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86:
                let b = try pop()
                let a = try pop()
                stack.append(.tuple([a, b]))  // TUPLE2
            case 0x87:
                let c = try pop()
                let b = try pop()
                let a = try pop()
                stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x7D: stack.append(.dict(DictBox(isOrdered: false)))  // EMPTY_DICT
            case 0x64:  // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw failure("DICT with an odd number of items", at: opcodeOffset) }
                let dict = DictBox(isOrdered: false)
                for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
                stack.append(.dict(dict))
            case 0x8F: stack.append(.set(ListBox()))  // EMPTY_SET
            case 0x91: stack.append(.set(ListBox(try popMark())))  // FROZENSET

            case 0x61: try append([try pop()], at: opcodeOffset)  // APPEND
            case 0x65: try append(try popMark(), at: opcodeOffset)  // APPENDS
            case 0x90: try append(try popMark(), at: opcodeOffset)  // ADDITEMS
            case 0x73:
                let v = try pop()
                let k = try pop()
                try setItems([k, v], at: opcodeOffset)  // SETITEM
            case 0x75: try setItems(try popMark(), at: opcodeOffset)  // SETITEMS

            case 0x68: stack.append(try memoGet(Int(try byte())))  // BINGET
            case 0x6A: stack.append(try memoGet(Int(try littleEndian(4))))  // LONG_BINGET
            case 0x67:  // GET
                guard let i = Int(try line()) else { throw failure("bad GET index", at: opcodeOffset) }
                stack.append(try memoGet(i))
            case 0x71: memo[Int(try byte())] = try top()  // BINPUT
            case 0x72: memo[Int(try littleEndian(4))] = try top()  // LONG_BINPUT
            case 0x70:  // PUT
                guard let i = Int(try line()) else { throw failure("bad PUT index", at: opcodeOffset) }
                memo[i] = try top()
            case 0x94: memo[memo.count] = try top()  // MEMOIZE

            case 0x63:  // GLOBAL
                let module = try line()
                let name = try line()
                stack.append(.global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw failure("STACK_GLOBAL needs two strings", at: opcodeOffset)
                }
                stack.append(.global(module: m, name: n))
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                guard let args = arguments.tupleItems else {
                    throw failure("REDUCE arguments are not a tuple", at: opcodeOffset)
                }
                stack.append(try call(callable, args, at: opcodeOffset))
            case 0x81:  // NEWOBJ
                let arguments = try pop()
                let cls = try pop()
                guard let args = arguments.tupleItems else {
                    throw failure("NEWOBJ arguments are not a tuple", at: opcodeOffset)
                }
                stack.append(try call(cls, args, at: opcodeOffset))
            case 0x92:  // NEWOBJ_EX
                _ = try pop()  // keyword arguments: recorded nowhere, nothing is constructed from them
                let arguments = try pop()
                let cls = try pop()
                guard let args = arguments.tupleItems else {
                    throw failure("NEWOBJ_EX arguments are not a tuple", at: opcodeOffset)
                }
                stack.append(try call(cls, args, at: opcodeOffset))
            case 0x6F:  // OBJ
                var items = try popMark()
                guard !items.isEmpty else { throw failure("OBJ without a class", at: opcodeOffset) }
                let cls = items.removeFirst()
                stack.append(try call(cls, items, at: opcodeOffset))
            case 0x69:  // INST
                let module = try line()
                let name = try line()
                stack.append(try call(.global(module: module, name: name), try popMark(), at: opcodeOffset))
            case 0x62:  // BUILD
                let state = try pop()
                if case .object(let object) = try top() { object.state = state }
            // Dicts (OrderedDict's `_metadata`) and tensors (Parameter flags) carry state nothing here needs.

            case 0x51:  // BINPERSID
                let id = try pop()
                stack.append(try persistentLoad(id))
            case 0x50:  // PERSID
                stack.append(try persistentLoad(.string(try line())))

            case 0x82, 0x83, 0x84:
                throw failure(
                    "uses the copyreg extension registry (EXT opcodes), which checkpoints never need", at: opcodeOffset)
            case 0x97, 0x98:
                throw failure("uses out-of-band buffers (protocol 5), which checkpoints never need", at: opcodeOffset)
            default:
                throw failure(
                    String(format: "unknown opcode 0x%02x: not a pickle, or a corrupt one", opcode), at: opcodeOffset)
            }
        }
    }

    private func append(_ items: [Node], at offset: Int) throws {
        switch try top() {
        case .list(let list), .set(let list): list.items += items
        case .object(let object): object.listItems += items
        default: throw failure("APPEND to something that is not a list", at: offset)
        }
    }

    private func setItems(_ items: [Node], at offset: Int) throws {
        guard items.count % 2 == 0 else { throw failure("SETITEMS with an odd number of items", at: offset) }
        switch try top() {
        case .dict(let dict):
            for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
        case .object(let object):
            for i in stride(from: 0, to: items.count, by: 2) { object.dictItems.append((items[i], items[i + 1])) }
        default: throw failure("SETITEM on something that is not a dict", at: offset)
        }
    }

    /// A Python repr string literal ('…' or "…") with backslash escapes, as protocol 0 writes it.
    private func quotedString(_ text: String) throws -> [UInt8] {
        var chars = Array(text.utf8)
        guard chars.count >= 2, chars.first == chars.last, chars.first == 0x27 || chars.first == 0x22 else {
            throw failure("STRING literal is not quoted")
        }
        chars = Array(chars[1..<(chars.count - 1)])
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            if chars[i] == 0x5C, i + 1 < chars.count {
                let c = chars[i + 1]
                i += 2
                switch c {
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x78 where i + 2 <= chars.count:
                    guard let v = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                        throw failure("bad \\x escape")
                    }
                    out.append(v)
                    i += 2
                default: out.append(c)
                }
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    // MARK: Calls: the few constructors that are rebuilt; everything else is recorded

    private func call(_ callable: Node, _ args: [Node], at offset: Int) throws -> Node {
        guard case .global(let module, let name) = callable else {
            if case .object(let object) = callable {
                return .object(ObjectBox(typeName: object.typeName + "()", arguments: args))
            }
            throw failure("calls something that is not a class or function", at: offset)
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            let dict = DictBox(isOrdered: name == "OrderedDict")
            if let first = args.first {
                let pairs: [Node]
                switch first {
                case .list(let l): pairs = l.items
                case .tupleBox(let t): pairs = t.items
                default: pairs = []
                }
                for pair in pairs {
                    guard let kv = pair.tupleItems, kv.count == 2 else {
                        throw failure("\(name) from items that are not pairs", at: offset)
                    }
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case ("builtins", "list"), ("__builtin__", "list"):
            return .list(ListBox(args.first.flatMap(Self.sequence) ?? []))
        case ("builtins", "set"), ("__builtin__", "set"), ("builtins", "frozenset"), ("__builtin__", "frozenset"):
            return .set(ListBox(args.first.flatMap(Self.sequence) ?? []))
        case ("builtins", "tuple"), ("__builtin__", "tuple"), ("torch", "Size"):
            return .tuple(args.first.flatMap(Self.sequence) ?? [])
        case ("_codecs", "encode"), ("builtins", "bytearray"), ("__builtin__", "bytearray"), ("builtins", "bytes"),
            ("__builtin__", "bytes"):
            // Protocol 2 spells `bytes` as encode(str, 'latin1'): each character is one byte.
            if case .bytes(let b)? = args.first { return .bytes(b) }
            guard case .string(let s)? = args.first else { return .bytes([]) }
            let encoding: String = if args.count > 1, case .string(let e) = args[1] { e.lowercased() } else { "utf-8" }
            if encoding == "latin1" || encoding == "latin-1" || encoding == "iso-8859-1" {
                var out: [UInt8] = []
                for scalar in s.unicodeScalars {
                    guard scalar.value <= 0xFF else {
                        throw failure("latin1 text with a character above U+00FF", at: offset)
                    }
                    out.append(UInt8(scalar.value))
                }
                return .bytes(out)
            }
            return .bytes(Array(s.utf8))
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"),
            ("torch._utils", "_rebuild_tensor_v3"):
            return try rebuildTensor(args, function: name, at: offset)
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = args.first, case .tensor = data else {
                throw failure("\(name) without a tensor", at: offset)
            }
            return data
        case ("torch._tensor", "_rebuild_from_type_v2"), ("torch._tensor", "_rebuild_from_type"):
            // (function, subclass, arguments[, state]): rebuild through `function`, drop the subclass.
            guard args.count >= 3, let inner = args[2].tupleItems else {
                throw failure("\(name) with unexpected arguments", at: offset)
            }
            return try call(args[0], inner, at: offset)
        default:
            return .object(ObjectBox(typeName: "\(module).\(name)", arguments: args))
        }
    }

    private static func sequence(_ node: Node) -> [Node]? {
        switch node {
        case .list(let l), .set(let l): l.items
        case .tupleBox(let t): t.items
        default: nil
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`
    /// (and the older `_rebuild_tensor(storage, storage_offset, size, stride)`).
    private func rebuildTensor(_ args: [Node], function: String, at offset: Int) throws -> Node {
        guard args.count >= 4 else {
            throw failure("\(function) with \(args.count) arguments, expected at least 4", at: offset)
        }
        guard case .storage(let storage) = args[0] else {
            throw failure("\(function) of something that is not a storage", at: offset)
        }
        guard case .int(let storageOffset) = args[1] else {
            throw failure("\(function): storage offset is not an integer", at: offset)
        }
        func ints(_ node: Node, _ what: String) throws -> [Int] {
            let items: [Node]
            switch node {
            case .tupleBox(let t): items = t.items
            case .list(let l): items = l.items
            case .int(let i): return [i]
            default: throw failure("\(function): \(what) is not a tuple of integers", at: offset)
            }
            return try items.map { item in
                guard case .int(let i) = item else {
                    throw failure("\(function): \(what) is not a tuple of integers", at: offset)
                }
                return i
            }
        }
        let shape = try ints(args[2], "size")
        let strides = try ints(args[3], "stride")
        return .tensor(TorchTensor(storage: storage, storageOffset: storageOffset, shape: shape, strides: strides))
    }
}

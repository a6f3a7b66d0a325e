extension Unpickler {
    /// Turns the node graph into immutable `PickleValue`s. Shared containers are converted once (so a stream
    /// that references one list a million times stays small); cycles and nesting deeper than `maxDepth` are errors.
    struct ValueBuilder {
        let file: String
        let maxDepth: Int
        private var done: [ObjectIdentifier: PickleValue] = [:]
        private var inProgress: Set<ObjectIdentifier> = []

        init(file: String, maxDepth: Int = 100) {
            self.file = file
            self.maxDepth = maxDepth
        }

        mutating func value(_ node: Node, depth: Int = 0) throws -> PickleValue {
            guard depth <= maxDepth else {
                throw WeightError(file: file, "values nested more than \(maxDepth) deep: not a checkpoint, or a corrupt one")
            }
            switch node {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .bigInt(let b): return .bigInt(b)
            case .float(let d): return .float(d)
            case .string(let s): return .string(s)
            case .bytes(let b): return .bytes(b)
            case .tensor(let t): return .tensor(t)
            case .storage(let s): return .storage(s)
            case .global(let module, let name): return .global("\(module).\(name)")
            case .tuple(let items): return .tuple(try items.map { try value($0, depth: depth + 1) })
            case .list(let box):
                return try shared(box, depth: depth) { this in .list(try box.items.map { try this.value($0, depth: depth + 1) }) }
            case .set(let box):
                return try shared(box, depth: depth) { this in .set(try box.items.map { try this.value($0, depth: depth + 1) }) }
            case .dict(let box):
                return try shared(box, depth: depth) { this in
                    let entries = try box.pairs.map { (key: try this.value($0.0, depth: depth + 1), value: try this.value($0.1, depth: depth + 1)) }
                    return .dict(PickleDictionary(entries: entries, isOrdered: box.isOrdered))
                }
            case .object(let box):
                return try shared(box, depth: depth) { this in
                    .object(PickleObject(
                        typeName: box.typeName,
                        arguments: try box.arguments.map { try this.value($0, depth: depth + 1) },
                        state: try box.state.map { try this.value($0, depth: depth + 1) },
                        listItems: try box.listItems.map { try this.value($0, depth: depth + 1) },
                        dictItems: try box.dictItems.map { (key: try this.value($0.0, depth: depth + 1), value: try this.value($0.1, depth: depth + 1)) }))
                }
            }
        }

        private mutating func shared(_ box: AnyObject, depth: Int, _ build: (inout ValueBuilder) throws -> PickleValue) throws -> PickleValue {
            let id = ObjectIdentifier(box)
            if let known = done[id] { return known }
            guard inProgress.insert(id).inserted else {
                throw WeightError(file: file, "a container contains itself: checkpoints never do this")
            }
            let result = try build(&self)
            inProgress.remove(id)
            done[id] = result
            return result
        }
    }
}

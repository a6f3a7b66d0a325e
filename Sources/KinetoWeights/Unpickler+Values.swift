extension Unpickler {
    /// Turns the node graph into immutable `PickleValue`s. Shared containers are converted once, but the tree
    /// they expand to (what walking the result visits) may hold at most `maxValues` values, so a stream that
    /// nests references to one list exponentially is refused; so are cycles and nesting deeper than `maxDepth`.
    struct ValueBuilder {
        let file: String
        let maxDepth: Int
        let maxValues: Int
        private var done: [ObjectIdentifier: (value: PickleValue, size: Int)] = [:]
        private var inProgress: Set<ObjectIdentifier> = []

        init(file: String, maxDepth: Int = 100, maxValues: Int = 50_000_000) {
            self.file = file
            self.maxDepth = maxDepth
            self.maxValues = maxValues
        }

        mutating func value(_ node: Node) throws -> PickleValue {
            try convert(node, depth: 0).value
        }

        private mutating func convert(_ node: Node, depth: Int) throws -> (value: PickleValue, size: Int) {
            guard depth <= maxDepth else {
                throw WeightError(
                    file: file, "values nested more than \(maxDepth) deep: not a checkpoint, or a corrupt one")
            }
            switch node {
            case .none: return (.none, 1)
            case .bool(let b): return (.bool(b), 1)
            case .int(let i): return (.int(i), 1)
            case .bigInt(let b): return (.bigInt(b), 1)
            case .float(let d): return (.float(d), 1)
            case .string(let s): return (.string(s), 1)
            case .bytes(let b): return (.bytes(b), 1)
            case .tensor(let t): return (.tensor(t), 1)
            case .storage(let s): return (.storage(s), 1)
            case .global(let module, let name): return (.global("\(module).\(name)"), 1)
            case .tupleBox(let box):
                return try shared(box, depth: depth) { this, size in
                    .tuple(try box.items.map { try this.child($0, depth, &size) })
                }
            case .list(let box):
                return try shared(box, depth: depth) { this, size in
                    .list(try box.items.map { try this.child($0, depth, &size) })
                }
            case .set(let box):
                return try shared(box, depth: depth) { this, size in
                    .set(try box.items.map { try this.child($0, depth, &size) })
                }
            case .dict(let box):
                return try shared(box, depth: depth) { this, size in
                    let entries = try box.pairs.map {
                        (key: try this.child($0.0, depth, &size), value: try this.child($0.1, depth, &size))
                    }
                    return .dict(PickleDictionary(entries: entries, isOrdered: box.isOrdered))
                }
            case .object(let box):
                return try shared(box, depth: depth) { this, size in
                    .object(
                        PickleObject(
                            typeName: box.typeName,
                            arguments: try box.arguments.map { try this.child($0, depth, &size) },
                            state: try box.state.map { try this.child($0, depth, &size) },
                            listItems: try box.listItems.map { try this.child($0, depth, &size) },
                            dictItems: try box.dictItems.map {
                                (key: try this.child($0.0, depth, &size), value: try this.child($0.1, depth, &size))
                            }))
                }
            }
        }

        /// Converts a child and adds its expanded size to its parent's.
        private mutating func child(_ node: Node, _ parentDepth: Int, _ size: inout Int) throws -> PickleValue {
            let (value, childSize) = try convert(node, depth: parentDepth + 1)
            size += childSize
            guard size <= maxValues else {
                throw WeightError(
                    file: file,
                    "expands to more than \(maxValues) values (a stream built to exhaust memory, or a corrupt one)")
            }
            return value
        }

        private mutating func shared(
            _ box: AnyObject, depth: Int, _ build: (inout ValueBuilder, inout Int) throws -> PickleValue
        ) throws -> (value: PickleValue, size: Int) {
            let id = ObjectIdentifier(box)
            if let known = done[id] { return known }
            guard inProgress.insert(id).inserted else {
                throw WeightError(file: file, "a container contains itself: checkpoints never do this")
            }
            var size = 1
            let result = try build(&self, &size)
            inProgress.remove(id)
            done[id] = (result, size)
            return (result, size)
        }
    }
}

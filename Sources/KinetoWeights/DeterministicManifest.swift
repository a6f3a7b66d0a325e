import Foundation

/// A manifest of deterministic weights (`Tests/Fixtures/golden/featureflow-manifest.json`): for every tensor its
/// state-dict name, shape, center, scale and aliases (other names of the same shared module's tensor).
public struct DeterministicManifest: Sendable {
    /// One tensor of the manifest.
    public struct Entry: Sendable, Equatable {
        /// The name whose hash generates the values.
        public let name: String
        public let shape: [Int]
        public let center: Double
        public let scale: Double
        /// Further names bound to the very same values.
        public let aliases: [String]

        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    /// The `generator` field (must be "detweights").
    public let generator: String
    /// Entries sorted by name.
    public let entries: [Entry]
    private let byName: [String: Int]

    /// Reads and validates the manifest at `url`.
    public init(contentsOf url: URL) throws {
        path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WeightError(file: path, "cannot read the weights manifest: \(error.localizedDescription)")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let tensors = root["tensors"] as? [String: Any]
        else {
            throw WeightError(file: path, "not a weights manifest: expected a JSON object with a \"tensors\" object")
        }
        generator = root["generator"] as? String ?? ""
        guard generator == "detweights" else {
            throw WeightError(file: path, "generator \"\(generator)\" is not supported (only \"detweights\")")
        }
        var entries: [Entry] = []
        for (name, value) in tensors {
            guard let fields = value as? [String: Any],
                let shapeValues = fields["shape"] as? [Any],
                let center = (fields["center"] as? NSNumber)?.doubleValue,
                let scale = (fields["scale"] as? NSNumber)?.doubleValue
            else {
                throw WeightError(file: path, key: name, "needs shape, center and scale")
            }
            let shape = shapeValues.compactMap(JSONNumber.exactInt)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }),
                shape.reduce(1, { $0 * Double($1) }) < 1e10
            else {
                throw WeightError(file: path, key: name, "impossible shape \(shapeValues)")
            }
            let aliases = (fields["aliases"] as? [Any] ?? []).compactMap { $0 as? String }
            entries.append(Entry(name: name, shape: shape, center: center, scale: scale, aliases: aliases))
        }
        entries.sort { $0.name < $1.name }
        var byName: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            for name in [entry.name] + entry.aliases {
                guard byName[name] == nil else {
                    throw WeightError(file: path, key: name, "listed twice (as a name or an alias)")
                }
                byName[name] = index
            }
        }
        self.entries = entries
        self.byName = byName
    }

    /// Every name, aliases included, sorted.
    public var allNames: [String] { byName.keys.sorted() }

    /// The entry that `name` (a primary name or an alias) refers to.
    public func entry(_ name: String) throws -> Entry {
        guard let index = byName[name] else { throw WeightError(file: path, key: name, "missing from the manifest") }
        return entries[index]
    }

    /// The tensor called `name` (or aliased so), generated from its primary name; the result carries `name`.
    public func tensor(_ name: String) throws -> WeightTensor {
        let entry = try entry(name)
        let values = DeterministicWeights.values(
            entry.name, count: entry.count, center: entry.center, scale: entry.scale)
        return WeightTensor(name: name, shape: entry.shape, values: values)
    }

    /// All tensors by name, aliases included; an alias shares its primary tensor's value buffer.
    /// Names can be restricted to those starting with `prefix` (e.g. "bdcn.").
    public func tensors(withPrefix prefix: String = "") -> [String: WeightTensor] {
        var out: [String: WeightTensor] = [:]
        for entry in entries {
            let names = ([entry.name] + entry.aliases).filter { $0.hasPrefix(prefix) }
            guard !names.isEmpty else { continue }
            let values = DeterministicWeights.values(
                entry.name, count: entry.count, center: entry.center, scale: entry.scale)
            for name in names { out[name] = WeightTensor(name: name, shape: entry.shape, values: values) }
        }
        return out
    }
}

/// The interpolation methods a job can name, looked up by name.
///
/// `standard` is what the command line and the daemon offer. A new model is one more entry in
/// `standard`'s list (e.g. `InterpolationMethod(name: "rife", summary: …, engine: .model { try RIFE(options: $0) })`);
/// callers with their own methods (tests, plug-ins) build a registry and `register` them.
public struct InterpolationMethodRegistry: Sendable {
    /// Methods in the order they are listed to users.
    public private(set) var methods: [InterpolationMethod]

    public init(_ methods: [InterpolationMethod]) {
        self.methods = []
        for method in methods { register(method) }
    }

    /// Adds `method`, replacing one of the same name.
    public mutating func register(_ method: InterpolationMethod) {
        if let index = methods.firstIndex(where: { $0.name == method.name }) {
            methods[index] = method
        } else {
            methods.append(method)
        }
    }

    /// The names, in order.
    public var names: [String] { methods.map(\.name) }

    /// The method called `name` (case-insensitive); a usage error listing the known ones otherwise.
    public func method(named name: String) throws -> InterpolationMethod {
        let key = name.lowercased()
        if let method = methods.first(where: { $0.name == key }) { return method }
        throw PipelineError(.usage, "unknown model '\(name)'; known models: \(names.joined(separator: ", "))")
    }

    /// The built-in methods. Models register here, one entry each.
    public static let standard = InterpolationMethodRegistry([
        .repeatFrames,
        .blend,
        .rife,
        .featureflow,
    ])
}

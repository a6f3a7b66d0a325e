import KinetoEngine

/// Named reference tensors (a golden safetensors file, or a dictionary in tests).
public protocol GoldenTensors {
    /// The tensor stored under `name` as float32, or nil if there is none.
    func tensor(_ name: String) throws -> Tensor?
}

/// Reference tensors held in memory.
public struct InMemoryGoldenTensors: GoldenTensors {
    public var tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }
    public func tensor(_ name: String) throws -> Tensor? { tensors[name] }
}

/// A named float tensor as weight loaders return it: PyTorch's row-major layout, values converted to Float.
public struct WeightTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    /// Row-major values; `values.count == shape.reduce(1, *)`.
    public let values: [Float]
    /// The element type the file stored (the values are Float whatever it was).
    public let storedAs: TensorDType

    public init(name: String, shape: [Int], values: [Float], storedAs: TensorDType = .f32) {
        self.name = name
        self.shape = shape
        self.values = values
        self.storedAs = storedAs
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

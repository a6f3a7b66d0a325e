/// A transposed 2-D convolution layer with its weights (PyTorch's `nn.ConvTranspose2d`), optionally with a fused
/// activation.
public struct ConvTranspose2d: Sendable {
    /// `[Cin, Cout/groups, kh, kw]`.
    public let weight: Tensor
    /// `[Cout]` or nil.
    public let bias: Tensor?
    public let stride, padding, outputPadding, dilation, groups: Int
    public var activation: Activation

    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
        dilation: Int = 1, groups: Int = 1, activation: Activation = .none
    ) throws {
        guard weight.rank == 4, groups >= 1, weight.shape[0] % groups == 0 else {
            throw EngineError(
                "transposed convolution weight has shape \(weight.shape); expected [in, out/groups, kh, kw] with in divisible by groups \(groups)"
            )
        }
        if let bias, bias.count != weight.shape[1] * groups {
            throw EngineError(
                "transposed convolution bias has \(bias.count) values; expected \(weight.shape[1] * groups)")
        }
        self.weight = weight.isContiguous ? weight : weight.contiguousCopy()
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor, out: Tensor? = nil) -> Tensor {
        Ops.convTranspose2d(
            x, weight: weight, bias: bias, stride: stride, padding: padding,
            outputPadding: outputPadding, dilation: dilation, groups: groups,
            activation: activation, out: out)
    }
}

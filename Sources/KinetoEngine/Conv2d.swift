/// A 2-D convolution layer with its weights (PyTorch's `nn.Conv2d`), optionally with a batch norm folded in and an
/// activation fused after it. Build it once when loading a network; call it per frame.
public struct Conv2d: Sendable {
    /// `[Cout, Cin/groups, kh, kw]`.
    public let weight: Tensor
    /// `[Cout]` or nil.
    public let bias: Tensor?
    public let window: Window2D
    public let groups: Int
    /// Applied in the same pass as the bias.
    public var activation: Activation

    /// Checks the shapes (weights come from files) and keeps the tensors.
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        groups: Int = 1, activation: Activation = .none
    ) throws {
        try self.init(
            weight: weight, bias: bias, window: Window2D(stride: stride, padding: padding, dilation: dilation),
            groups: groups, activation: activation)
    }

    public init(
        weight: Tensor, bias: Tensor?, window: Window2D, groups: Int = 1,
        activation: Activation = .none
    ) throws {
        guard weight.rank == 4, groups >= 1, weight.shape[0] % groups == 0 else {
            throw EngineError(
                "convolution weight has shape \(weight.shape); expected [out, in/groups, kh, kw] with out divisible by groups \(groups)"
            )
        }
        if let bias, bias.count != weight.shape[0] {
            throw EngineError(
                "convolution bias has \(bias.count) values; expected \(weight.shape[0]) (weight \(weight.shape))")
        }
        if case .prelu(let slopes) = activation, slopes.count != 1 && slopes.count != weight.shape[0] {
            throw EngineError("PReLU has \(slopes.count) slopes; expected 1 or \(weight.shape[0])")
        }
        self.weight = weight.isContiguous ? weight : weight.contiguousCopy()
        self.bias = bias
        self.window = window
        self.groups = groups
        self.activation = activation
    }

    public var inputChannels: Int { weight.shape[1] * groups }
    public var outputChannels: Int { weight.shape[0] }

    /// Runs the convolution (+ `residual`, + activation) on `x` `[N, Cin, H, W]`, into `out` if given.
    public func callAsFunction(_ x: Tensor, residual: Tensor? = nil, out: Tensor? = nil) -> Tensor {
        Ops.conv2d(
            x, weight: weight, bias: bias, window: window, groups: groups, activation: activation,
            residual: residual, out: out)
    }

    /// This convolution with its output channels multiplied by `scale` (`[Cout]`, e.g. RIFE's `ResConv.beta`,
    /// stored `[1, C, 1, 1]`): weights and bias scaled, so `conv'(x) = conv(x) · scale` at no run-time cost.
    public func scalingOutput(by scale: Tensor) throws -> Conv2d {
        let cout = outputChannels
        guard scale.count == cout else {
            throw EngineError("output scale has \(scale.count) values; the convolution has \(cout) output channels")
        }
        let scaled = Tensor(zeros: weight.shape)
        let newBias = Tensor(zeros: [cout])
        let perChannel = weight.itemSize
        for o in 0..<cout {
            let s = scale.pointer[o]
            for i in 0..<perChannel { scaled.pointer[o * perChannel + i] = weight.pointer[o * perChannel + i] * s }
            newBias.pointer[o] = (bias?.pointer[o] ?? 0) * s
        }
        return try Conv2d(weight: scaled, bias: newBias, window: window, groups: groups, activation: activation)
    }

    /// This convolution followed by inference batch norm `bn`, as one convolution: `W' = W · s`, `b' = (b − mean) ·
    /// s + beta` with `s = gamma / sqrt(var + eps)` per output channel (computed in double).
    public func foldingBatchNorm(_ bn: BatchNormParameters) throws -> Conv2d {
        let cout = outputChannels
        guard bn.runningMean.count == cout, bn.runningVar.count == cout else {
            throw EngineError("batch norm has \(bn.runningMean.count) channels; the convolution before it has \(cout)")
        }
        let (scale, shift) = bn.scaleAndShift()
        let folded = Tensor(zeros: weight.shape)
        let perChannel = weight.itemSize
        let newBias = Tensor(zeros: [cout])
        for o in 0..<cout {
            let src = weight.pointer + o * perChannel
            let dst = folded.pointer + o * perChannel
            for i in 0..<perChannel { dst[i] = src[i] * scale[o] }
            newBias.pointer[o] = (bias?.pointer[o] ?? 0) * scale[o] + shift[o]
        }
        return try Conv2d(weight: folded, bias: newBias, window: window, groups: groups, activation: activation)
    }

    /// The same layer with another fused activation.
    public func with(activation: Activation) -> Conv2d {
        var copy = self
        copy.activation = activation
        return copy
    }
}

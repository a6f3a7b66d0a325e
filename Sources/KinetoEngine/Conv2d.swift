/// A 2-D convolution layer with its weights (PyTorch's `nn.Conv2d`), optionally with a batch norm folded in and an
/// activation fused after it. Build it once when loading a network; call it per frame.
///
/// At load the layer fixes its `plan` from its shape, the CPU and the `ConvolutionPolicy` its network states
/// (im2col + GEMM, Winograd F(4×4, 3×3) or F(2×2, 3×3), the AVX-512 direct kernel: the kernels that need transformed
/// or packed weights are prepared then); each call picks one of the prepared algorithms by the map's size.
public struct Conv2d: Sendable {
    /// `[Cout, Cin/groups, kh, kw]`.
    public let weight: Tensor
    /// `[Cout]` or nil.
    public let bias: Tensor?
    public let window: Window2D
    public let groups: Int
    /// Applied in the same pass as the bias.
    public let activation: Activation
    /// Pixels the input is padded by reflection on every side before the convolution (the official
    /// `ReflectionPad2d(p)` + `Conv2d(padding=0)` pairs): 0 for none. Winograd applies it while reading its tiles.
    public let reflectionPadding: Int
    /// The algorithms prepared at load and the thresholds that choose among them.
    public private(set) var plan: ConvolutionPlan

    /// Checks the shapes (weights come from files) and keeps the tensors.
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        groups: Int = 1, activation: Activation = .none, policy: ConvolutionPolicy = .im2col
    ) throws {
        try self.init(
            weight: weight, bias: bias, window: Window2D(stride: stride, padding: padding, dilation: dilation),
            groups: groups, activation: activation, policy: policy)
    }

    public init(
        weight: Tensor, bias: Tensor?, window: Window2D, groups: Int = 1,
        activation: Activation = .none, reflectionPadding: Int = 0, policy: ConvolutionPolicy = .im2col
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
        guard reflectionPadding >= 0 else { throw EngineError("reflection padding \(reflectionPadding) is negative") }
        self.weight = weight.isContiguous ? weight : weight.contiguousCopy()
        self.bias = bias
        self.window = window
        self.groups = groups
        self.activation = activation
        self.reflectionPadding = reflectionPadding
        plan = ConvolutionPlan()
        plan = ConvolutionPlan(self, policy: policy)
    }

    /// The same layer planned under another policy (its kernels prepared anew).
    public func planned(_ policy: ConvolutionPolicy) -> Conv2d {
        var copy = self
        copy.plan = ConvolutionPlan(self, policy: policy)
        return copy
    }

    public var inputChannels: Int { weight.shape[1] * groups }
    public var outputChannels: Int { weight.shape[0] }

    /// Runs the convolution (+ `residual`, + activation, + `addAfterActivation`) on `x` `[N, Cin, H, W]`, into `out`
    /// if given (which may be a channel view; not `x` or `residual`), by the algorithm the plan picks for this map
    /// (`thresholds` overrides the policy's).
    public func callAsFunction(
        _ x: Tensor, residual: Tensor? = nil, addAfterActivation: Tensor? = nil, out: Tensor? = nil,
        thresholds: ConvolutionThresholds? = nil
    ) -> Tensor {
        let avx2 = plan.instructionSets.contains(.avx2)
        let y: Tensor
        switch plan.algorithm(batch: x.n, height: x.h, width: x.w, thresholds: thresholds) {
        case .winogradF4:
            return plan.winogradF4!(x, residual: residual, addAfterActivation: addAfterActivation, out: out, avx2: avx2)
        case .winogradF2: y = plan.winogradF2!(x, residual: residual, out: out)
        case .direct: y = plan.direct!(x, residual: residual, out: out)
        case .im2col:
            let p = reflectionPadding
            let input = p > 0 ? Ops.pad(x, left: p, right: p, top: p, bottom: p, mode: .reflect) : x
            y = Ops.conv2d(
                input, weight: weight, bias: bias, window: window, groups: groups, activation: activation,
                residual: residual, out: out, avx2: avx2)
        }
        if let addAfterActivation { return Ops.add(addAfterActivation, y, out: y) }
        return y
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
        return try Conv2d(
            weight: scaled, bias: newBias, window: window, groups: groups, activation: activation,
            reflectionPadding: reflectionPadding, policy: plan.policy)
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
        return try Conv2d(
            weight: folded, bias: newBias, window: window, groups: groups, activation: activation,
            reflectionPadding: reflectionPadding, policy: plan.policy)
    }

    /// The same layer with another fused activation.
    public func with(activation: Activation) throws -> Conv2d {
        try Conv2d(
            weight: weight, bias: bias, window: window, groups: groups, activation: activation,
            reflectionPadding: reflectionPadding, policy: plan.policy)
    }
}

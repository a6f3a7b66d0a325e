import CKinetoKernels

/// A transposed 2-D convolution layer with its weights (PyTorch's `nn.ConvTranspose2d`), optionally with a fused
/// activation.
///
/// At load a 4×4, stride-2, padding-1 layer (the ×2 upsampling of RIFE and many decoders) packs its weight for the
/// AVX-512 direct kernel where its `ConvolutionPolicy` allows the direct algorithm and the CPU has AVX-512
/// (`upsampling`, `algorithm`).
public struct ConvTranspose2d: Sendable {
    /// `[Cin, Cout/groups, kh, kw]`.
    public let weight: Tensor
    /// `[Cout]` or nil.
    public let bias: Tensor?
    public let stride, padding, outputPadding, dilation, groups: Int
    public var activation: Activation
    /// For the direct kernel: the weight as `[Cout/8][Cin][16][8]` (all output channels, in blocks of 8), or nil.
    let packed: [Float]?

    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
        dilation: Int = 1, groups: Int = 1, activation: Activation = .none, policy: ConvolutionPolicy = .im2col
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
        let fourByFour =
            weight.shape[2] == 4 && weight.shape[3] == 4 && stride == 2 && padding == 1 && outputPadding == 0
            && dilation == 1 && groups == 1
        if fourByFour, policy.directMaximumOutputChannels.map({ weight.shape[1] <= $0 }) == true,
            policy.instructionSets.intersection(VectorKernels.instructionSets).contains(.avx512f)
        {
            let (cin, cout) = (weight.shape[0], weight.shape[1])
            let source = self.weight
            var packed = [Float](repeating: 0, count: (cout + 7) / 8 * 8 * cin * 16)
            packed.withUnsafeMutableBufferPointer {
                kineto_conv_transpose4x4_pack_weight(
                    source.pointer, Int64(cin), Int64(cout), Int64(cout), $0.baseAddress!)
            }
            self.packed = packed
        } else {
            packed = nil
        }
    }

    /// What `upsampling` runs: `.direct` where the weight was packed at load, else `.im2col` (GEMM + scatter).
    public var algorithm: ConvolutionAlgorithm { packed == nil ? .im2col : .direct }

    public func callAsFunction(_ x: Tensor, out: Tensor? = nil) -> Tensor {
        Ops.convTranspose2d(
            x, weight: weight, bias: bias, stride: stride, padding: padding,
            outputPadding: outputPadding, dilation: dilation, groups: groups,
            activation: activation, out: out)
    }
}

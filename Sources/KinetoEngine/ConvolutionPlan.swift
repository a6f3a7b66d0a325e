/// The ways the engine can compute a 2-D convolution.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Tiled im2col + GEMM (`Ops.conv2d`): any shape.
    case im2col
    /// Winograd F(4×4, 3×3) (`WinogradConv3x3`): 3×3, stride 1; a quarter of the multiplications, in 36 GEMMs as
    /// wide as the map has 4×4 tiles.
    case winogradF4
    /// Winograd F(2×2, 3×3) (`WinogradF2Conv3x3`): 3×3, stride 1, as many channels in as out; for maps too small
    /// for F(4×4, 3×3)'s GEMMs.
    case winogradF2
    /// The AVX-512 direct 3×3 convolution (`DirectConv3x3`): stride 1 or 2, a multiple of 16 output channels.
    case direct
}

/// The map-size thresholds a planned convolution applies at each call (the map is known only then). A caller may
/// override them per call (`Conv2d.callAsFunction(_:…:thresholds:)`), e.g. a golden test forcing one algorithm.
public struct ConvolutionThresholds: Sendable, Equatable {
    /// Winograd F(4×4, 3×3), where prepared, runs on maps of at least this many 4×4 tiles (0: always; `Int.max`:
    /// never).
    public var winogradF4MinimumTiles: Int
    /// Winograd F(2×2, 3×3), where prepared, runs on maps of at most this many pixels.
    public var winogradF2MaximumPixels: Int

    public init(winogradF4MinimumTiles: Int = 16, winogradF2MaximumPixels: Int = 256) {
        self.winogradF4MinimumTiles = winogradF4MinimumTiles
        self.winogradF2MaximumPixels = winogradF2MaximumPixels
    }
}

/// Which algorithms a convolution layer may prepare at load (each costs memory: Winograd F(4×4, 3×3)'s transformed
/// filters take 4× the weights, F(2×2, 3×3)'s 1.8×, the direct kernel's packed copy 1×) and the thresholds that pick
/// one of them per call. The network that owns the layer states its policy (measured on its shapes); the engine
/// decides from the layer's shape and the CPU (`instructionSets`) what can be prepared.
public struct ConvolutionPolicy: Sendable, Equatable {
    /// Prepare Winograd F(4×4, 3×3) for 3×3 stride-1 layers with at least this many input channels (nil: never).
    public var winogradF4MinimumInputChannels: Int?
    /// … and at most this many output channels.
    public var winogradF4MaximumOutputChannels: Int
    /// Prepare Winograd F(2×2, 3×3) for the 3×3 stride-1 layers F(4×4, 3×3) is not prepared for.
    public var winogradF2: Bool
    /// Prepare the AVX-512 direct convolution for the layers neither Winograd is prepared for, of at most this many
    /// output channels (nil: never).
    public var directMaximumOutputChannels: Int?
    public var thresholds: ConvolutionThresholds
    /// What the kernels may use: `.avx2` (the AVX2 Winograd transforms, the im2col gather) and `.avx512f` (the
    /// direct kernels). By default what this CPU has and the environment allows (`VectorKernels`).
    public var instructionSets: CPUFeatures

    public init(
        winogradF4MinimumInputChannels: Int? = nil, winogradF4MaximumOutputChannels: Int = .max,
        winogradF2: Bool = false, directMaximumOutputChannels: Int? = nil,
        thresholds: ConvolutionThresholds = ConvolutionThresholds(),
        instructionSets: CPUFeatures = VectorKernels.instructionSets
    ) {
        self.winogradF4MinimumInputChannels = winogradF4MinimumInputChannels
        self.winogradF4MaximumOutputChannels = winogradF4MaximumOutputChannels
        self.winogradF2 = winogradF2
        self.directMaximumOutputChannels = directMaximumOutputChannels
        self.thresholds = thresholds
        self.instructionSets = instructionSets
    }

    /// im2col + GEMM only: nothing prepared (a `Conv2d`'s default).
    public static var im2col: ConvolutionPolicy { ConvolutionPolicy() }

    /// Every algorithm where it applies, with the engine's thresholds: Winograd F(4×4, 3×3) from 16 input channels
    /// on maps of 16 tiles or more, F(2×2, 3×3) on maps of at most 256 pixels, the direct kernel up to 64 output
    /// channels (where GEMMs are narrow).
    public static var automatic: ConvolutionPolicy {
        ConvolutionPolicy(winogradF4MinimumInputChannels: 16, winogradF2: true, directMaximumOutputChannels: 64)
    }
}

/// The kernels a `Conv2d` prepared at load under its `ConvolutionPolicy`, and the choice among them per call.
public struct ConvolutionPlan: Sendable {
    public let policy: ConvolutionPolicy
    /// The policy's instruction sets that this CPU has and the environment allows (a policy cannot force a kernel
    /// the machine cannot run).
    public let instructionSets: CPUFeatures
    let winogradF4: WinogradConv3x3?
    let winogradF2: WinogradF2Conv3x3?
    let direct: DirectConv3x3?

    /// Nothing prepared: im2col + GEMM.
    init() {
        policy = .im2col
        instructionSets = policy.instructionSets
        winogradF4 = nil
        winogradF2 = nil
        direct = nil
    }

    /// What `conv` gets under `policy` on a CPU with `policy.instructionSets`.
    init(_ conv: Conv2d, policy: ConvolutionPolicy) {
        self.policy = policy
        instructionSets = policy.instructionSets.intersection(VectorKernels.instructionSets)
        let w = conv.weight
        let threeByThree = w.rank == 4 && w.shape[2] == 3 && w.shape[3] == 3 && conv.groups == 1
        let padding: WinogradConv3x3.Padding? =
            conv.reflectionPadding == 1 ? .reflect : conv.reflectionPadding == 0 ? .zeros : nil
        var f4: WinogradConv3x3? = nil
        if threeByThree, let padding, let minimum = policy.winogradF4MinimumInputChannels,
            conv.inputChannels >= minimum, conv.outputChannels <= policy.winogradF4MaximumOutputChannels
        {
            f4 = WinogradConv3x3(conv, padding: padding)
        }
        winogradF4 = f4
        let zeroPadded = conv.reflectionPadding == 0
        winogradF2 = f4 == nil && policy.winogradF2 && threeByThree && zeroPadded ? WinogradF2Conv3x3(conv) : nil
        if f4 == nil, winogradF2 == nil, zeroPadded, let maximum = policy.directMaximumOutputChannels,
            conv.outputChannels <= maximum
        {
            direct = DirectConv3x3(conv, enabled: instructionSets.contains(.avx512f))
        } else {
            direct = nil
        }
    }

    /// The algorithms prepared (im2col always).
    public var prepared: [ConvolutionAlgorithm] {
        [.im2col] + (winogradF4 != nil ? [.winogradF4] : []) + (winogradF2 != nil ? [.winogradF2] : [])
            + (direct != nil ? [.direct] : [])
    }

    /// The algorithm a call on an input of `batch` items of `height × width` takes.
    public func algorithm(batch: Int = 1, height: Int, width: Int, thresholds: ConvolutionThresholds? = nil)
        -> ConvolutionAlgorithm
    {
        let limits = thresholds ?? policy.thresholds
        if winogradF4 != nil, ((height + 3) / 4) * ((width + 3) / 4) >= limits.winogradF4MinimumTiles {
            return .winogradF4
        }
        if winogradF2 != nil, batch == 1, height * width <= limits.winogradF2MaximumPixels { return .winogradF2 }
        if direct != nil { return .direct }
        return .im2col
    }
}

extension VectorKernels {
    /// The instruction sets the kernels may use in this process: `.avx2` and `.avx512f` as `avx2` and `avx512` say.
    public static var instructionSets: CPUFeatures {
        var sets: CPUFeatures = []
        if avx2 { sets.insert(.avx2) }
        if avx512 { sets.insert(.avx512f) }
        return sets
    }
}

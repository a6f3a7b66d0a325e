import KinetoEngine
import Testing

/// Which algorithm a layer's plan gives each shape and CPU, and that every algorithm computes what im2col + GEMM
/// does (within float32 rounding of sums in another order).
@Suite struct ConvolutionPlanTests {
    static let avx512: CPUFeatures = [.avx2, .avx512f]
    static let avx2Only: CPUFeatures = [.avx2]

    func conv(
        _ cin: Int, _ cout: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1, reflection: Int = 0,
        activation: Activation = .leakyReLU(0.2), policy: ConvolutionPolicy
    ) throws -> Conv2d {
        try Conv2d(
            weight: randomTensor([cout, cin, kernel, kernel], seed: UInt64(cin * 100 + cout), scale: 0.2),
            bias: randomTensor([cout], seed: 7), window: Window2D(stride: stride, padding: padding),
            activation: activation, reflectionPadding: reflection, policy: policy)
    }

    func policy(_ base: ConvolutionPolicy, cpu: CPUFeatures) -> ConvolutionPolicy {
        var policy = base
        policy.instructionSets = cpu
        return policy
    }

    @Test func im2colPolicyPreparesNothing() throws {
        let layer = try conv(32, 32, policy: .im2col)
        #expect(layer.plan.prepared == [.im2col])
        #expect(layer.plan.algorithm(height: 256, width: 256) == .im2col)
    }

    /// The automatic policy: F(4×4, 3×3) for 3×3 stride-1 layers of 16 input channels or more on maps of 16 tiles or
    /// more (im2col below), F(2×2, 3×3) for narrower ones on maps of at most 256 pixels, the direct kernel for the
    /// rest of at most 64 output channels where the CPU has AVX-512, im2col for anything else.
    @Test func automaticPolicyChoosesByShapeAndMap() throws {
        let automatic = policy(.automatic, cpu: Self.avx512)
        let wide = try conv(32, 32, policy: automatic)
        #expect(wide.plan.prepared == [.im2col, .winogradF4])
        #expect(wide.plan.algorithm(height: 64, width: 64) == .winogradF4)
        #expect(wide.plan.algorithm(height: 12, width: 12) == .im2col)  // 9 tiles
        #expect(
            wide.plan.algorithm(height: 12, width: 12, thresholds: ConvolutionThresholds(winogradF4MinimumTiles: 0))
                == .winogradF4)

        let narrow = try conv(8, 8, policy: automatic)
        #expect(narrow.plan.prepared == [.im2col, .winogradF2])
        #expect(narrow.plan.algorithm(height: 10, width: 12) == .winogradF2)
        #expect(narrow.plan.algorithm(height: 32, width: 32) == .im2col)
        #expect(narrow.plan.algorithm(batch: 2, height: 10, width: 12) == .im2col)

        let stride2 = try conv(28, 32, stride: 2, policy: automatic)
        let expected: ConvolutionAlgorithm = VectorKernels.avx512 ? .direct : .im2col
        #expect(stride2.plan.algorithm(height: 64, width: 64) == expected)
        let tooMany = try conv(28, 128, stride: 2, policy: automatic)
        #expect(tooMany.plan.prepared == [.im2col])

        let pointwise = try conv(32, 32, kernel: 1, padding: 0, policy: automatic)
        #expect(pointwise.plan.prepared == [.im2col])
    }

    /// An AVX2-only CPU never gets the AVX-512 direct kernel; Winograd stays (its transforms have AVX2 and portable
    /// versions).
    @Test func avx2OnlyCPUGetsNoDirectKernel() throws {
        let automatic = policy(.automatic, cpu: Self.avx2Only)
        #expect(try conv(28, 32, stride: 2, policy: automatic).plan.prepared == [.im2col])
        #expect(try conv(32, 32, policy: automatic).plan.prepared == [.im2col, .winogradF4])
        #expect(try conv(32, 32, policy: policy(.automatic, cpu: [])).plan.prepared == [.im2col, .winogradF4])
    }

    @Test func transposedConvolutionPacksFourByFourStrideTwoOnly() throws {
        let direct = ConvolutionPolicy(directMaximumOutputChannels: .max, instructionSets: Self.avx512)
        let up = try ConvTranspose2d(
            weight: randomTensor([16, 8, 4, 4], seed: 1), bias: nil, stride: 2, padding: 1, policy: direct)
        #expect(up.algorithm == (VectorKernels.avx512 ? .direct : .im2col))
        var avx2 = direct
        avx2.instructionSets = Self.avx2Only
        let portable = try ConvTranspose2d(
            weight: randomTensor([16, 8, 4, 4], seed: 1), bias: nil, stride: 2, padding: 1, policy: avx2)
        #expect(portable.algorithm == .im2col)
        let other = try ConvTranspose2d(
            weight: randomTensor([16, 8, 3, 3], seed: 1), bias: nil, stride: 2, padding: 1, policy: direct)
        #expect(other.algorithm == .im2col)
    }

    /// Every algorithm a plan can pick against the same layer by im2col + GEMM, on odd map sizes (partial tiles), with
    /// a residual before the activation and a skip connection after it, on each CPU path this machine can run.
    @Test(arguments: [
        // cin, cout, stride, reflection padding, height, width, thresholds forcing the algorithm under test
        (32, 32, 1, 0, 19, 23), (16, 16, 1, 1, 17, 30), (8, 8, 1, 0, 9, 13), (28, 32, 2, 0, 21, 37),
        (16, 16, 2, 0, 8, 5),
    ])
    func everyPlanMatchesIm2col(_ p: (Int, Int, Int, Int, Int, Int)) throws {
        let (cin, cout, stride, reflection, h, w) = p
        let force = ConvolutionThresholds(winogradF4MinimumTiles: 0, winogradF2MaximumPixels: .max)
        for cpu in [Self.avx512, Self.avx2Only, []] {
            var automatic = policy(.automatic, cpu: cpu)
            automatic.thresholds = force
            let planned = try conv(
                cin, cout, stride: stride, padding: reflection == 1 ? 0 : 1, reflection: reflection,
                policy: automatic)
            let reference = planned.planned(.im2col)
            #expect(reference.plan.prepared == [.im2col])
            let x = randomTensor([1, cin, h, w], seed: 11)
            let expected = reference(x)
            let residual = randomTensor(expected.shape, seed: 12)
            let after = randomTensor(expected.shape, seed: 13)
            let algorithm = planned.plan.algorithm(height: h, width: w)
            for (name, y, reference) in [
                ("plain", planned(x), expected),
                ("residual", planned(x, residual: residual), reference(x, residual: residual)),
                (
                    "skip after activation", planned(x, addAfterActivation: after),
                    reference(x, addAfterActivation: after)
                ),
            ] {
                #expect(y.shape == reference.shape)
                let difference = maxAbsDifference(y, reference)
                #expect(difference < 1e-4, "\(algorithm) on \(cpu), \(name), \(p): differs by \(difference)")
            }
        }
    }

    /// The shapes above do reach every algorithm (else the comparison would prove nothing).
    @Test func comparedShapesCoverEveryAlgorithm() throws {
        var automatic = policy(.automatic, cpu: VectorKernels.instructionSets)
        automatic.thresholds = ConvolutionThresholds(winogradF4MinimumTiles: 0, winogradF2MaximumPixels: .max)
        var seen: Set<ConvolutionAlgorithm> = []
        for (cin, cout, stride, reflection, h, w) in [
            (32, 32, 1, 0, 19, 23), (16, 16, 1, 1, 17, 30), (8, 8, 1, 0, 9, 13), (28, 32, 2, 0, 21, 37),
            (16, 16, 2, 0, 8, 5),
        ] {
            let layer = try conv(
                cin, cout, stride: stride, padding: reflection == 1 ? 0 : 1, reflection: reflection,
                policy: automatic)
            seen.insert(layer.plan.algorithm(height: h, width: w))
        }
        let expected: Set<ConvolutionAlgorithm> =
            VectorKernels.avx512 ? [.winogradF4, .winogradF2, .direct] : [.winogradF4, .winogradF2, .im2col]
        #expect(seen == expected)
    }

    /// The 4×4 transposed convolution's direct kernel against its GEMM path, pixel-shuffled into fewer planes than it
    /// makes (RIFE's last block).
    @Test func upsamplingDirectMatchesGemm() throws {
        let layer = try ConvTranspose2d(
            weight: randomTensor([24, 52, 4, 4], seed: 21, scale: 0.3), bias: randomTensor([52], seed: 22),
            stride: 2, padding: 1, policy: ConvolutionPolicy(directMaximumOutputChannels: .max))
        let x = randomTensor([1, 24, 7, 19], seed: 23)
        let pool = TensorPool()
        for shuffle in [true, false] {
            let shape = shuffle ? [1, 5, 28, 76] : [1, 13, 14, 38]
            let direct = Tensor(zeros: shape)
            let gemm = Tensor(zeros: shape)
            layer.upsampling(x, shuffle: shuffle, pool: pool, out: direct)
            layer.upsampling(x, shuffle: shuffle, pool: pool, out: gemm, direct: false)
            #expect(maxAbsDifference(direct, gemm) < 1e-4)
        }
        // The GEMM path against the engine's general operator.
        let full = Tensor(zeros: [1, 52, 14, 38])
        layer.upsampling(x, shuffle: false, pool: pool, out: full, direct: false)
        let reference = Ops.convTranspose2d(x, weight: layer.weight, bias: layer.bias, stride: 2, padding: 1)
        #expect(maxAbsDifference(full, reference) < 1e-4)
    }
}

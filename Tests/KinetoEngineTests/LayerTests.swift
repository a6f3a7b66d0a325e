import KinetoEngine
import Testing

@Suite struct LayerTests {
    @Test func convWithFoldedBatchNormEqualsConvThenBatchNorm() throws {
        let x = randomTensor([1, 6, 11, 9], seed: 11)
        let weight = randomTensor([8, 6, 3, 3], seed: 12, scale: 0.4)
        let bias = randomTensor([8], seed: 13)
        let bn = BatchNormParameters(
            weight: randomTensor([8], seed: 14), bias: randomTensor([8], seed: 15),
            runningMean: randomTensor([8], seed: 16, scale: 0.5),
            runningVar: Ops.affine(randomTensor([8], seed: 17), scale: 0.4, shift: 0.6),
            eps: 1e-5)
        let conv = try Conv2d(weight: weight, bias: bias, padding: 1)
        let separate = Ops.batchNorm(conv(x), bn, activation: .leakyReLU(0.1))
        let folded = try conv.foldingBatchNorm(bn).with(activation: .leakyReLU(0.1))(x)
        let magnitude = separate.toArray().map(abs).max()!
        #expect(maxAbsDifference(separate, folded) <= 1e-5 * magnitude)
    }

    @Test func fusedActivationEqualsSeparateOne() throws {
        let x = randomTensor([1, 4, 7, 8], seed: 21)
        let slopes = Tensor(shape: [5], values: [0.1, 0.2, 0.25, 0.3, 0.5])
        let conv = try Conv2d(
            weight: randomTensor([5, 4, 3, 3], seed: 22), bias: randomTensor([5], seed: 23), padding: 1)
        let fused = try conv.with(activation: .prelu(slopes))(x)
        let separate = Ops.prelu(conv(x), weight: slopes)
        #expect(maxAbsDifference(fused, separate) == 0)
    }

    @Test func residualConvEqualsConvTimesBetaPlusSkip() throws {
        // RIFE's ResConv: leaky_relu(conv(x) * beta + x, 0.2).
        let x = randomTensor([1, 6, 10, 12], seed: 31)
        let beta = randomTensor([6], seed: 32)
        let conv = try Conv2d(
            weight: randomTensor([6, 6, 3, 3], seed: 33, scale: 0.3), bias: randomTensor([6], seed: 34),
            padding: 1)
        let reference = Ops.leakyReLU(Ops.mul(conv(x), beta.reshaped([1, 6, 1, 1])) + x, negativeSlope: 0.2)
        let fused = try conv.scalingOutput(by: beta).with(activation: .leakyReLU(0.2))(x, residual: x)
        #expect(maxAbsDifference(reference, fused) < 1e-5)
    }

    @Test func rejectsMismatchedWeights() {
        #expect(throws: EngineError.self) {
            try Conv2d(weight: Tensor(zeros: [4, 3, 3, 3]), bias: Tensor(zeros: [5]))
        }
        #expect(throws: EngineError.self) {
            try Conv2d(weight: Tensor(zeros: [4, 3, 3]))
        }
    }
}

@Suite struct LayoutTests {
    @Test func cropAndChannelReductions() {
        let x = Tensor(shape: [1, 2, 3, 4], values: (0..<24).map(Float.init))
        #expect(Ops.crop(x, top: 1, left: 1, height: 2, width: 2).toArray() == [5, 6, 9, 10, 17, 18, 21, 22])
        let sums: [Float] = (0..<12).map { Float(2 * $0 + 12) }
        let means: [Float] = (0..<12).map { Float($0 + 6) }
        #expect(Ops.sumChannels(x).toArray() == sums)
        #expect(Ops.meanChannels(x).toArray() == means)
    }

    @Test func blendMatchesFormula() {
        let a = randomTensor([1, 3, 4, 5], seed: 41)
        let b = randomTensor([1, 3, 4, 5], seed: 42)
        let mask = Ops.sigmoid(randomTensor([1, 1, 4, 5], seed: 43))
        let reference = Ops.add(Ops.mul(a, mask), Ops.mul(b, 1 - mask))
        #expect(maxAbsDifference(Ops.blend(a, b, weight: mask), reference) < 1e-6)
        let perChannel = Ops.sigmoid(randomTensor([1, 3, 1, 1], seed: 44))
        let reference2 = Ops.add(Ops.mul(a, perChannel), Ops.mul(b, 1 - perChannel))
        #expect(maxAbsDifference(Ops.blend(a, b, weight: perChannel), reference2) < 1e-6)
    }

    @Test func concatIntoViewsAndStack() {
        let a = Tensor(shape: [1, 1, 1, 2], values: [1, 2])
        let b = Tensor(shape: [1, 2, 1, 2], values: [3, 4, 5, 6])
        #expect(Ops.concat([a, b]).toArray() == [1, 2, 3, 4, 5, 6])
        #expect(Ops.stack([a, a]).shape == [1, 2, 1, 1, 2])
        let affine: Tensor = a * 2 + 1
        #expect(affine.toArray() == [3, 5])
        #expect(Ops.mul(b, Tensor(shape: [1, 1, 1, 2], values: [10, 100])).toArray() == [30, 400, 50, 600])
    }
}

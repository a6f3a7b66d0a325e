import KinetoEngine
import Testing

/// `Ops.deformConv2d` (deformable im2col + GEMM) against a direct
/// evaluation of torchvision's definition: bilinear samples with zero corners outside the image, times the mask.
@Suite struct DeformConv2dTests {
    @Test(arguments: [
        // cin, cout, deformable groups, stride, padding, groups, mask, h, w
        (16, 12, 2, 1, 1, 1, true, 11, 13),  // 8 channels per group
        (64, 8, 8, 1, 1, 1, true, 9, 10),  // EDVR's PCD layout
        (12, 5, 4, 1, 1, 1, false, 10, 9),  // 3 channels per group (odd), DCN v1
        (8, 6, 1, 2, 1, 1, true, 15, 12),  // stride 2
        (8, 6, 2, 1, 1, 2, true, 9, 9),  // two convolution groups
    ])
    func matchesDirectEvaluation(_ p: (Int, Int, Int, Int, Int, Int, Bool, Int, Int)) {
        let (cin, cout, dg, stride, padding, groups, withMask, h, w) = p
        let ho = (h + 2 * padding - 3) / stride + 1
        let wo = (w + 2 * padding - 3) / stride + 1
        let x = randomTensor([2, cin, h, w], seed: 11)
        // Offsets up to ±3 px: many samples fall partly or wholly outside the image.
        let offset = randomTensor([2, 2 * dg * 9, ho, wo], seed: 12, scale: 3)
        let mask = withMask ? Ops.sigmoid(randomTensor([2, dg * 9, ho, wo], seed: 13, scale: 2)) : nil
        let weight = randomTensor([cout, cin / groups, 3, 3], seed: 14, scale: 0.3)
        let bias = randomTensor([cout], seed: 15)
        let y = Ops.deformConv2d(
            x, offset: offset, mask: mask, weight: weight, bias: bias, stride: stride,
            padding: padding, groups: groups, activation: .leakyReLU(0.1))
        let reference = naiveDeformConv2d(
            x, offset: offset, mask: mask, weight: weight, bias: bias, stride: stride,
            padding: padding, groups: groups)
        #expect(y.shape == [2, cout, ho, wo])
        #expect(maxAbsDifference(y, reference) < 1e-4)
    }

    /// Direct evaluation, then LeakyReLU(0.1).
    func naiveDeformConv2d(
        _ x: Tensor, offset: Tensor, mask: Tensor?, weight: Tensor, bias: Tensor, stride: Int,
        padding: Int, groups: Int
    ) -> Tensor {
        let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
        let (cout, cinG) = (weight.shape[0], weight.shape[1])
        let (ho, wo) = (offset.h, offset.w)
        let dg = offset.c / 18
        let perGroup = cin / dg
        let coutG = cout / groups
        func pixel(_ b: Int, _ c: Int, _ y: Int, _ x0: Int) -> Float {
            y >= 0 && y < h && x0 >= 0 && x0 < w ? x[b, c, y, x0] : 0
        }
        func sample(_ b: Int, _ c: Int, _ sy: Float, _ sx: Float) -> Float {
            guard sy > -1 && sy < Float(h) && sx > -1 && sx < Float(w) else { return 0 }
            let y0 = Int(sy.rounded(.down))
            let x0 = Int(sx.rounded(.down))
            let ly = sy - Float(y0)
            let lx = sx - Float(x0)
            return (1 - ly) * (1 - lx) * pixel(b, c, y0, x0) + (1 - ly) * lx * pixel(b, c, y0, x0 + 1)
                + ly * (1 - lx) * pixel(b, c, y0 + 1, x0) + ly * lx * pixel(b, c, y0 + 1, x0 + 1)
        }
        let y = Tensor(zeros: [n, cout, ho, wo])
        for b in 0..<n {
            for o in 0..<cout {
                for i in 0..<ho {
                    for j in 0..<wo {
                        var sum = bias[o]
                        let g = o / coutG
                        for ci in 0..<cinG {
                            let c = g * cinG + ci
                            let d = c / perGroup
                            for k in 0..<9 {
                                let sy = Float(i * stride - padding + k / 3) + offset[b, (d * 9 + k) * 2, i, j]
                                let sx = Float(j * stride - padding + k % 3) + offset[b, (d * 9 + k) * 2 + 1, i, j]
                                let m = mask.map { $0[b, d * 9 + k, i, j] } ?? 1
                                sum += weight[o, ci, k / 3, k % 3] * sample(b, c, sy, sx) * m
                            }
                        }
                        y[b, o, i, j] = sum < 0 ? 0.1 * sum : sum
                    }
                }
            }
        }
        return y
    }
}

import KinetoEngine

/// Deterministic pseudo-random values in [-scale, scale] (xorshift), so tests need no data files.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, pool: TensorPool? = nil) -> Tensor {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        values[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
    if let pool { return pool.tensor(shape, values: values) }
    return Tensor(shape: shape, values: values)
}

/// Largest absolute difference between two tensors of equal size.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.toArray(), b.toArray()).map { abs($0 - $1) }.max() ?? 0
}

/// Direct (six nested loops) convolution, the reference for the GEMM path.
func naiveConv2d(
    _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int, padding: Int, dilation: Int,
    groups: Int
) -> Tensor {
    let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
    let (cout, cinG, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    let ho = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1
    let wo = (w + 2 * padding - dilation * (kw - 1) - 1) / stride + 1
    let y = Tensor(zeros: [n, cout, ho, wo])
    let coutG = cout / groups
    _ = cin
    for b in 0..<n {
        for o in 0..<cout {
            for i in 0..<ho {
                for j in 0..<wo {
                    var sum: Float = bias?[o] ?? 0
                    let g = o / coutG
                    for c in 0..<cinG {
                        for ki in 0..<kh {
                            for kj in 0..<kw {
                                let ih = i * stride - padding + ki * dilation
                                let iw = j * stride - padding + kj * dilation
                                if ih >= 0 && ih < h && iw >= 0 && iw < w {
                                    sum += x[b, g * cinG + c, ih, iw] * weight[o, c, ki, kj]
                                }
                            }
                        }
                    }
                    y[b, o, i, j] = sum
                }
            }
        }
    }
    return y
}

import Foundation
import KinetoEngine

/// TFLite operators with semantics the engine's PyTorch-style ops do not have (TF "SAME" pooling that ignores the
/// padding, TF bilinear resizing, hard swish, channel padding), on NCHW tensors.
enum TFLiteKernels {
    /// TF's SAME padding of one axis: output size and the padding before and after (the extra pixel goes after).
    static func samePadding(_ size: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (
        output: Int, before: Int, after: Int
    ) {
        let output = (size + stride - 1) / stride
        let total = max((output - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
        return (output, total / 2, total - total / 2)
    }

    /// `x · relu6(x + 3) / 6`.
    static func hardSwish(_ x: Tensor) -> Tensor {
        let y = Tensor(zeros: x.shape)
        let total = x.count
        let source = x.contiguousCopyIfNeeded.pointer
        let target = y.pointer
        Parallel.forRanges(total, minimum: 1 << 14) { range in
            for i in range {
                let v = source[i]
                target[i] = v * min(max(v + 3, 0), 6) / 6
            }
        }
        return y
    }

    /// Max or average pooling with TF's semantics: windows clipped to the input (average over the pixels inside).
    static func pool(_ x: Tensor, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, same: Bool, max isMax: Bool)
        -> Tensor
    {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let (ho, top, _) = same ? samePadding(h, kernel: kernelH, stride: strideH) : ((h - kernelH) / strideH + 1, 0, 0)
        let (wo, left, _) =
            same ? samePadding(w, kernel: kernelW, stride: strideW) : ((w - kernelW) / strideW + 1, 0, 0)
        let y = Tensor(zeros: [n, c, ho, wo])
        Parallel.forEach(n * c) { index in
            let item = index / c
            let ch = index % c
            let p = x.pointer(item: item) + ch * h * w
            let q = y.pointer(item: item) + ch * ho * wo
            for oy in 0..<ho {
                let y0 = Swift.max(oy * strideH - top, 0)
                let y1 = Swift.min(oy * strideH - top + kernelH, h)
                for ox in 0..<wo {
                    let x0 = Swift.max(ox * strideW - left, 0)
                    let x1 = Swift.min(ox * strideW - left + kernelW, w)
                    var acc: Float = isMax ? -.infinity : 0
                    for yy in y0..<y1 {
                        for xx in x0..<x1 {
                            let v = p[yy * w + xx]
                            acc = isMax ? Swift.max(acc, v) : acc + v
                        }
                    }
                    q[oy * wo + ox] = isMax ? acc : acc / Float((y1 - y0) * (x1 - x0))
                }
            }
        }
        return y
    }

    /// TFLite's RESIZE_BILINEAR (reference kernel): source coordinate `(o + 0.5)·scale − 0.5` with half-pixel
    /// centres, `o·scale` otherwise; scale `(in − 1)/(out − 1)` with aligned corners, `in/out` otherwise.
    static func resizeBilinear(_ x: Tensor, height ho: Int, width wo: Int, alignCorners: Bool, halfPixelCenters: Bool)
        -> Tensor
    {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        func taps(_ input: Int, _ output: Int) -> [(Int, Int, Float)] {
            let scale: Float =
                alignCorners && output > 1 ? Float(input - 1) / Float(output - 1) : Float(input) / Float(output)
            return (0..<output).map { o in
                let s = halfPixelCenters ? (Float(o) + 0.5) * scale - 0.5 : Float(o) * scale
                let lower = Swift.max(Int(s.rounded(.down)), 0)
                let upper = Swift.min(Int(s.rounded(.up)), input - 1)
                return (lower, upper, s - Float(lower))
            }
        }
        let rows = taps(h, ho)
        let cols = taps(w, wo)
        let y = Tensor(zeros: [n, c, ho, wo])
        Parallel.forEach(n * c) { index in
            let item = index / c
            let ch = index % c
            let p = x.pointer(item: item) + ch * h * w
            let q = y.pointer(item: item) + ch * ho * wo
            for oy in 0..<ho {
                let (ya, yb, fy) = rows[oy]
                for ox in 0..<wo {
                    let (xa, xb, fx) = cols[ox]
                    let top = p[ya * w + xa] * (1 - fx) + p[ya * w + xb] * fx
                    let bottom = p[yb * w + xa] * (1 - fx) + p[yb * w + xb] * fx
                    q[oy * wo + ox] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return y
    }

    /// Zero channels added before and after (TFLite's PAD on the channel axis of residual blocks).
    static func padChannels(_ x: Tensor, before: Int, after: Int) -> Tensor {
        let y = Tensor(zeros: [x.n, before + x.c + after, x.h, x.w])
        for item in 0..<x.n {
            y.item(item).channels(before..<(before + x.c)).copy(from: x.item(item))
        }
        return y
    }
}

extension Tensor {
    /// Self if its items are contiguous, else a contiguous copy.
    var contiguousCopyIfNeeded: Tensor { isContiguous ? self : contiguousCopy() }
}

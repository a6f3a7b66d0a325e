import Foundation

/// Inference-time batch normalization parameters (`nn.BatchNorm2d` in eval mode), all `[C]`.
public struct BatchNormParameters: Sendable {
    public var weight: Tensor?
    public var bias: Tensor?
    public var runningMean: Tensor
    public var runningVar: Tensor
    public var eps: Float

    public init(weight: Tensor?, bias: Tensor?, runningMean: Tensor, runningVar: Tensor, eps: Float = 1e-5) {
        self.weight = weight
        self.bias = bias
        self.runningMean = runningMean
        self.runningVar = runningVar
        self.eps = eps
    }

    /// Per-channel `scale` and `shift` with `bn(x) = x · scale + shift`, computed in double.
    public func scaleAndShift() -> (scale: [Float], shift: [Float]) {
        let c = runningMean.count
        var scale = [Float](repeating: 1, count: c)
        var shift = [Float](repeating: 0, count: c)
        for i in 0..<c {
            let gamma = Double(weight?.pointer[i] ?? 1)
            let beta = Double(bias?.pointer[i] ?? 0)
            let inv = gamma / (Double(runningVar.pointer[i]) + Double(eps)).squareRoot()
            scale[i] = Float(inv)
            shift[i] = Float(beta - Double(runningMean.pointer[i]) * inv)
        }
        return (scale, shift)
    }
}

extension Ops {
    /// `torch.nn.functional.batch_norm(training=False)` over channels, with optional fused activation.
    /// Prefer folding it into the preceding convolution (`Conv2d.foldingBatchNorm`).
    public static func batchNorm(
        _ x: Tensor, _ parameters: BatchNormParameters, activation: Activation = .none,
        out: Tensor? = nil
    ) -> Tensor {
        let y = output(x.shape, like: x, out: out, "batchNorm")
        let (scale, shift) = parameters.scaleAndShift()
        let c = x.c
        let plane = x.shape.dropFirst(2).reduce(1, *)
        Parallel.forEach(x.n * c) { index in
            let item = index / c
            let ch = index % c
            let src = x.pointer(item: item) + ch * plane
            let dst = y.pointer(item: item) + ch * plane
            let a = scale[ch]
            let b = shift[ch]
            for i in 0..<plane { dst[i] = src[i] * a + b }
            activation.apply(dst, count: plane, bias: 0, channel: ch)
        }
        return y
    }

    /// `torch.softmax(x, dim=1)`: softmax over channels at every position (max-subtracted).
    public static func softmaxChannels(_ x: Tensor, out: Tensor? = nil) -> Tensor {
        let y = output(x.shape, like: x, out: out, "softmaxChannels")
        let c = x.c
        let plane = x.shape.dropFirst(2).reduce(1, *)
        for item in 0..<x.n {
            let src = x.pointer(item: item)
            let dst = y.pointer(item: item)
            Parallel.forRanges(plane, minimum: 2048) { r in
                for p in r {
                    var m = -Float.infinity
                    for ch in 0..<c { m = max(m, src[ch * plane + p]) }
                    var sum: Float = 0
                    for ch in 0..<c {
                        let e = Foundation.exp(src[ch * plane + p] - m)
                        dst[ch * plane + p] = e
                        sum += e
                    }
                    let inv = 1 / sum
                    for ch in 0..<c { dst[ch * plane + p] *= inv }
                }
            }
        }
        return y
    }
}

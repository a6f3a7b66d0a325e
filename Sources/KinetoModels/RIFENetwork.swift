import Foundation
import KinetoEngine

/// RIFE 4.25's flow network (`IFNet` of Practical-RIFE's `IFNet_HDv3.py`) on the engine, operator for operator.
///
/// Input: two frames `[1, 3, H, W]` in [0, 1] with H and W multiples of the padding `RIFEInterpolator` applies, a
/// timestep t and the per-block scales (`[16, 8, 4, 2, 1] / scale`). Each block estimates a residual bidirectional
/// flow at a coarser resolution from both frames warped by the flow so far, their warped head features, the
/// timestep, the previous mask and block features; the final frame blends the two warped frames by a sigmoid mask.
///
/// One instance serves one thread at a time; its tensor pool keeps the buffers of the last frame size.
public final class RIFENetwork: @unchecked Sendable {
    /// What one forward pass produced, at the padded size.
    public struct Result {
        /// Accumulated flow `[1, 4, H, W]` after each block (x, y towards frame 0, then x, y towards frame 1);
        /// only the last unless `keepIntermediates`.
        public var flows: [Tensor]
        /// The last block's mask before the sigmoid, `[1, 1, H, W]`.
        public var maskLogits: Tensor
        /// The interpolated frame `[1, 3, H, W]` (not clamped, as the reference).
        public var output: Tensor
    }

    public let weights: RIFEWeights
    /// Where every intermediate buffer comes from; reused from frame to frame.
    public let pool = TensorPool()
    /// Seconds spent in each stage of the last `forward` (head, block0…4, merge), when `profiling` is on.
    public private(set) var stageSeconds: [String: Double] = [:]
    public var profiling = false

    public init(weights: RIFEWeights) {
        self.weights = weights
    }

    /// The reference's `scale_list` for a `scale` (1: full detail; 0.5 for 4K; 2 or 4 for small frames).
    public static func scaleList(for scale: Double) -> [Double] {
        [16, 8, 4, 2, 1].map { $0 / scale }
    }

    /// Runs IFNet on a padded frame pair (tensors from any pool; copied into this network's pool).
    ///
    /// Layout: each frame is kept with its 4 head-feature channels (`[img | features]`, 7 channels) so one warp
    /// pass moves both; a block's full-size input is `[warped frame 0 + features, warped frame 1 + features, t,
    /// mask, block features, flow]` (the first convolution's weights are permuted to match, see `RIFEWeights`).
    /// The upsampled block outputs are written straight into the next block's input.
    public func forward(_ image0: Tensor, _ image1: Tensor, timestep: Float, scales: [Double],
                        keepIntermediates: Bool = false) -> Result {
        precondition(scales.count == weights.blocks.count, "RIFE needs one scale per block")
        let (h, w) = (image0.h, image0.w)
        var clock = Clock(enabled: profiling)
        let source0 = withFeatures(image0), source1 = withFeatures(image1)
        clock.lap("head")

        var flows: [Tensor] = []
        var raw = source0   // the previous block's output (13 channels at its resolution)
        var flow = source0  // the accumulated flow F (4 channels, full size)
        for (index, block) in weights.blocks.enumerated() {
            let s = scales[index]
            let small: Tensor
            if index == 0 {
                // cat(img0, img1, f0, f1, t), resampled: the frames with features, then the constant t.
                small = pool.tensor([1, 15, Int(Double(h) / s), Int(Double(w) / s)])
                resample(source0, scale: 1 / s, into: small.channels(0..<7))
                resample(source1, scale: 1 / s, into: small.channels(7..<14))
                small.channels(14..<15).fill(timestep)
            } else {
                let x = pool.tensor([1, 28, h, w])
                let previousScale = scales[index - 1]
                flow = accumulate(flow: index == 1 ? nil : flow, delta: raw.channels(0..<4), scale: previousScale,
                                  into: x.channels(24..<28))
                if keepIntermediates { flows.append(flow) }
                resample(raw.channels(4..<13), scale: previousScale, into: x.channels(15..<24))
                _ = Ops.warp(source0, flow: flow.channels(0..<2), out: x.channels(0..<7))
                _ = Ops.warp(source1, flow: flow.channels(2..<4), out: x.channels(7..<14))
                x.channels(14..<15).fill(timestep)
                if s == 1 {
                    small = x
                } else {
                    small = Ops.interpolate(x, scaleFactor: 1 / s)
                    // The reference interpolates the flow, then divides it by the scale.
                    let p = small.channels(24..<28).pointer, count = small.channels(24..<28).count, divisor = Float(s)
                    for i in 0..<count { p[i] /= divisor }
                }
            }
            raw = run(block, small)
            clock.lap("block\(index)")
        }
        let lastScale = scales[scales.count - 1]
        flow = accumulate(flow: flow, delta: raw.channels(0..<4), scale: lastScale, into: pool.tensor([1, 4, h, w]))
        flows.append(flow)
        let logits = pool.tensor([1, 1, h, w])
        resample(raw.channels(4..<5), scale: lastScale, into: logits)
        let output = RIFEKernels.warpAndMerge(source0, source1, flow: flow, logits: logits, out: pool.tensor([1, 3, h, w]))
        clock.lap("merge")
        if profiling { stageSeconds = clock.laps }
        return Result(flows: flows, maskLogits: logits, output: output)
    }

    /// `[image | Head(image)]`: 7 channels at full size in this network's pool.
    func withFeatures(_ image: Tensor) -> Tensor {
        let result = pool.tensor([1, 7, image.h, image.w])
        result.channels(0..<3).copy(from: image)
        let h = weights.head
        _ = h.up(h.conv2(h.conv1(h.conv0(result.channels(0..<3)))), out: result.channels(3..<7))
        return result
    }

    /// `interpolate(x, scale_factor: scale)` into `out` (a copy when the scale is 1, as PyTorch's is exact then).
    func resample(_ x: Tensor, scale: Double, into out: Tensor) {
        if scale == 1 { out.copy(from: x) } else { _ = Ops.interpolate(x, scaleFactor: scale, out: out) }
    }

    /// `F + interpolate(delta, scale) · scale` (or without `F` for the first block) into `out`, full size.
    func accumulate(flow: Tensor?, delta: Tensor, scale: Double, into out: Tensor) -> Tensor {
        resample(delta, scale: scale, into: out)
        let p = out.pointer, count = out.count, factor = Float(scale)
        if let flow {
            let f = flow.pointer
            Parallel.forRanges(count, minimum: 1 << 16) { r in for i in r { p[i] = f[i] + p[i] * factor } }
        } else if factor != 1 {
            Parallel.forRanges(count, minimum: 1 << 16) { r in for i in r { p[i] *= factor } }
        }
        return out
    }

    /// `IFBlock` after its input resampling: 13 channels at the input's size.
    func run(_ block: RIFEWeights.Block, _ x: Tensor) -> Tensor {
        var feature = block.down1(block.down0(x))
        for conv in block.residual {
            feature = conv(feature, residual: feature)
        }
        return Ops.pixelShuffle(block.up(feature), upscaleFactor: 2)
    }
}

/// Wall-clock laps for the per-stage profile.
struct Clock {
    let enabled: Bool
    var last = DispatchTime.now().uptimeNanoseconds
    var laps: [String: Double] = [:]

    init(enabled: Bool) { self.enabled = enabled }

    mutating func lap(_ name: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        laps[name, default: 0] += Double(now - last) / 1e9
        last = now
    }
}

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
    public func forward(_ image0: Tensor, _ image1: Tensor, timestep: Float, scales: [Double],
                        keepIntermediates: Bool = false) -> Result {
        precondition(scales.count == weights.blocks.count, "RIFE needs one scale per block")
        let img0 = image0.pool === pool ? image0 : pool.copy(image0)
        let img1 = image1.pool === pool ? image1 : pool.copy(image1)
        let (h, w) = (img0.h, img0.w)
        let time = pool.tensor([1, 1, h, w])
        time.fill(timestep)

        var clock = Clock(enabled: profiling)
        let f0 = head(img0), f1 = head(img1)
        clock.lap("head")

        var flows: [Tensor] = []
        var flow: Tensor? = nil, mask: Tensor? = nil, features: Tensor? = nil
        var warped0 = img0, warped1 = img1
        for (index, block) in weights.blocks.enumerated() {
            let s = scales[index]
            let x: Tensor
            if let previous = flow, let mask, let features {
                // cat(warped img0, warped img1, warp(f0), warp(f1), t, mask, block features) then the flow.
                x = pool.tensor([1, 28, h, w])
                x.channels(0..<3).copy(from: warped0)
                x.channels(3..<6).copy(from: warped1)
                _ = Ops.warp(f0, flow: previous.channels(0..<2), out: x.channels(6..<10))
                _ = Ops.warp(f1, flow: previous.channels(2..<4), out: x.channels(10..<14))
                x.channels(14..<15).copy(from: time)
                x.channels(15..<16).copy(from: mask)
                x.channels(16..<24).copy(from: features)
                x.channels(24..<28).copy(from: previous)
            } else {
                x = Ops.concat([img0, img1, f0, f1, time])
            }
            let small = s == 1 ? x : Ops.interpolate(x, scaleFactor: 1 / s)
            if flow != nil {
                // The reference interpolates the flow, then divides it by the scale.
                let flowChannels = small.channels(24..<28)
                divide(flowChannels, by: Float(s))
            }
            let raw = run(block, small)
            let tmp = s == 1 ? raw : Ops.interpolate(raw, scaleFactor: s)
            let delta = tmp.channels(0..<4)
            multiply(delta, by: Float(s))
            if let previous = flow {
                flow = Ops.add(previous, delta)
            } else {
                flow = delta.contiguousCopy()
            }
            mask = tmp.channels(4..<5)
            features = tmp.channels(5..<13)
            warped0 = Ops.warp(img0, flow: flow!.channels(0..<2))
            warped1 = Ops.warp(img1, flow: flow!.channels(2..<4))
            if keepIntermediates || index == weights.blocks.count - 1 { flows.append(flow!) }
            clock.lap("block\(index)")
        }
        let logits = mask!.contiguousCopy()
        let output = merge(warped0, warped1, logits: logits)
        clock.lap("merge")
        if profiling { stageSeconds = clock.laps }
        return Result(flows: flows, maskLogits: logits, output: output)
    }

    /// `Head`: 4 feature channels at full size.
    func head(_ image: Tensor) -> Tensor {
        let h = weights.head
        return h.up(h.conv2(h.conv1(h.conv0(image))))
    }

    /// `IFBlock` after its input resampling: 13 channels at the input's size.
    func run(_ block: RIFEWeights.Block, _ x: Tensor) -> Tensor {
        var feature = block.down1(block.down0(x))
        for conv in block.residual {
            feature = conv(feature, residual: feature)
        }
        return Ops.pixelShuffle(block.up(feature), upscaleFactor: 2)
    }

    /// `warped0 · σ(m) + warped1 · (1 − σ(m))`, as the reference computes it.
    func merge(_ warped0: Tensor, _ warped1: Tensor, logits: Tensor) -> Tensor {
        let out = pool.tensor(warped0.shape)
        let plane = logits.count
        let m = logits.pointer, a = warped0.pointer, b = warped1.pointer, o = out.pointer
        Parallel.forRanges(plane, minimum: 1 << 14) { range in
            for p in range {
                let weight = 1 / (1 + Foundation.exp(-m[p]))
                for c in 0..<3 { o[c * plane + p] = a[c * plane + p] * weight + b[c * plane + p] * (1 - weight) }
            }
        }
        return out
    }

    private func multiply(_ t: Tensor, by s: Float) {
        if s == 1 { return }
        let p = t.pointer
        for i in 0..<t.count { p[i] *= s }
    }

    private func divide(_ t: Tensor, by s: Float) {
        if s == 1 { return }
        let p = t.pointer
        for i in 0..<t.count { p[i] /= s }
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

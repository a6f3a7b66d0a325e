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
    /// pass moves both; a block's input is `[warped frame 0 + features, warped frame 1 + features, t, mask, block
    /// features, flow]` (the first convolution's weights are permuted to match, see `RIFEWeights`).
    ///
    /// Schedule: the reference builds each block's input at full size, then shrinks it by `s` (bilinear,
    /// `align_corners=False`). For `s` a power of two ≥ 2 that reads exactly two rows and two columns per output
    /// (rows `s·q + s/2 − 1` and `s·q + s/2`, weight ½ each), so Kineto evaluates the warps, the upsampled block
    /// outputs and the accumulated flow only on that grid, then halves it: the same numbers with 4/s² of the work
    /// and memory (the whole frame for s = 2 and 1).
    public func forward(_ image0: Tensor, _ image1: Tensor, timestep: Float, scales: [Double],
                        keepIntermediates: Bool = false) -> Result {
        precondition(scales.count == weights.blocks.count, "RIFE needs one scale per block")
        let (h, w) = (image0.h, image0.w)
        var clock = Clock(enabled: profiling)
        let source0 = withFeatures(image0), source1 = withFeatures(image1)
        clock.lap("head")

        var deltas: [(raw: Tensor, scale: Double)] = []
        var fullFlow: (flow: Tensor, blocks: Int)? = nil   // F after `blocks` blocks on the whole frame
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
                let halving = s >= 2 && s == s.rounded() && Int(s) & (Int(s) - 1) == 0
                let rows = halving ? RIFENetwork.gridIndices(size: h, scale: Int(s)) : Array(0..<h)
                let cols = halving ? RIFENetwork.gridIndices(size: w, scale: Int(s)) : Array(0..<w)
                let x = pool.tensor([1, 28, rows.count, cols.count])
                let flow = x.channels(24..<28)
                accumulatedFlow(deltas, rows: rows, cols: cols, full: fullFlow, into: flow)
                if rows.count == h && cols.count == w { fullFlow = (flow, deltas.count) }
                let previous = deltas[deltas.count - 1]
                RIFEKernels.resample(previous.raw.channels(4..<13),
                                     rows: RIFEKernels.taps(at: rows, inputSize: previous.raw.h, scale: previous.scale),
                                     cols: RIFEKernels.taps(at: cols, inputSize: previous.raw.w, scale: previous.scale),
                                     out: x.channels(15..<24))
                RIFEKernels.warp(source0, rows: rows, cols: cols, flow: flow.channels(0..<2), out: x.channels(0..<7))
                RIFEKernels.warp(source1, rows: rows, cols: cols, flow: flow.channels(2..<4), out: x.channels(7..<14))
                x.channels(14..<15).fill(timestep)
                if s == 1 {
                    small = x
                } else {
                    small = Ops.interpolate(x, scaleFactor: halving ? 0.5 : 1 / s)
                    // The reference interpolates the flow, then divides it by the scale.
                    let p = small.channels(24..<28).pointer, count = small.channels(24..<28).count, divisor = Float(s)
                    for i in 0..<count { p[i] /= divisor }
                }
            }
            deltas.append((run(block, small), s))
            clock.lap("block\(index)")
        }
        let all = (rows: Array(0..<h), cols: Array(0..<w))
        let flow = pool.tensor([1, 4, h, w])
        accumulatedFlow(deltas, rows: all.rows, cols: all.cols, full: fullFlow, into: flow)
        let last = deltas[deltas.count - 1]
        let logits = pool.tensor([1, 1, h, w])
        RIFEKernels.resample(last.raw.channels(4..<5), rows: RIFEKernels.taps(at: all.rows, inputSize: last.raw.h, scale: last.scale),
                             cols: RIFEKernels.taps(at: all.cols, inputSize: last.raw.w, scale: last.scale), out: logits)
        let output = RIFEKernels.warpAndMerge(source0, source1, flow: flow, logits: logits, out: pool.tensor([1, 3, h, w]))
        var flows = [flow]
        if keepIntermediates {
            flows = (1..<deltas.count).map { count in
                let partial = pool.tensor([1, 4, h, w])
                accumulatedFlow(Array(deltas.prefix(count)), rows: all.rows, cols: all.cols, full: nil, into: partial)
                return partial
            } + flows
        }
        clock.lap("merge")
        if profiling { stageSeconds = clock.laps }
        return Result(flows: flows, maskLogits: logits, output: output)
    }

    /// Rows (or columns) of a full-size map that bilinear shrinking by `scale` (a power of two ≥ 2) reads, in
    /// pairs: `scale·q + scale/2 − 1`, `scale·q + scale/2` for each output q.
    static func gridIndices(size: Int, scale: Int) -> [Int] {
        var indices: [Int] = []
        indices.reserveCapacity(2 * (size / scale))
        for q in 0..<(size / scale) {
            let first: Int = scale * q + scale / 2 - 1
            indices.append(first)
            indices.append(first + 1)
        }
        return indices
    }

    /// The reference's accumulated flow `F = up(d0)·s0 + up(d1)·s1 + …` (in that order) on the grid `rows` ×
    /// `cols`. `full` (F after fewer blocks on the whole frame), when the grid is the whole frame, saves re-adding
    /// the earlier terms.
    func accumulatedFlow(_ deltas: [(raw: Tensor, scale: Double)], rows: [Int], cols: [Int],
                         full: (flow: Tensor, blocks: Int)?, into out: Tensor) {
        var first = 0
        if let full, rows.count == full.flow.h, cols.count == full.flow.w, full.blocks <= deltas.count {
            out.copy(from: full.flow)
            first = full.blocks
        }
        let term = deltas.count > max(first, 1) ? pool.tensor(out.shape) : out
        for (k, delta) in deltas.enumerated() where k >= first {
            let direct = k == 0
            let target = direct ? out : term
            RIFEKernels.resample(delta.raw.channels(0..<4),
                                 rows: RIFEKernels.taps(at: rows, inputSize: delta.raw.h, scale: delta.scale),
                                 cols: RIFEKernels.taps(at: cols, inputSize: delta.raw.w, scale: delta.scale),
                                 out: target, multiplyBy: Float(delta.scale))
            if !direct {
                let p = out.pointer, q = target.pointer
                Parallel.forRanges(out.count, minimum: 1 << 16) { r in for i in r { p[i] += q[i] } }
            }
        }
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

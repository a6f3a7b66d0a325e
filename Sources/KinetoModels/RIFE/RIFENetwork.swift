import Foundation
import KinetoEngine

/// RIFE 4.25's flow network (`IFNet` of Practical-RIFE's `IFNet_HDv3.py`) on the engine.
///
/// Each of five blocks estimates a residual bidirectional flow at a coarser resolution from both frames warped by
/// the flow so far, their warped head features, the timestep, the previous mask and block features; the final
/// frame blends the two warped frames by a sigmoid mask. The arithmetic is the reference's, operator for operator;
/// only the order of evaluation differs, to touch less memory:
///
/// - Each frame is kept with its 4 head-feature channels (`[img | features]`, 7 channels) so one warp pass moves
///   both (from a pixel-interleaved copy, one 8-wide load per bilinear corner); a block's input is `[warped frame 0 + features, warped frame 1 + features, t, mask, block features,
///   flow]` (the first convolution's weights are permuted to match, see `RIFEWeights`).
/// - The reference builds each block's input at full size, then shrinks it by `s` (bilinear,
///   `align_corners=False`). For `s` a power of two ≥ 2 that reads exactly two rows and two columns per output
///   (rows `s·q + s/2 − 1` and `s·q + s/2`, weight ½ each), so the warps and the accumulated flow are evaluated
///   only on that grid: 4/s² of the work. The previous block's mask and features, enlarged by 2s and shrunk by s,
///   are that block's output doubled (the same values, rounded differently), so they are made at the block's size.
/// - Full-size inputs (s = 2 and 1) are built in bands of rows and consumed at once (shrunk, or fed to the
///   block's first, stride-2 convolution), so no 28-channel full-size tensor ever exists; the transposed
///   convolutions work on bands too.
/// - The last stage (flow, mask, warps, blend) runs on the unpadded frame only, in bands of rows that copy the
///   accumulated flow out of the whole-frame sum (unless the flows and mask are asked for).
/// - A frame is kept only interleaved (`PreparedFrame.packed`, 8 floats a pixel, what the warps read) and shrunk
///   for block 0; the planar frame and its head features are passing buffers of `prepare`, made one map at a
///   time. With the pool's large buffers serving requests of other sizes, memory grows with the frame by about
///   130-150 bytes a padded pixel (the two frames of a pair 64, the accumulated flow 16, the output 12, passing
///   buffers; 1.15 GB for 4K at scale 0.5, where it was 2.0 GB).
///
/// One instance serves one thread at a time; its tensor pool keeps the buffers of the last frame size.
public final class RIFENetwork: @unchecked Sendable {
    /// What one forward pass produced, at the frames' (unpadded) size.
    public struct Result {
        /// With `keepIntermediates`: the accumulated flow `[1, 4, h, w]` after each block (x, y towards frame 0,
        /// then x, y towards frame 1). Empty otherwise (the last stage then runs in bands and keeps no flow).
        public var flows: [Tensor]
        /// With `keepIntermediates`: the last block's mask before the sigmoid, `[1, 1, h, w]`; else `[1, 1, 0, 0]`.
        public var maskLogits: Tensor
        /// The interpolated frame `[1, 3, h, w]` (not clamped, as the reference).
        public var output: Tensor
    }

    public let weights: RIFEWeights
    /// Where every intermediate buffer comes from; reused from frame to frame.
    public let pool = TensorPool()
    /// Seconds spent in each stage of the last `forward` (head, block0…4, merge), when `profiling` is on.
    public private(set) var stageSeconds: [String: Double] = [:]
    public var profiling = false
    /// Seconds of the last `prepare`'s feature head, when `profiling` is on.
    public private(set) var headSeconds: Double = 0
    /// Rows of a full-size block input built at once (a 28-channel band of `bandRows × width`).
    public var bandRows = 64

    /// Pixels of a band of the last stage (flow, mask, warps and blend): a megapixel, 20 MB of flow and mask, and
    /// up to 720p the whole frame. Each band is split over the threads: fewer joins cost less when the cores are
    /// shared.
    public var lastStageBandPixels = 1 << 20

    /// Residual convolutions (blocks 1-4) over maps of at least this many 4×4 tiles run by Winograd F(4×4, 3×3);
    /// smaller maps keep im2col + GEMM. 0 forces Winograd, `Int.max` turns it off.
    public var winogradMinimumTiles = RIFENetwork.defaultWinogradMinimumTiles
    /// `KINETO_RIFE_WINOGRAD_TILES`, else 12: measured with `kineto bench models --threads 1 --profile` on the
    /// 2-core Zen 4, block 1's eight 128-channel layers take 6.7-7.4 ms by Winograd against 9.1-10.1 by im2col at
    /// 20 tiles (480p), 12.8-14.4 against 26.5-28.8 at 60 (720p), 5.8-6.3 against 7.2-7.7 at 15 (360p), and draw at
    /// 8 (448×256: 4.3-4.9 against 4.4).
    public static let defaultWinogradMinimumTiles =
        Int(ProcessInfo.processInfo.environment["KINETO_RIFE_WINOGRAD_TILES"] ?? "") ?? 12

    public init(weights: RIFEWeights) {
        self.weights = weights
    }

    /// The reference's `scale_list` for a `scale` (1: full detail; 0.5 for 4K; 2 or 4 for small frames).
    public static func scaleList(for scale: Double) -> [Double] {
        [16, 8, 4, 2, 1].map { $0 / scale }
    }

    /// A frame as `forward` reads it, made once by `prepare` (a frame shared by two consecutive pairs serves both).
    public struct PreparedFrame: @unchecked Sendable {
        /// The padded frame with its 4 head-feature channels, interleaved 8 floats a pixel (`RIFEKernels.interleave8`).
        public let packed: Tensor
        /// The same 7 channels shrunk by the first block's scale (block 0's part of the input).
        public let shrunk: Tensor
        public let paddedHeight: Int
        public let paddedWidth: Int
        /// The first block's scale `shrunk` was made for.
        public let firstScale: Double
    }

    /// `image` `[1, 3, h, w]` zero-padded to `paddedHeight × paddedWidth` (right and bottom), with the 4 channels
    /// of the feature head (`Head`) after it, interleaved and shrunk for the first of `scales`. The planar padded
    /// frame and its features are passing buffers (at 4K, 106 and 142 MB): only the interleaved copy is kept.
    public func prepare(_ image: Tensor, paddedHeight: Int, paddedWidth: Int, scales: [Double]) -> PreparedFrame {
        prepare(
            pixels: image.pointer, height: image.h, width: image.w, paddedHeight: paddedHeight,
            paddedWidth: paddedWidth, scales: scales)
    }

    /// `prepare` of an image given as its planes (`3 × height × width` floats, an `RGBImage`'s layout), read in
    /// place.
    public func prepare(
        pixels: UnsafePointer<Float>, height h: Int, width w: Int, paddedHeight: Int, paddedWidth: Int,
        scales: [Double]
    ) -> PreparedFrame {
        let frame = pool.tensor([1, 3, paddedHeight, paddedWidth])
        for c in 0..<3 {
            let dst = frame.pointer + c * paddedHeight * paddedWidth
            let src = pixels + c * h * w
            for row in 0..<h {
                (dst + row * paddedWidth).update(from: src + row * w, count: w)
                (dst + row * paddedWidth + w).update(repeating: 0, count: paddedWidth - w)
            }
            (dst + h * paddedWidth).update(repeating: 0, count: (paddedHeight - h) * paddedWidth)
        }
        var clock = Clock(enabled: profiling)
        let head = weights.head
        // One map at a time: each layer's input goes back to the pool as soon as its output is made (at 4K each
        // is 140 MB, as the features are).
        var map = head.conv0(frame)
        map = head.conv1(map)
        map = head.conv2(map)
        let features = pool.tensor([1, 4, paddedHeight, paddedWidth])
        head.up(map, shuffle: false, pool: pool, out: features)
        clock.lap("head")
        if profiling { headSeconds = clock.laps["head"] ?? 0 }
        let s = scales[0]
        let shrunk = pool.tensor([1, 7, Int(Double(paddedHeight) / s), Int(Double(paddedWidth) / s)])
        resample(frame, scale: 1 / s, into: shrunk.channels(0..<3))
        resample(features, scale: 1 / s, into: shrunk.channels(3..<7))
        let packed = pool.tensor([paddedHeight * paddedWidth * 8])
        RIFEKernels.interleave8([frame, features], into: packed.pointer)
        return PreparedFrame(
            packed: packed, shrunk: shrunk, paddedHeight: paddedHeight, paddedWidth: paddedWidth,
            firstScale: s)
    }

    /// Runs IFNet on two frames made by `prepare` (same padded size, multiples of 128 / scale as the reference
    /// pads, shrunk for `scales[0]`), and returns the results on the top-left `height × width` (the frames' real
    /// size).
    public func forward(
        _ frame0: PreparedFrame, _ frame1: PreparedFrame, height: Int, width: Int, timestep: Float,
        scales: [Double], keepIntermediates: Bool = false
    ) -> Result {
        precondition(scales.count == weights.blocks.count, "RIFE needs one scale per block")
        precondition(
            frame0.paddedHeight == frame1.paddedHeight && frame0.paddedWidth == frame1.paddedWidth
                && frame0.firstScale == scales[0] && frame1.firstScale == scales[0],
            "RIFE's frames were prepared for another size or scale")
        var clock = Clock(enabled: profiling)
        let (packed0, packed1) = (frame0.packed, frame1.packed)
        let (paddedHeight, paddedWidth) = (frame0.paddedHeight, frame0.paddedWidth)
        var state = PassState(h: paddedHeight, w: paddedWidth, packed0: packed0, packed1: packed1, timestep: timestep)
        for (index, block) in weights.blocks.enumerated() {
            let s = scales[index]
            let first: Tensor  // the output of the block's first convolution
            if index == 0 {
                // cat(img0, img1, f0, f1, t), shrunk: the frames with features, then the constant t.
                let small = pool.tensor([1, 15, frame0.shrunk.h, frame0.shrunk.w])
                small.channels(0..<7).copy(from: frame0.shrunk)
                small.channels(7..<14).copy(from: frame1.shrunk)
                small.channels(14..<15).fill(timestep)
                first = block.down0(small)
            } else if s == 1 || RIFENetwork.isHalving(s) {
                first = firstConvolutionOnBands(&state, block: block, scale: Int(s))
            } else {
                // s < 1 (scale 2 or 4, small frames): the full input, enlarged as the reference does.
                let rows = Array(0..<paddedHeight)
                let cols = Array(0..<paddedWidth)
                let x = pool.tensor([1, 28, rows.count, cols.count])
                buildInput(&state, rows: rows, cols: cols, into: x)
                let small = Ops.interpolate(x, scaleFactor: 1 / s)
                divide(small.channels(24..<28), by: Float(s))
                first = block.down0(small)
            }
            state.deltas.append((finish(block, first, last: index == weights.blocks.count - 1), s))
            clock.lap("block\(index)")
        }
        let last = state.deltas[state.deltas.count - 1]
        let output = pool.tensor([1, 3, height, width])
        var flows: [Tensor] = []
        var logits = Tensor(zeros: [1, 1, 0, 0])
        if keepIntermediates {
            let rows = Array(0..<height)
            let cols = Array(0..<width)
            let flow = pool.tensor([1, 4, height, width])
            accumulatedFlow(&state, count: state.deltas.count, rows: rows, cols: cols, into: flow)
            logits = pool.tensor([1, 1, height, width])
            RIFEKernels.resample(
                last.raw.channels(4..<5), rows: RIFEKernels.taps(at: rows, inputSize: last.raw.h, scale: last.scale),
                cols: RIFEKernels.taps(at: cols, inputSize: last.raw.w, scale: last.scale), out: logits)
            RIFEKernels.warpAndMerge(
                packed0.pointer, packed1.pointer, sourceHeight: paddedHeight,
                sourceWidth: paddedWidth, flow: flow, logits: logits, out: output)
            flows =
                (1..<state.deltas.count).map { count in
                    let partial = pool.tensor([1, 4, height, width])
                    accumulatedFlow(&state, count: count, rows: rows, cols: cols, into: partial)
                    return partial
                } + [flow]
        } else {
            // Bands of rows: the flow is copied out of the whole-frame sum (the same values as above), the mask
            // made per band; no full-size flow or mask of the unpadded frame is kept.
            let cols = Array(0..<width)
            let colTaps = RIFEKernels.taps(at: cols, inputSize: last.raw.w, scale: last.scale)
            let rowsPerBand = max(1, lastStageBandPixels / max(1, width))
            var r0 = 0
            while r0 < height {
                let r1 = min(height, r0 + rowsPerBand)
                let rows = Array(r0..<r1)
                let flow = pool.tensor([1, 4, rows.count, width])
                accumulatedFlow(&state, count: state.deltas.count, rows: rows, cols: cols, into: flow, wholeFrame: true)
                let bandLogits = pool.tensor([1, 1, rows.count, width])
                RIFEKernels.resample(
                    last.raw.channels(4..<5),
                    rows: RIFEKernels.taps(at: rows, inputSize: last.raw.h, scale: last.scale),
                    cols: colTaps, out: bandLogits)
                RIFEKernels.warpAndMerge(
                    packed0.pointer, packed1.pointer, sourceHeight: paddedHeight,
                    sourceWidth: paddedWidth, flow: flow, logits: bandLogits, out: output,
                    firstRow: r0)
                r0 = r1
            }
        }
        clock.lap("merge")
        if profiling { stageSeconds = clock.laps.merging(["head": headSeconds]) { a, _ in a } }
        return Result(flows: flows, maskLogits: logits, output: output)
    }

    /// What one pass carries from block to block.
    struct PassState {
        /// The padded frame's size.
        let h: Int
        let w: Int
        /// Both sources interleaved 8 floats a pixel (`RIFEKernels.interleave8`) for the warps.
        let packed0: Tensor
        let packed1: Tensor
        let timestep: Float
        /// Each finished block's raw output (13 channels at its resolution: flow delta, mask, features) and scale.
        var deltas: [(raw: Tensor, scale: Double)] = []
        /// The accumulated flow of the first `count` blocks on the whole padded frame, once a block needed it.
        var fullFlow: (flow: Tensor, count: Int)? = nil
    }

    static func isHalving(_ s: Double) -> Bool {
        s >= 2 && s == s.rounded() && Int(s) & (Int(s) - 1) == 0
    }

    /// Rows (or columns) of a full-size map that bilinear shrinking by `scale` (a power of two ≥ 2) reads for
    /// outputs `range`, in pairs: `scale·q + scale/2 − 1`, `scale·q + scale/2`.
    static func gridIndices(_ range: Range<Int>, scale: Int) -> [Int] {
        var indices: [Int] = []
        indices.reserveCapacity(2 * range.count)
        for q in range {
            let first: Int = scale * q + scale / 2 - 1
            indices.append(first)
            indices.append(first + 1)
        }
        return indices
    }

    /// Rows `range` of a block's input (28 channels) at the block's input resolution (the full frame shrunk by
    /// `scale`, 1 or a power of two): built at full size for scale 1, else on the grid the shrink reads, then
    /// halved.
    func inputRows(_ state: inout PassState, _ range: Range<Int>, scale: Int) -> Tensor {
        let w = state.w
        if scale == 1 {
            let x = pool.tensor([1, 28, range.count, w])
            buildInput(&state, rows: Array(range), cols: Array(0..<w), into: x)
            return x
        }
        let rows = RIFENetwork.gridIndices(range, scale: scale)
        let cols = RIFENetwork.gridIndices(0..<(w / scale), scale: scale)
        let x = pool.tensor([1, 28, rows.count, cols.count])
        let band = pool.tensor([1, 28, range.count, w / scale])
        let previous = state.deltas[state.deltas.count - 1]
        if previous.scale == Double(2 * scale) {
            // The previous block's mask and features, enlarged to full size by 2·scale and shrunk back by scale,
            // are that block's output doubled: the two grid samples an output averages lie on one linear piece
            // of the enlargement, whose mean is the doubling's sample (a different rounding, not a different
            // value). So they are made at the band's size, and t is constant: only warps and flow are halved.
            // The warps go straight to the band too, each grid pair averaged as it is made.
            buildInput(&state, rows: rows, cols: cols, into: x, features: false, warps: false)
            let (h, fullWidth) = (state.h, state.w)
            RIFEKernels.warpAndHalve(
                state.packed0.pointer, height: h, width: fullWidth, rows: rows, cols: cols,
                flow: x.channels(24..<26), out: band.channels(0..<7), pool: pool)
            RIFEKernels.warpAndHalve(
                state.packed1.pointer, height: h, width: fullWidth, rows: rows, cols: cols,
                flow: x.channels(26..<28), out: band.channels(7..<14), pool: pool)
            RIFEKernels.resample(
                previous.raw.channels(4..<13),
                rows: RIFEKernels.taps(at: Array(range), inputSize: previous.raw.h, scale: 2),
                cols: RIFEKernels.taps(at: Array(0..<(w / scale)), inputSize: previous.raw.w, scale: 2),
                out: band.channels(15..<24))
            band.channels(14..<15).fill(state.timestep)
            RIFEKernels.halve(
                x.channels(24..<28), into: band.channels(24..<28), rowOffset: 0, divideChannels: 0..<4,
                by: Float(scale))
        } else {
            buildInput(&state, rows: rows, cols: cols, into: x)
            RIFEKernels.halve(x, into: band, rowOffset: 0, divideChannels: 24..<28, by: Float(scale))
        }
        return band
    }

    /// The first (stride-2, 3×3, padding 1) convolution of a block on its input (the full frame shrunk by
    /// `scale`), computed band by band so the 28-channel input never exists whole: each band of input rows
    /// carries a two-row halo above it, and the output row the halo's zero padding spoils is dropped.
    func firstConvolutionOnBands(_ state: inout PassState, block: RIFEWeights.Block, scale: Int) -> Tensor {
        let (h, w) = (state.h / scale, state.w / scale)
        let conv = block.down0
        let first = pool.tensor([1, conv.outputChannels, (h + 1) / 2, (w + 1) / 2])
        // Bands of about `bandRows` full-size rows of 28 channels: an output row reads 2 input rows, built from
        // 2 full-size rows each (4 grid rows of 2w/s values when shrinking).
        let band = max(1, scale == 1 ? bandRows / 2 : bandRows * scale / 8)
        var r0 = 0
        while r0 < first.h {
            let r1 = min(first.h, r0 + band)
            let top = r0 == 0 ? 0 : 2 * r0 - 2
            let bottom = min(h, 2 * r1)
            let x = inputRows(&state, top..<bottom, scale: scale)
            let y = conv(x)
            let skip = r0 == 0 ? 0 : 1
            let plane = first.h * first.w
            let bandPlane = y.h * y.w
            for c in 0..<first.c {
                (first.pointer + c * plane + r0 * first.w).update(
                    from: y.pointer + c * bandPlane + skip * y.w,
                    count: (r1 - r0) * first.w)
            }
            r0 = r1
        }
        return first
    }

    /// A block's input at `rows` × `cols` of the full-size frame: frames with features warped by the flow so far,
    /// t, the previous block's mask and features, the flow.
    /// `features`: false leaves t, the mask and the features (channels 14..<24) unset; `warps`: false, the warped
    /// frames (channels 0..<14).
    func buildInput(
        _ state: inout PassState, rows: [Int], cols: [Int], into x: Tensor, features: Bool = true,
        warps: Bool = true
    ) {
        let flow = x.channels(24..<28)
        accumulatedFlow(&state, count: state.deltas.count, rows: rows, cols: cols, into: flow)
        let previous = state.deltas[state.deltas.count - 1]
        if features {
            RIFEKernels.resample(
                previous.raw.channels(4..<13),
                rows: RIFEKernels.taps(at: rows, inputSize: previous.raw.h, scale: previous.scale),
                cols: RIFEKernels.taps(at: cols, inputSize: previous.raw.w, scale: previous.scale),
                out: x.channels(15..<24))
            x.channels(14..<15).fill(state.timestep)
        }
        guard warps else { return }
        let (h, w) = (state.h, state.w)
        RIFEKernels.warpInterleaved(
            state.packed0.pointer, channels: 7, height: h, width: w, rows: rows, cols: cols,
            flow: flow.channels(0..<2), out: x.channels(0..<7))
        RIFEKernels.warpInterleaved(
            state.packed1.pointer, channels: 7, height: h, width: w, rows: rows, cols: cols,
            flow: flow.channels(2..<4), out: x.channels(7..<14))
    }

    /// The reference's accumulated flow after `count` blocks, `F = up(d0)·s0 + up(d1)·s1 + …` (in that order), on
    /// the grid `rows` × `cols`. A grid covering every column of the padded frame (bands of whole rows) reads a
    /// full-size flow kept across calls, extended by the newer blocks when needed; sparse grids sum the terms.
    /// `wholeFrame`: a contiguous rectangle that reads the full-size flow whatever its size (the last stage's bands).
    func accumulatedFlow(
        _ state: inout PassState, count: Int, rows: [Int], cols: [Int], into out: Tensor,
        wholeFrame: Bool = false
    ) {
        let (h, w) = (state.h, state.w)
        let rowsContiguous = rows.last! - rows.first! + 1 == rows.count
        let colsContiguous = cols.last! - cols.first! + 1 == cols.count
        let wholeRows =
            rowsContiguous && colsContiguous
            && (wholeFrame || cols.count == w || rows.count * cols.count >= h * w / 4)
        if !wholeRows || count == 0 {
            sumFlowTerms(state.deltas, count: count, rows: rows, cols: cols, into: out)
            return
        }
        if state.fullFlow == nil || state.fullFlow!.count > count {
            let flow = pool.tensor([1, 4, h, w])
            sumFlowTerms(state.deltas, count: count, rows: Array(0..<h), cols: Array(0..<w), into: flow)
            state.fullFlow = (flow, count)
        } else if state.fullFlow!.count < count {
            let flow = state.fullFlow!.flow
            for k in state.fullFlow!.count..<count {
                let delta = state.deltas[k]
                RIFEKernels.resample(
                    delta.raw.channels(0..<4),
                    rows: RIFEKernels.taps(at: Array(0..<h), inputSize: delta.raw.h, scale: delta.scale),
                    cols: RIFEKernels.taps(at: Array(0..<w), inputSize: delta.raw.w, scale: delta.scale),
                    out: flow, multiplyBy: Float(delta.scale), accumulate: true)
            }
            state.fullFlow = (flow, count)
        }
        // Copy the rectangle.
        let full = state.fullFlow!.flow
        for c in 0..<4 {
            let src = full.pointer + c * h * w + rows[0] * w + cols[0]
            let dst = out.pointer + c * rows.count * cols.count
            for r in 0..<rows.count { (dst + r * cols.count).update(from: src + r * w, count: cols.count) }
        }
    }

    /// `F` after `count` blocks on a grid, summing the upsampled terms in the reference's order.
    func sumFlowTerms(_ deltas: [(raw: Tensor, scale: Double)], count: Int, rows: [Int], cols: [Int], into out: Tensor)
    {
        for (k, delta) in deltas.prefix(count).enumerated() {
            RIFEKernels.resample(
                delta.raw.channels(0..<4),
                rows: RIFEKernels.taps(at: rows, inputSize: delta.raw.h, scale: delta.scale),
                cols: RIFEKernels.taps(at: cols, inputSize: delta.raw.w, scale: delta.scale),
                out: out, multiplyBy: Float(delta.scale), accumulate: k > 0)
        }
    }

    /// The rest of `IFBlock` after its first convolution: the second stride-2 convolution, eight residual
    /// convolutions, the transposed convolution and pixel shuffle: 13 channels at 4× the features' size.
    /// `last`: only the flow and mask channels are made (no block follows to read the features).
    func finish(_ block: RIFEWeights.Block, _ first: Tensor, last: Bool) -> Tensor {
        var feature = block.down1(first)
        for conv in block.residual {
            feature = conv(feature, winogradMinimumTiles: winogradMinimumTiles)
        }
        let raw = pool.tensor([1, last ? 5 : 13, 4 * feature.h, 4 * feature.w])
        block.up(feature, shuffle: true, pool: pool, out: raw)
        return raw
    }

    /// `interpolate(x, scale_factor: scale)` into `out` (a copy when the scale is 1, as PyTorch's is exact then).
    func resample(_ x: Tensor, scale: Double, into out: Tensor) {
        if scale == 1 { out.copy(from: x) } else { _ = Ops.interpolate(x, scaleFactor: scale, out: out) }
    }

    private func divide(_ t: Tensor, by s: Float) {
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

import Foundation
import KinetoEngine
import KinetoMedia

/// FeatureFlow as a `FrameInterpolator`: the middle frame (t = 0.5 only, as the network is trained) of two frames
/// of any size.
///
/// Frames are reflection-padded to a multiple of 8 (at least 16 pixels; the official code takes only such sizes
/// and its commented-out padding reflects too) and the result is cropped back. Large frames run in bounded memory:
/// BDCN's edges are computed in tiles with a margin of its whole receptive field (exact), and DetailEnhance, whose
/// several 64-channel full-resolution maps dominate the memory, in overlapping tiles whose centres are kept
/// (`detailTileCore`, `detailTileMargin`; the seam error is measured in the tests). StructureGen works at 1/8 size
/// and always sees the whole frame.
public final class FeatureFlowInterpolator: FrameInterpolator, @unchecked Sendable {
    public let name = "featureflow"
    public let supportsArbitraryTimestep = false
    public let network: FeatureFlowNetwork

    /// Frames (after padding) of at most this many pixels run DetailEnhance and BDCN whole.
    public var untiledPixels: Int
    /// Largest side of the kept centre of a DetailEnhance tile (a multiple of 8).
    public var detailTileCore: Int
    /// Context each side of a DetailEnhance tile that is computed and thrown away (a multiple of 8).
    public var detailTileMargin: Int

    public init(
        network: FeatureFlowNetwork, untiledPixels: Int = 512 * 512, detailTileCore: Int = 448,
        detailTileMargin: Int = 32
    ) {
        self.network = network
        self.untiledPixels = untiledPixels
        self.detailTileCore = max(8, detailTileCore / 8 * 8)
        self.detailTileMargin = max(0, detailTileMargin / 8 * 8)
    }

    public convenience init(weights: FeatureFlowWeightSource) throws {
        self.init(network: try FeatureFlowNetwork(weights: weights))
    }

    public func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage {
        guard first.width == second.width && first.height == second.height else {
            throw FeatureFlowError(
                "FeatureFlow needs two frames of one size; got \(first.width)×\(first.height) and \(second.width)×\(second.height)"
            )
        }
        guard abs(t - 0.5) < 1e-9 else {
            throw FeatureFlowError(
                "FeatureFlow only makes the middle frame (t = 0.5); got t = \(t) (other times come from recursive midpoints)"
            )
        }
        // RGB in [0, 1] → the official (x − 0.5) / 0.5.
        let img0 = network.pool.tensor([1, 3, first.height, first.width], values: first.pixels)
        let img1 = network.pool.tensor([1, 3, second.height, second.width], values: second.pixels)
        let out = run(
            Ops.affine(img0, scale: 2, shift: -1, out: img0), Ops.affine(img1, scale: 2, shift: -1, out: img1))
        let rgb = Ops.affine(out, scale: 0.5, shift: 0.5, out: out)
        return RGBImage(width: first.width, height: first.height, pixels: rgb.toArray())
    }

    /// Padded size of a frame side.
    public static func paddedSide(_ side: Int) -> Int {
        let m = FeatureFlowNetwork.sizeMultiple
        return max(16, (side + m - 1) / m * m)
    }

    /// The middle frame `[1, 3, H, W]` in [-1, 1] of frames `[1, 3, H, W]` in [-1, 1], any H and W.
    public func run(_ img0: Tensor, _ img1: Tensor) -> Tensor {
        let (h, w) = (img0.h, img0.w)
        let ph = Self.paddedSide(h)
        let pw = Self.paddedSide(w)
        func padded(_ x: Tensor) -> Tensor {
            let source = x.pool === network.pool ? x : network.pool.copy(x)
            if ph == h && pw == w { return source }
            let mode: PaddingMode = (ph - h < h && pw - w < w) ? .reflect : .replicate
            return Ops.pad(source, left: 0, right: pw - w, top: 0, bottom: ph - h, mode: mode)
        }
        let x0 = padded(img0)
        let x1 = padded(img1)
        let tiled = ph * pw > untiledPixels
        let edges = network.timed("bdcn") {
            tiled ? (tiledEdges(x0), tiledEdges(x1)) : (network.edges(x0), network.edges(x1))
        }
        let ref = network.coarseFrame(x0, x1, edges: edges)
        var out = network.timed("detail") {
            let out = tiled ? tiledDetail(x0, x1, ref) : network.detail(x0, x1, ref)
            return Ops.clamp(out, min: -1, max: 1, out: out)
        }
        if ph != h || pw != w { out = Ops.crop(out, top: 0, left: 0, height: h, width: w) }
        return out
    }

    /// A split of `0..<size` into kept ranges of at most `core` (multiples of 8 except maybe the last), each with
    /// its computed range extended by `margin` each side within `0..<size`.
    static func tiles(_ size: Int, core: Int, margin: Int) -> [(kept: Range<Int>, computed: Range<Int>)] {
        let count = max(1, (size + core - 1) / core)
        let step = ((size + count - 1) / count + 7) / 8 * 8
        var result: [(Range<Int>, Range<Int>)] = []
        var begin = 0
        while begin < size {
            let end = min(size, begin + step)
            result.append((begin..<end, max(0, begin - margin)..<min(size, end + margin)))
            begin = end
        }
        return result
    }

    /// The tiles of a frame (rows × columns) for a given core and margin.
    func grid(height: Int, width: Int, core: Int, margin: Int) -> [(
        rows: (kept: Range<Int>, computed: Range<Int>), cols: (kept: Range<Int>, computed: Range<Int>)
    )] {
        let rows = Self.tiles(height, core: core, margin: margin)
        let cols = Self.tiles(width, core: core, margin: margin)
        return rows.flatMap { r in cols.map { c in (r, c) } }
    }

    /// BDCN's edges of `x` `[1, 3, H, W]` (from the network's pool) in tiles of `detailTileCore` with a margin of
    /// BDCN's receptive field: the same numbers as on the whole frame, in less memory.
    public func tiledEdges(_ x: Tensor) -> Tensor {
        let result = Tensor.empty([1, 1, x.h, x.w], like: x)
        let margin = (BDCNEdgeDetector.receptiveRadius + 7) / 8 * 8
        for (r, c) in grid(height: x.h, width: x.w, core: detailTileCore, margin: margin) {
            let piece = Ops.crop(
                x, top: r.computed.lowerBound, left: c.computed.lowerBound,
                height: r.computed.count, width: c.computed.count)
            let edges = network.edges(piece)
            paste(edges, into: result, rows: r, cols: c)
        }
        return result
    }

    /// DetailEnhance in overlapping tiles.
    func tiledDetail(_ x0: Tensor, _ x1: Tensor, _ ref: Tensor) -> Tensor {
        let result = Tensor.empty([1, 3, x0.h, x0.w], like: x0)
        for (r, c) in grid(height: x0.h, width: x0.w, core: detailTileCore, margin: detailTileMargin) {
            func piece(_ t: Tensor) -> Tensor {
                Ops.crop(
                    t, top: r.computed.lowerBound, left: c.computed.lowerBound, height: r.computed.count,
                    width: c.computed.count)
            }
            let out = network.detail(piece(x0), piece(x1), piece(ref))
            paste(out, into: result, rows: r, cols: c)
        }
        return result
    }

    /// Copies the kept part of `tile` (computed over `rows.computed × cols.computed`) into `result`.
    func paste(
        _ tile: Tensor, into result: Tensor, rows: (kept: Range<Int>, computed: Range<Int>),
        cols: (kept: Range<Int>, computed: Range<Int>)
    ) {
        let dy = rows.kept.lowerBound - rows.computed.lowerBound
        let dx = cols.kept.lowerBound - cols.computed.lowerBound
        for ch in 0..<tile.c {
            let src = tile.pointer + ch * tile.h * tile.w
            let dst = result.pointer + ch * result.h * result.w
            for y in 0..<rows.kept.count {
                (dst + (rows.kept.lowerBound + y) * result.w + cols.kept.lowerBound)
                    .update(from: src + (dy + y) * tile.w + dx, count: cols.kept.count)
            }
        }
    }
}

/// A FeatureFlow request that cannot run (frame sizes, timestep, missing model), with what to do.
public struct FeatureFlowError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

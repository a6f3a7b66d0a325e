import CKinetoKernels
import Foundation

/// A 3×3, stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray, 2016): each 4×4 output
/// tile takes 36 multiplications per channel pair instead of 144, as 36 GEMMs `U_ξ · V_ξ` between the transformed
/// filters (`U = G g Gᵀ`, made once at load) and transformed 6×6 input tiles (`V = Bᵀ d B`), then `Y = Aᵀ M A`.
///
/// FeatureFlow spends nearly all its time in 3×3 convolutions (64 channels at full size, 512 at 1/8); this cuts
/// their arithmetic about 4× at a float32 error of the order of 1e-6 relative (checked by the golden test).
/// Padding (zeros, or reflection as `ReflectionPad2d(1)` before a `padding=0` convolution) is applied while the
/// input tiles are gathered, so the padded copy is never made. Bias, a residual and the activation are applied in
/// the output transform. `Conv2d` prepares one at load when its `ConvolutionPolicy` allows (`ConvolutionPlan`).
public struct WinogradConv3x3: @unchecked Sendable {
    public enum Padding: Sendable, Equatable { case zeros, reflect }

    /// `U`: `[36][K][C]`.
    let transformedWeight: [Float]
    let bias: [Float]?
    public let inputChannels: Int, outputChannels: Int
    public let padding: Padding
    let activation: Activation

    /// From a convolution with a 3×3 kernel, stride 1, dilation 1, one group and `padding` 1 (zeros), or 0 when
    /// `padding == .reflect` (the official `ReflectionPad2d(1)` + `Conv2d(padding=0)`).
    public init?(_ conv: Conv2d, padding: Padding) {
        let w = conv.weight
        guard w.rank == 4, w.shape[2] == 3, w.shape[3] == 3, conv.groups == 1,
            conv.window == Window2D(stride: 1, padding: padding == .zeros ? 1 : 0, dilation: 1)
        else { return nil }
        let (k, c) = (w.shape[0], w.shape[1])
        inputChannels = c
        outputChannels = k
        self.padding = padding
        activation = conv.activation
        bias = conv.bias?.toArray()
        // U = G f Gᵀ with G (6×3) for the points 0, ±1, ±2, ∞, in double; spread over the cores (StructureGen has
        // 40 layers of 512×512 filters).
        let g: [Double] = [
            1.0 / 4, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
            1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1,
        ]
        transformedWeight = WinogradConv3x3.transformedFilters(w, g: g)
    }

    /// `U = G f Gᵀ` for every filter `f` of `weight` `[K, C, 3, 3]`, `g` the n×3 matrix G row by row (n = 6 for
    /// F(4×4, 3×3), 4 for F(2×2, 3×3)), in double: `[n²][K][C]`, spread over the cores.
    static func transformedFilters(_ weight: Tensor, g: [Double]) -> [Float] {
        let (k, c, n) = (weight.shape[0], weight.shape[1], g.count / 3)
        var u = [Float](repeating: 0, count: n * n * k * c)
        let src = weight.pointer
        u.withUnsafeMutableBufferPointer { out in
            let dst = out.baseAddress!
            g.withUnsafeBufferPointer { gp in
                let g = gp.baseAddress!
                Parallel.forRanges(k) { range in
                    var t = [Double](repeating: 0, count: 3 * n)
                    t.withUnsafeMutableBufferPointer { tb in
                        let t = tb.baseAddress!
                        for o in range {
                            for i in 0..<c {
                                // G f (n×3), then · Gᵀ.
                                let f = src + (o * c + i) * 9
                                for r in 0..<n {
                                    for col in 0..<3 {
                                        t[r * 3 + col] =
                                            g[r * 3] * Double(f[col]) + g[r * 3 + 1] * Double(f[3 + col])
                                            + g[r * 3 + 2] * Double(f[6 + col])
                                    }
                                }
                                for r in 0..<n {
                                    for q in 0..<n {
                                        let value =
                                            t[r * 3] * g[q * 3] + t[r * 3 + 1] * g[q * 3 + 1] + t[r * 3 + 2]
                                            * g[q * 3 + 2]
                                        dst[((r * n + q) * k + o) * c + i] = Float(value)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return u
    }

    /// The convolution of `x` `[1, C, H, W]` (batch items one after another), optionally `+ residual` before the
    /// activation and `+ addAfterActivation` after it (a ResnetBlock's skip connection), into `out` if given (which
    /// may be a channel view).
    public func callAsFunction(
        _ x: Tensor, residual: Tensor? = nil, addAfterActivation: Tensor? = nil,
        out: Tensor? = nil, avx2: Bool = VectorKernels.avx2
    ) -> Tensor {
        let (h, w) = (x.h, x.w)
        let y = out ?? Tensor.empty([x.n, outputChannels, h, w], like: x)
        let tilesH = (h + 3) / 4
        let tilesW = (w + 3) / 4
        let c = inputChannels
        let k = outputChannels
        // Blocks of whole tile rows whose V and M (about 1 MB together) stay in a core's L2 between the transforms and
        // the GEMMs, but of at least 32 tiles (narrower GEMMs lose more than the cache gives: FeatureFlow's
        // 512-channel layers at 1/8 size), and at least one block per thread. On a 2-core Zen 4 (1 MB L2) `kineto
        // bench ops` measured 512 KB against the earlier 4 MB: Winograd 32→32 at 160×128 1.1-1.5 ms against 1.5-2.1,
        // 64→64 at 80×64 1.0-1.4 against 1.2-1.7; RIFE at 480p 12 % faster (median of 5 alternating runs each).
        let bytesPerTileRow = 36 * max(c, k) * tilesW * 4
        var rowsPerBlock = max((32 + tilesW - 1) / tilesW, (512 << 10) / max(1, bytesPerTileRow))
        rowsPerBlock = min(rowsPerBlock, max(1, (tilesH + Parallel.maxThreads - 1) / Parallel.maxThreads))
        let blocks = (tilesH + rowsPerBlock - 1) / rowsPerBlock
        let maxTiles = rowsPerBlock * tilesW
        let scratchPerBlock = 36 * c * maxTiles + 36 * k * maxTiles + Self.rowScratch(tilesW: tilesW)
        let threads = min(blocks, Parallel.maxThreads)
        let scratch = Tensor.empty([threads * scratchPerBlock], like: x)
        let claimed = ClaimCounter()
        for item in 0..<x.n {
            let input = x.pointer(item: item)
            let output = y.pointer(item: item)
            let skip = residual.map { $0.pointer(item: item) }
            let post = addAfterActivation.map { $0.pointer(item: item) }
            // Workers claim blocks as they finish one, so a thread the system pauses holds back one block only.
            claimed.reset()
            Parallel.forEach(threads) { worker in
                let base = scratch.pointer + worker * scratchPerBlock
                let v = base
                let m = v + 36 * c * maxTiles
                let rowBuffer = m + 36 * k * maxTiles
                let outRows = rowBuffer
                // The output rows, skip rows and post rows of a tile row the AVX2 output transform writes and reads.
                withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: 4) { rowPointers in
                    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 8) { inputPointers in
                        while let block = claimed.next(below: blocks) {
                            let ty0 = block * rowsPerBlock
                            let ty1 = min(tilesH, ty0 + rowsPerBlock)
                            let tiles = (ty1 - ty0) * tilesW
                            transformInput(
                                input, h: h, w: w, tilesW: tilesW, rows: ty0..<ty1, v: v, tiles: tiles,
                                rowBuffer: rowBuffer, avx2: avx2)
                            transformedWeight.withUnsafeBufferPointer { u in
                                for xi in 0..<36 {
                                    Gemm.sgemm(
                                        m: k, n: tiles, k: c, a: u.baseAddress! + xi * k * c, lda: c,
                                        b: v + xi * c * tiles, ldb: tiles, c: m + xi * k * tiles, ldc: tiles)
                                }
                            }
                            transformOutput(
                                m, tiles: tiles, output: output, skip: skip, post: post, h: h, w: w,
                                tilesW: tilesW, rows: ty0..<ty1, outRows: outRows,
                                rowPointers: rowPointers.baseAddress!,
                                inputPointers: inputPointers.baseAddress!, avx2: avx2)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Floats of per-worker scratch besides V and M: the portable input transform's six padded rows and partial
    /// transforms, or the AVX2 one's row of zeros and partial transforms; then the output transform's rows and partial
    /// transforms.
    static func rowScratch(tilesW: Int) -> Int {
        (4 * tilesW + 8) * 6 + 40 * (tilesW + 16)
    }

    /// `V[ξ][c][t] = (Bᵀ d B)` for the 6×6 input patch `d` of every tile `t` of tile rows `rows`.
    ///
    /// Vectorised across the tiles of a tile row: each padded input row is split into its four phases
    /// (`P_q[tx] = row[4·tx + q]`), so every transform step is a contiguous loop over the tiles.
    private func transformInput(
        _ input: UnsafePointer<Float>, h: Int, w: Int, tilesW: Int, rows: Range<Int>,
        v: UnsafeMutablePointer<Float>, tiles: Int, rowBuffer: UnsafeMutablePointer<Float>,
        avx2: Bool
    ) {
        let c = inputChannels
        let width = 4 * tilesW + 8
        let n = tilesW
        let pn = tilesW + 2
        let reflect = padding == .reflect
        @inline(__always) func sourceIndex(_ i: Int, _ size: Int) -> Int? {
            if i >= 0 && i < size { return i }
            if !reflect { return nil }
            if size == 1 { return 0 }
            let r = i < 0 ? -i : 2 * (size - 1) - i
            return r >= 0 && r < size ? r : nil
        }
        /// The padded input row `row` of `plane` (column j ↔ input column j − 1) into `line`.
        @inline(__always) func padRow(_ plane: UnsafePointer<Float>, _ row: Int, into line: UnsafeMutablePointer<Float>)
        {
            if let sr = sourceIndex(row, h) {
                let src = plane + sr * w
                line[0] = sourceIndex(-1, w).map { src[$0] } ?? 0
                (line + 1).update(from: src, count: w)
                for j in (w + 1)..<width { line[j] = sourceIndex(j - 1, w).map { src[$0] } ?? 0 }
            } else {
                line.update(repeating: 0, count: width)
            }
        }
        if avx2 {
            // The kernel reads the rows in place and pads their ends itself; rows above or below the frame are a
            // row of zeros (or the reflected row).
            let zeros = rowBuffer
            let hs = rowBuffer + width
            zeros.update(repeating: 0, count: w)
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 6) { lines in
                for ch in 0..<c {
                    let plane = input + ch * h * w
                    for ty in rows {
                        for r in 0..<6 {
                            lines[r] = sourceIndex(4 * ty - 1 + r, h).map { plane + $0 * w } ?? UnsafePointer(zeros)
                        }
                        let tileBase = (ty - rows.lowerBound) * tilesW
                        kineto_winograd_input_row_avx2(
                            lines.baseAddress!, Int64(w), reflect ? 1 : 0, Int64(tilesW), hs,
                            v + ch * tiles + tileBase, Int64(c * tiles))
                    }
                }
            }
            return
        }
        let hs = rowBuffer + 6 * width  // [6 rows][6][pn]
        for ch in 0..<c {
            let plane = input + ch * h * w
            for ty in rows {
                for r in 0..<6 {
                    // The padded input row, then its phases.
                    let line = rowBuffer + r * width
                    padRow(plane, 4 * ty - 1 + r, into: line)
                    // Horizontal transform straight from the row: stride-4 reads the vectoriser groups.
                    let d0 = line
                    let d1 = line + 1
                    let d2 = line + 2
                    let d3 = line + 3
                    let d4 = line + 4
                    let d5 = line + 5
                    let o = hs + r * 6 * pn
                    let o0 = o
                    let o1 = o + pn
                    let o2 = o + 2 * pn
                    let o3 = o + 3 * pn
                    let o4 = o + 4 * pn
                    let o5 = o + 5 * pn
                    // Four tiles at a time: a 4×4 transpose of 16 consecutive values gives the four phases, the
                    // next tile's first two values give a4, a5 (the row buffer has 8 values of slack).
                    var tx = 0
                    while tx + 4 <= n {
                        let base = line + 4 * tx
                        let (a0, a1, a2, a3) = WinogradConv3x3.transpose(
                            Self.load(base), Self.load(base + 4),
                            Self.load(base + 8), Self.load(base + 12))
                        let next = Self.load(base + 16)
                        let a4 = SIMD4<Float>(a0[1], a0[2], a0[3], next[0])
                        let a5 = SIMD4<Float>(a1[1], a1[2], a1[3], next[1])
                        Self.store(4 * a0 - 5 * a2 + a4, o0 + tx)
                        Self.store(-4 * (a1 + a2) + a3 + a4, o1 + tx)
                        Self.store(4 * (a1 - a2) - a3 + a4, o2 + tx)
                        Self.store(2 * (a3 - a1) - a2 + a4, o3 + tx)
                        Self.store(2 * (a1 - a3) - a2 + a4, o4 + tx)
                        Self.store(4 * a1 - 5 * a3 + a5, o5 + tx)
                        tx += 4
                    }
                    for tx in tx..<n {
                        let q = 4 * tx
                        let a0 = d0[q]
                        let a1 = d1[q]
                        let a2 = d2[q]
                        let a3 = d3[q]
                        let a4 = d4[q]
                        let a5 = d5[q]
                        o0[tx] = 4 * a0 - 5 * a2 + a4
                        o1[tx] = -4 * (a1 + a2) + a3 + a4
                        o2[tx] = 4 * (a1 - a2) - a3 + a4
                        o3[tx] = 2 * (a3 - a1) - a2 + a4
                        o4[tx] = 2 * (a1 - a3) - a2 + a4
                        o5[tx] = 4 * a1 - 5 * a3 + a5
                    }
                }
                // Vertical transform over the six rows, straight into V.
                let tileBase = (ty - rows.lowerBound) * tilesW
                let stride = c * tiles
                for s in 0..<6 {
                    let r0 = hs + s * pn
                    let r1 = r0 + 6 * pn
                    let r2 = r1 + 6 * pn
                    let r3 = r2 + 6 * pn
                    let r4 = r3 + 6 * pn
                    let r5 = r4 + 6 * pn
                    let out = v + s * stride + ch * tiles + tileBase
                    let v0 = out
                    let v1 = out + 6 * stride
                    let v2 = v1 + 6 * stride
                    let v3 = v2 + 6 * stride
                    let v4 = v3 + 6 * stride
                    let v5 = v4 + 6 * stride
                    for tx in 0..<n {
                        let a0 = r0[tx]
                        let a1 = r1[tx]
                        let a2 = r2[tx]
                        let a3 = r3[tx]
                        let a4 = r4[tx]
                        let a5 = r5[tx]
                        v0[tx] = 4 * a0 - 5 * a2 + a4
                        v1[tx] = -4 * (a1 + a2) + a3 + a4
                        v2[tx] = 4 * (a1 - a2) - a3 + a4
                        v3[tx] = 2 * (a3 - a1) - a2 + a4
                        v4[tx] = 2 * (a1 - a3) - a2 + a4
                        v5[tx] = 4 * a1 - 5 * a3 + a5
                    }
                }
            }
        }
    }

    /// `Y = Aᵀ M A` (+ bias, + residual, activation) written into the output rows of tile rows `rows`, vectorised
    /// across the tiles of a tile row like the input transform.
    private func transformOutput(
        _ m: UnsafeMutablePointer<Float>, tiles: Int, output: UnsafeMutablePointer<Float>,
        skip: UnsafeMutablePointer<Float>?, post: UnsafeMutablePointer<Float>?,
        h: Int, w: Int, tilesW: Int, rows: Range<Int>,
        outRows: UnsafeMutablePointer<Float>,
        rowPointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>,
        inputPointers: UnsafeMutablePointer<UnsafePointer<Float>?>, avx2: Bool
    ) {
        let k = outputChannels
        let stride = k * tiles
        let width = 4 * tilesW
        let n = tilesW
        let pn = tilesW + 2
        // The activations the AVX2 output transform applies itself (same bits as `applyInPlace`): none, or
        // LeakyReLU's slope.
        let fusedSlope: Float?? =
            switch activation {
            case .none: .some(nil)
            case .leakyReLU(let slope): .some(slope)
            default: nil
            }
        let partial = outRows + 4 * width  // [4 rows i][6 s][pn]
        // The AVX2 kernel writes finished rows straight into the output (activations it cannot apply: into
        // `outRows`, finished below like the portable path's).
        let skipPointers = inputPointers
        let postPointers = inputPointers + 4
        for ch in 0..<k {
            let b = bias?[ch] ?? 0
            for ty in rows {
                let tileBase = (ty - rows.lowerBound) * tilesW
                // Both passes: in one AVX2 call, or in the two portable loops below (skipped then).
                if avx2 {
                    for r in 0..<4 {
                        let oy = 4 * ty + r
                        guard oy < h else {
                            rowPointers[r] = nil
                            continue
                        }
                        let offset = (ch * h + oy) * w
                        rowPointers[r] = fusedSlope == nil ? outRows + r * width : output + offset
                        skipPointers[r] = skip.map { UnsafePointer($0 + offset) }
                        postPointers[r] = post.map { UnsafePointer($0 + offset) }
                    }
                    let slope = fusedSlope ?? nil
                    kineto_winograd_output_row_avx2(
                        m + ch * tiles + tileBase, Int64(stride), Int64(tilesW), b, partial,
                        rowPointers, fusedSlope != nil && skip != nil ? skipPointers : nil,
                        fusedSlope != nil && post != nil ? postPointers : nil, Int64(w),
                        slope == nil ? 0 : 1, slope ?? 1)
                    if fusedSlope != nil { continue }
                }
                // Vertical: rows of Aᵀ M for every column s.
                for s in 0..<6 where !avx2 {
                    let src = m + s * stride + ch * tiles + tileBase
                    let m0 = src
                    let m1 = src + 6 * stride
                    let m2 = m1 + 6 * stride
                    let m3 = m2 + 6 * stride
                    let m4 = m3 + 6 * stride
                    let m5 = m4 + 6 * stride
                    let q0 = partial + s * pn
                    let q1 = q0 + 6 * pn
                    let q2 = q1 + 6 * pn
                    let q3 = q2 + 6 * pn
                    for tx in 0..<n {
                        let a1 = m1[tx]
                        let a2 = m2[tx]
                        let a3 = m3[tx]
                        let a4 = m4[tx]
                        let sum12 = a1 + a2
                        let diff12 = a1 - a2
                        let sum34 = a3 + a4
                        let diff34 = a3 - a4
                        q0[tx] = m0[tx] + sum12 + sum34
                        q1[tx] = diff12 + 2 * diff34
                        q2[tx] = sum12 + 4 * sum34
                        q3[tx] = diff12 + 8 * diff34 + m5[tx]
                    }
                }
                // Horizontal: (Aᵀ M) A per output row, as four phases, then interleaved into the row.
                for i in 0..<4 where !avx2 {
                    let a = partial + i * 6 * pn
                    let c0 = a
                    let c1 = a + pn
                    let c2 = a + 2 * pn
                    let c3 = a + 3 * pn
                    let c4 = a + 4 * pn
                    let c5 = a + 5 * pn
                    let line = outRows + i * width
                    let vb = SIMD4<Float>(repeating: b)
                    var tx = 0
                    while tx + 4 <= n {
                        let a1 = Self.load(c1 + tx)
                        let a2 = Self.load(c2 + tx)
                        let a3 = Self.load(c3 + tx)
                        let a4 = Self.load(c4 + tx)
                        let sum12 = a1 + a2
                        let diff12 = a1 - a2
                        let sum34 = a3 + a4
                        let diff34 = a3 - a4
                        let (r0, r1, r2, r3) = WinogradConv3x3.transpose(
                            Self.load(c0 + tx) + sum12 + sum34 + vb, diff12 + 2 * diff34 + vb,
                            sum12 + 4 * sum34 + vb, diff12 + 8 * diff34 + Self.load(c5 + tx) + vb)
                        let q = line + 4 * tx
                        Self.store(r0, q)
                        Self.store(r1, q + 4)
                        Self.store(r2, q + 8)
                        Self.store(r3, q + 12)
                        tx += 4
                    }
                    for tx in tx..<n {
                        let a1 = c1[tx]
                        let a2 = c2[tx]
                        let a3 = c3[tx]
                        let a4 = c4[tx]
                        let sum12 = a1 + a2
                        let diff12 = a1 - a2
                        let sum34 = a3 + a4
                        let diff34 = a3 - a4
                        let q = 4 * tx
                        line[q] = c0[tx] + sum12 + sum34 + b
                        line[q + 1] = diff12 + 2 * diff34 + b
                        line[q + 2] = sum12 + 4 * sum34 + b
                        line[q + 3] = diff12 + 8 * diff34 + c5[tx] + b
                    }
                }
                for r in 0..<4 {
                    let oy = 4 * ty + r
                    guard oy < h else { break }
                    let line = output + (ch * h + oy) * w
                    let tmp = outRows + r * width
                    if let skip {
                        let add = skip + (ch * h + oy) * w
                        for j in 0..<w { line[j] = tmp[j] + add[j] }
                    } else {
                        line.update(from: tmp, count: w)
                    }
                    activation.applyInPlace(line, count: w, channel: ch)
                    if let post {
                        let add = post + (ch * h + oy) * w
                        for j in 0..<w { line[j] += add[j] }
                    }
                }
            }
        }
    }
}

extension WinogradConv3x3 {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { load(UnsafePointer(p)) }

    @inline(__always)
    static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// Rows ↔ columns of a 4×4 block.
    @inline(__always)
    static func transpose(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)
    {
        (
            SIMD4(a[0], b[0], c[0], d[0]), SIMD4(a[1], b[1], c[1], d[1]),
            SIMD4(a[2], b[2], c[2], d[2]), SIMD4(a[3], b[3], c[3], d[3])
        )
    }
}

extension Activation {
    /// The activation applied in place to `count` values of channel `channel`.
    @inline(__always)
    func applyInPlace(_ p: UnsafeMutablePointer<Float>, count: Int, channel: Int) {
        switch self {
        case .none: break
        case .relu: for i in 0..<count { p[i] = max(p[i], 0) }
        case .leakyReLU(let slope):
            for i in 0..<count {
                let v = p[i]
                p[i] = v < 0 ? v * slope : v
            }
        case .prelu(let weight):
            let slope = weight.count == 1 ? weight.pointer[0] : weight.pointer[channel]
            for i in 0..<count {
                let v = p[i]
                p[i] = v < 0 ? v * slope : v
            }
        case .sigmoid: for i in 0..<count { p[i] = 1 / (1 + Foundation.exp(-p[i])) }
        case .tanh: for i in 0..<count { p[i] = Foundation.tanh(p[i]) }
        }
    }
}

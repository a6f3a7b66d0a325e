/// Fills the part of a picture a moving head may uncover: first a smooth push–pull estimate (a pyramid of
/// background-weighted averages), then, near the known background, texture copied patch by patch from the
/// surrounding background (PatchMatch: random search and propagation of nearest-neighbour offsets, Barnes et al.
/// 2009), so the uncovered background has grain and edges instead of a blur.
enum ExemplarFill {
    /// `pixels` (planar RGB, `width × height`) with `hole` filled; pixels outside `hole` are kept. Texture is
    /// synthesized for hole pixels within `depth` pixels of the known area; deeper ones keep the smooth estimate.
    /// Pictures larger than `maxSide` are filled at a reduced size (whole-pixel factor) and the fill scaled back up:
    /// the search grows with the hole's area, and a 4000-pixel portrait spent nearly a minute here at full size.
    static func fill(
        _ pixels: [Float], hole: [Bool], width: Int, height: Int, depth: Float, iterations: Int = 4, seed: UInt64 = 1,
        maxSide: Int = 1024
    ) -> [Float] {
        let plane = width * height
        let factor = (max(width, height) + maxSide - 1) / maxSide
        if factor > 1 {
            let (w, h) = ((width + factor - 1) / factor, (height + factor - 1) / factor)
            let region = (Float(w * factor), Float(h * factor))
            func reduce(_ values: [Float], channels: Int) -> [Float] {
                ImageResampler.resample(
                    values, channels: channels, width: width, height: height, x: 0, y: 0, regionWidth: region.0,
                    regionHeight: region.1, outWidth: w, outHeight: h)
            }
            // A reduced pixel is hole where any of its pixels is.
            let smallHole = reduce(hole.map { $0 ? 1 : 0 }, channels: 1).map { $0 > 0 }
            let small = fill(
                reduce(pixels, channels: 3), hole: smallHole, width: w, height: h, depth: depth / Float(factor),
                iterations: iterations, seed: seed, maxSide: maxSide)
            let large = ImageResampler.resample(
                small, channels: 3, width: w, height: h, x: 0, y: 0, regionWidth: Float(width) / Float(factor),
                regionHeight: Float(height) / Float(factor), outWidth: width, outHeight: height)
            var out = pixels
            for c in 0..<3 { for i in 0..<plane where hole[i] { out[c * plane + i] = large[c * plane + i] } }
            return out
        }
        var out = pushPull(pixels, known: hole.map { !$0 }, width: width, height: height)
        let inside = ChamferDistance.toNearest(hole.map { !$0 }, width: width, height: height)
        // Hole pixels to synthesize, nearest the known area first (texture grows inward).
        var targets = (0..<plane).filter { hole[$0] && inside[$0] <= depth }
        targets.sort { inside[$0] < inside[$1] }
        guard !targets.isEmpty else { return out }
        let r = 2  // 5×5 patches
        // A source patch must lie wholly in the known area and in the picture.
        func validSource(_ x: Int, _ y: Int) -> Bool {
            guard x >= r, y >= r, x < width - r, y < height - r else { return false }
            return !hole[y * width + x] && inside[y * width + x] == 0 && !hole[(y - r) * width + x - r]
                && !hole[(y + r) * width + x + r]
                && !hole[(y - r) * width + x + r] && !hole[(y + r) * width + x - r]
        }
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func random(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(n, 1)))
        }
        let searchRadius = Float(max(width, height)) / 4
        var offsets = [SIMD2<Int32>](repeating: .zero, count: plane)
        var hasOffset = [Bool](repeating: false, count: plane)
        func distance(_ tx: Int, _ ty: Int, _ sx: Int, _ sy: Int, limit: Float) -> Float {
            var sum: Float = 0
            for dy in -r...r {
                let ty2 = min(max(ty + dy, 0), height - 1)
                let sy2 = sy + dy
                for dx in -r...r {
                    let tx2 = min(max(tx + dx, 0), width - 1)
                    let sx2 = sx + dx
                    let t = ty2 * width + tx2
                    let s = sy2 * width + sx2
                    for c in 0..<3 {
                        let d = out[c * plane + t] - out[c * plane + s]
                        sum += d * d
                    }
                }
                if sum > limit { return sum }
            }
            return sum
        }
        for iteration in 0..<iterations {
            let forward = iteration % 2 == 0
            let order = forward ? targets : targets.reversed()
            for i in order {
                let tx = i % width
                let ty = i / width
                var best: (x: Int, y: Int)? = nil
                var bestCost = Float.infinity
                func consider(_ x: Int, _ y: Int) {
                    guard validSource(x, y) else { return }
                    let cost = distance(tx, ty, x, y, limit: bestCost)
                    if cost < bestCost {
                        bestCost = cost
                        best = (x, y)
                    }
                }
                if hasOffset[i] { consider(tx + Int(offsets[i].x), ty + Int(offsets[i].y)) }
                // Propagation: a neighbour's offset, shifted.
                for (nx, ny) in forward ? [(tx - 1, ty), (tx, ty - 1)] : [(tx + 1, ty), (tx, ty + 1)] {
                    guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                    let n = ny * width + nx
                    if hasOffset[n] { consider(tx + Int(offsets[n].x), ty + Int(offsets[n].y)) }
                }
                // Random search around the best so far (or around the pixel at first), radius halving.
                var radius = searchRadius
                while radius >= 1 {
                    let cx = best?.x ?? tx
                    let cy = best?.y ?? ty
                    let span = Int(radius)
                    consider(cx + random(2 * span + 1) - span, cy + random(2 * span + 1) - span)
                    radius /= 2
                }
                if let best {
                    offsets[i] = SIMD2(Int32(best.x - tx), Int32(best.y - ty))
                    hasOffset[i] = true
                    let s = best.y * width + best.x
                    for c in 0..<3 { out[c * plane + i] = out[c * plane + s] }
                }
            }
        }
        return out
    }

    /// `pixels` with every pixel where `known` is false replaced by a smooth estimate from the known ones.
    static func pushPull(_ pixels: [Float], known: [Bool], width: Int, height: Int) -> [Float] {
        struct Level {
            var w: Int
            var h: Int
            var color: [Float]
            var weight: [Float]
        }
        let plane = width * height
        var weight = known.map { $0 ? Float(1) : 0 }
        var color = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 { for i in 0..<plane { color[c * plane + i] = pixels[c * plane + i] * weight[i] } }
        var levels = [Level(w: width, h: height, color: color, weight: weight)]
        while levels.last!.w > 1 || levels.last!.h > 1 {
            let prev = levels.last!
            let nw = (prev.w + 1) / 2
            let nh = (prev.h + 1) / 2
            var c2 = [Float](repeating: 0, count: 3 * nw * nh)
            var w2 = [Float](repeating: 0, count: nw * nh)
            for y in 0..<prev.h {
                for x in 0..<prev.w {
                    let i = y * prev.w + x
                    let j = (y / 2) * nw + x / 2
                    w2[j] += prev.weight[i]
                    for c in 0..<3 { c2[c * nw * nh + j] += prev.color[c * prev.w * prev.h + i] }
                }
            }
            levels.append(Level(w: nw, h: nh, color: c2, weight: w2))
        }
        // Pull: normalized colour at the coarsest level, then each finer level blends its own estimate with the coarser.
        var coarse = levels.last!
        for i in 0..<(coarse.w * coarse.h) {
            let wt = max(coarse.weight[i], 1e-6)
            for c in 0..<3 { coarse.color[c * coarse.w * coarse.h + i] /= wt }
        }
        var filled = coarse.color
        for index in stride(from: levels.count - 2, through: 0, by: -1) {
            let level = levels[index]
            let upper = levels[index + 1]
            var next = [Float](repeating: 0, count: 3 * level.w * level.h)
            let lp = level.w * level.h
            let upPlane = upper.w * upper.h
            filled.withUnsafeBufferPointer { coarse in
                for y in 0..<level.h {
                    for x in 0..<level.w {
                        let i = y * level.w + x
                        let own = min(level.weight[i], 1)
                        // Bilinear from the coarser level (nearest would leave blocks in large filled areas).
                        let cx = (Float(x) + 0.5) / 2 - 0.5
                        let cy = (Float(y) + 0.5) / 2 - 0.5
                        for c in 0..<3 {
                            let mine = level.weight[i] > 1e-6 ? level.color[c * lp + i] / level.weight[i] : 0
                            let fromAbove = ImageResampler.bilinearClamped(
                                coarse.baseAddress! + c * upPlane, upper.w, upper.h, cx, cy)
                            next[c * lp + i] = own * mine + (1 - own) * fromAbove
                        }
                    }
                }
            }
            filled = next
        }
        weight = []
        // Keep the true image wherever it is background.
        var out = filled
        for c in 0..<3 {
            for i in 0..<plane {
                let b: Float = known[i] ? 1 : 0
                out[c * plane + i] = b * pixels[c * plane + i] + (1 - b) * filled[c * plane + i]
            }
        }
        return out
    }
}

import KinetoMedia

/// The coloring stage's dense motion: a piecewise-affine warp on a fixed triangulation. Each output pixel inside a
/// moved triangle takes the colour at the corresponding (barycentric) point of the triangle at rest, bilinearly
/// sampled — inverse mapping, so every output pixel is written once per covering triangle and none is left as a hole
/// inside the mesh.
public struct PiecewiseAffineWarp: Sendable {
    /// Vertex indices of each triangle.
    public let triangles: [SIMD3<Int32>]

    public init(triangles: [SIMD3<Int32>]) {
        self.triangles = triangles
    }

    /// `image` warped so that its points `from[i]` move to `to[i]`; pixels outside every moved triangle keep
    /// `image`'s colour.
    public func warp(_ image: RGBImage, from: [SIMD2<Float>], to: [SIMD2<Float>]) -> RGBImage {
        var out = image
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                warp(
                    source: src.baseAddress!, into: dst.baseAddress!, channels: 3, width: image.width,
                    height: image.height,
                    from: from, to: to)
            }
        }
        return out
    }

    /// Warps `channels` planes of `width × height` floats (planar, like `RGBImage`) from `source` into `output`
    /// (same layout, not overlapping), so that `from[i]` (source pixels) lands at `to[i]` (output pixels). Output
    /// pixels outside every triangle are left untouched. `rows` limits the output rows written (for splitting a
    /// frame between threads). `order`: the triangles' drawing order (far to near, so where a turn folds the mesh
    /// the near side covers the far one); nil: as triangulated.
    public func warp(
        source: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, channels: Int, width: Int, height: Int,
        from: [SIMD2<Float>], to: [SIMD2<Float>], rows: Range<Int>? = nil, order: [Int]? = nil
    ) {
        let rowRange = rows ?? 0..<height
        let plane = width * height
        let maxX = Float(width - 1)
        let maxY = Float(height - 1)
        // Triangles turned over by the motion (a landmark crossing an anchor) are drawn first, so the triangles that
        // kept their orientation cover them instead of mirrored slivers showing.
        for pass in 0..<2 {
            for index in order ?? Array(triangles.indices) {
                let tri = triangles[index]
                let i0 = Int(tri.x)
                let i1 = Int(tri.y)
                let i2 = Int(tri.z)
                let d0 = to[i0]
                let d1 = to[i1]
                let d2 = to[i2]
                let e1 = d1 - d0
                let e2 = d2 - d0
                let det = e1.x * e2.y - e1.y * e2.x
                if abs(det) < 1e-8 { continue }
                let g1 = from[i1] - from[i0]
                let g2 = from[i2] - from[i0]
                let flipped = (g1.x * g2.y - g1.y * g2.x) * det < 0
                if flipped != (pass == 0) { continue }
                // (u, v) = inverse([e1 e2]) · (p − d0); source = s0 + u (s1 − s0) + v (s2 − s0).
                let inv = 1 / det
                let a = e2.y * inv
                let b = -e2.x * inv
                let c = -e1.y * inv
                let d = e1.x * inv
                let s0 = from[i0]
                let f1 = from[i1] - s0
                let f2 = from[i2] - s0
                let lo = pointwiseMin(d0, pointwiseMin(d1, d2))
                let hi = pointwiseMax(d0, pointwiseMax(d1, d2))
                let x0 = max(0, Int(lo.x.rounded(.up)))
                let x1 = min(width - 1, Int(hi.x.rounded(.down)))
                let y0 = max(rowRange.lowerBound, Int(lo.y.rounded(.up)))
                let y1 = min(rowRange.upperBound - 1, Int(hi.y.rounded(.down)))
                if x0 > x1 || y0 > y1 { continue }
                let eps: Float = 1e-5
                for y in y0...y1 {
                    let py = Float(y) - d0.y
                    // u and v are affine in x along the row: start values and steps.
                    var u = a * (Float(x0) - d0.x) + b * py
                    var v = c * (Float(x0) - d0.x) + d * py
                    let row = y * width
                    for x in x0...x1 {
                        if u >= -eps && v >= -eps && u + v <= 1 + eps {
                            var sx = s0.x + u * f1.x + v * f2.x
                            var sy = s0.y + u * f1.y + v * f2.y
                            sx = min(max(sx, 0), maxX)
                            sy = min(max(sy, 0), maxY)
                            let ix = min(Int(sx), width - 2 < 0 ? 0 : width - 2)
                            let iy = min(Int(sy), height - 2 < 0 ? 0 : height - 2)
                            let fx = sx - Float(ix)
                            let fy = sy - Float(iy)
                            let ix1 = min(ix + 1, width - 1)
                            let iy1 = min(iy + 1, height - 1)
                            let p00 = iy * width + ix
                            let p01 = iy * width + ix1
                            let p10 = iy1 * width + ix
                            let p11 = iy1 * width + ix1
                            let w00 = (1 - fx) * (1 - fy)
                            let w01 = fx * (1 - fy)
                            let w10 = (1 - fx) * fy
                            let w11 = fx * fy
                            var offset = 0
                            for _ in 0..<channels {
                                output[offset + row + x] =
                                    source[offset + p00] * w00 + source[offset + p01] * w01
                                    + source[offset + p10] * w10 + source[offset + p11] * w11
                                offset += plane
                            }
                        }
                        u += a
                        v += c
                    }
                }
            }
        }
    }
}

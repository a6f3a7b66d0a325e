/// Soft masks of closed polygons (mouth contours), with a feathered edge.
public enum PolygonMask {
    /// Whether `p` is inside the closed `polygon` (even–odd rule).
    public static func contains(_ polygon: [SIMD2<Float>], _ p: SIMD2<Float>) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[i]
            let b = polygon[j]
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }

    /// Distance from `p` to the polygon's outline.
    public static func distanceToEdge(_ polygon: [SIMD2<Float>], _ p: SIMD2<Float>) -> Float {
        var best = Float.infinity
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[j]
            let b = polygon[i]
            let ab = b - a
            let ap = p - a
            let t = min(max((ap * ab).sum() / max((ab * ab).sum(), 1e-12), 0), 1)
            let d = ap - t * ab
            best = min(best, (d * d).sum())
            j = i
        }
        return best.squareRoot()
    }

    /// Alpha of pixel centre `p`: 0 outside, rising to 1 over `feather` pixels inside the outline.
    @inline(__always)
    public static func alpha(_ polygon: [SIMD2<Float>], _ p: SIMD2<Float>, feather: Float) -> Float {
        guard contains(polygon, p) else { return 0 }
        return min(1, distanceToEdge(polygon, p) / max(feather, 1e-6))
    }

    /// Integer pixel bounds of the polygon, clipped to the image.
    public static func bounds(_ polygon: [SIMD2<Float>], width: Int, height: Int) -> (
        x0: Int, y0: Int, x1: Int, y1: Int
    )? {
        var lo = polygon[0]
        var hi = polygon[0]
        for p in polygon {
            lo = pointwiseMin(lo, p)
            hi = pointwiseMax(hi, p)
        }
        let x0 = max(0, Int(lo.x.rounded(.down)))
        let x1 = min(width - 1, Int(hi.x.rounded(.up)))
        let y0 = max(0, Int(lo.y.rounded(.down)))
        let y1 = min(height - 1, Int(hi.y.rounded(.up)))
        return x0 <= x1 && y0 <= y1 ? (x0, y0, x1, y1) : nil
    }
}

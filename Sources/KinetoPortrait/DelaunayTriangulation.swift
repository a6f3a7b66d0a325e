/// Delaunay triangulation of a point set (Bowyer–Watson), computed once per portrait: the mesh the warp moves.
///
/// Points closer than `minimumSeparation` to an earlier point are nudged apart first (a closed mouth puts the
/// inner-lip points on top of each other), so every input point stays a vertex.
public struct DelaunayTriangulation: Sendable {
    /// Vertex indices of each triangle, counter-clockwise in image coordinates (y down).
    public let triangles: [SIMD3<Int32>]
    /// The points as triangulated (after nudging).
    public let points: [SIMD2<Float>]

    public init(points input: [SIMD2<Float>], minimumSeparation: Float = 0.2) {
        var pts = input.map { SIMD2<Double>(Double($0.x), Double($0.y)) }
        // Nudge coincident points apart (grid hashing keeps this linear).
        let cell = Double(max(minimumSeparation, 1e-3)) * 4
        var grid: [SIMD2<Int>: [Int]] = [:]
        for i in pts.indices {
            var attempt = 0
            while true {
                let key = SIMD2(Int((pts[i].x / cell).rounded(.down)), Int((pts[i].y / cell).rounded(.down)))
                var clash = false
                for dx in -1...1 {
                    for dy in -1...1 {
                        for j in grid[SIMD2(key.x + dx, key.y + dy)] ?? [] {
                            let d = pts[i] - pts[j]
                            if (d * d).sum() < Double(minimumSeparation * minimumSeparation) { clash = true }
                        }
                    }
                }
                if !clash || attempt > 16 {
                    grid[key, default: []].append(i)
                    break
                }
                attempt += 1
                // Alternate directions so a pile of points spreads out.
                let step = Double(minimumSeparation) * 1.5
                pts[i] += attempt % 2 == 1 ? SIMD2(0.3 * step, step) : SIMD2(-step, 0.3 * step)
            }
        }
        points = pts.map { SIMD2(Float($0.x), Float($0.y)) }
        triangles = Self.bowyerWatson(pts)
    }

    private struct Triangle {
        var a, b, c: Int
        var center: SIMD2<Double>
        var radiusSquared: Double
    }

    private static func circumcircle(_ p: [SIMD2<Double>], _ a: Int, _ b: Int, _ c: Int) -> (SIMD2<Double>, Double) {
        let A = p[a]
        let B = p[b]
        let C = p[c]
        let d = 2 * (A.x * (B.y - C.y) + B.x * (C.y - A.y) + C.x * (A.y - B.y))
        if abs(d) < 1e-12 { return (A, .infinity) }
        let a2 = (A * A).sum()
        let b2 = (B * B).sum()
        let c2 = (C * C).sum()
        let ux = (a2 * (B.y - C.y) + b2 * (C.y - A.y) + c2 * (A.y - B.y)) / d
        let uy = (a2 * (C.x - B.x) + b2 * (A.x - C.x) + c2 * (B.x - A.x)) / d
        let center = SIMD2(ux, uy)
        let r = A - center
        return (center, (r * r).sum())
    }

    private static func bowyerWatson(_ input: [SIMD2<Double>]) -> [SIMD3<Int32>] {
        guard input.count >= 3 else { return [] }
        var p = input
        var lo = p[0]
        var hi = p[0]
        for q in p {
            lo = pointwiseMin(lo, q)
            hi = pointwiseMax(hi, q)
        }
        let span = max(hi.x - lo.x, hi.y - lo.y, 1)
        let mid = (lo + hi) / 2
        let n = p.count
        // A super-triangle enclosing everything.
        p.append(mid + SIMD2(-20 * span, -span))
        p.append(mid + SIMD2(20 * span, -span))
        p.append(mid + SIMD2(0, 20 * span))
        func make(_ a: Int, _ b: Int, _ c: Int) -> Triangle {
            let (center, r2) = circumcircle(p, a, b, c)
            return Triangle(a: a, b: b, c: c, center: center, radiusSquared: r2)
        }
        var triangles = [make(n, n + 1, n + 2)]
        for i in 0..<n {
            let q = p[i]
            var bad: [Int] = []
            for (t, tri) in triangles.enumerated() {
                let d = q - tri.center
                if (d * d).sum() < tri.radiusSquared * (1 + 1e-12) { bad.append(t) }
            }
            // The cavity's boundary: edges of bad triangles not shared by another bad triangle.
            var edgeCount: [SIMD2<Int>: Int] = [:]
            var edges: [SIMD2<Int>] = []
            for t in bad {
                let tri = triangles[t]
                for (u, v) in [(tri.a, tri.b), (tri.b, tri.c), (tri.c, tri.a)] {
                    let key = SIMD2(min(u, v), max(u, v))
                    edgeCount[key, default: 0] += 1
                    edges.append(SIMD2(u, v))
                }
            }
            for t in bad.reversed() {
                triangles.swapAt(t, triangles.count - 1)
                triangles.removeLast()
            }
            for e in edges where edgeCount[SIMD2(min(e.x, e.y), max(e.x, e.y))] == 1 {
                triangles.append(make(e.x, e.y, i))
            }
        }
        var result: [SIMD3<Int32>] = []
        for tri in triangles where tri.a < n && tri.b < n && tri.c < n {
            let A = input[tri.a]
            let B = input[tri.b]
            let C = input[tri.c]
            let area = (B.x - A.x) * (C.y - A.y) - (B.y - A.y) * (C.x - A.x)
            if abs(area) < 1e-9 { continue }
            result.append(
                area > 0
                    ? SIMD3(Int32(tri.a), Int32(tri.b), Int32(tri.c)) : SIMD3(Int32(tri.a), Int32(tri.c), Int32(tri.b)))
        }
        return result
    }
}

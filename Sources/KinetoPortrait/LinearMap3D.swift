/// A 3×3 linear map (rows of its matrix), fitted by least squares to centred point pairs: what is left of the
/// difference between two views of one face once the head's rotation is removed and that is not expression —
/// a different lens or distance, the landmark model reading depth differently at another angle, a stretched
/// picture. Relative retargeting removes it so that only the non-rigid part of the driver's change reaches the
/// portrait.
public struct LinearMap3D: Sendable, Equatable {
    public var rows: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)

    public static func == (a: LinearMap3D, b: LinearMap3D) -> Bool { a.rows == b.rows }

    public static let identity = LinearMap3D(rows: (SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)))

    public init(rows: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)) { self.rows = rows }

    public func apply(_ v: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3((rows.0 * v).sum(), (rows.1 * v).sum(), (rows.2 * v).sum())
    }

    /// The map `M` that minimises `Σ |M·from[i] − to[i]|² + λ‖M − I‖²` over centred point pairs, with `λ` = `ridge`
    /// times the points' scatter per axis (`Σ |from[i]|² / 3`): it pulls a poorly determined map (points nearly in a
    /// plane) toward the identity instead of letting it amplify the landmarks' noise.
    public static func fit(from: [SIMD3<Float>], to: [SIMD3<Float>], ridge: Float = 0.02) -> LinearMap3D {
        // M = (Σ to·fromᵀ + λI)(Σ from·fromᵀ + λI)⁻¹, in double.
        var a = [[Double]](repeating: [0, 0, 0], count: 3)  // Σ from·fromᵀ
        var b = [[Double]](repeating: [0, 0, 0], count: 3)  // Σ to·fromᵀ
        var norm = 0.0
        for (p, q) in zip(from, to) {
            for i in 0..<3 {
                norm += Double(p[i]) * Double(p[i])
                for j in 0..<3 {
                    a[i][j] += Double(p[i]) * Double(p[j])
                    b[i][j] += Double(q[i]) * Double(p[j])
                }
            }
        }
        let lambda = Double(ridge) * norm / 3
        for i in 0..<3 {
            a[i][i] += lambda
            b[i][i] += lambda
        }
        guard let inverse = invert3(a) else { return .identity }
        var m = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { m[i][j] += b[i][k] * inverse[k][j] } } }
        func row(_ r: [Double]) -> SIMD3<Float> { SIMD3(Float(r[0]), Float(r[1]), Float(r[2])) }
        return LinearMap3D(rows: (row(m[0]), row(m[1]), row(m[2])))
    }

    static func invert3(_ m: [[Double]]) -> [[Double]]? {
        let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1]
        let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2]
        let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0]
        let det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02
        guard abs(det) > 1e-12 else { return nil }
        let d = 1 / det
        return [
            [c00 * d, (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * d, (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * d],
            [c01 * d, (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * d, (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * d],
            [c02 * d, (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * d, (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * d],
        ]
    }
}

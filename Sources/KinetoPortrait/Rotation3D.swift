#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// A 3D rotation (rows of its matrix), fitted to point pairs with Horn's quaternion method: the head pose the
/// landmarks' depth (z) makes measurable — turning and nodding, not only tilting in the image plane.
public struct Rotation3D: Sendable, Equatable {
    public var rows: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)

    public static func == (a: Rotation3D, b: Rotation3D) -> Bool { a.rows == b.rows }

    public static let identity = Rotation3D(rows: (SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)))

    public init(rows: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)) { self.rows = rows }

    /// Rotation by `angle` radians about the z axis (in the image plane).
    public init(aboutZ angle: Float) {
        let c = cos(angle)
        let s = sin(angle)
        rows = (SIMD3(c, -s, 0), SIMD3(s, c, 0), SIMD3(0, 0, 1))
    }

    public func apply(_ v: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3((rows.0 * v).sum(), (rows.1 * v).sum(), (rows.2 * v).sum())
    }

    public var transposed: Rotation3D {
        Rotation3D(
            rows: (
                SIMD3(rows.0.x, rows.1.x, rows.2.x), SIMD3(rows.0.y, rows.1.y, rows.2.y),
                SIMD3(rows.0.z, rows.1.z, rows.2.z)
            ))
    }

    /// The rotation's turn within the image plane (radians), for things that move in 2D with the head.
    public var inPlaneAngle: Float { atan2(rows.1.x, rows.0.x) }

    /// The rotation that best turns the centred points `from` onto the centred points `to` (least squares).
    public static func fit(from: [SIMD3<Float>], to: [SIMD3<Float>]) -> Rotation3D {
        var s = [[Double]](repeating: [0, 0, 0], count: 3)
        for (a, b) in zip(from, to) {
            for i in 0..<3 { for j in 0..<3 { s[i][j] += Double(a[i]) * Double(b[j]) } }
        }
        let (xx, xy, xz, yx, yy, yz, zx, zy, zz) = (
            s[0][0], s[0][1], s[0][2], s[1][0], s[1][1], s[1][2], s[2][0], s[2][1], s[2][2]
        )
        let n: [[Double]] = [
            [xx + yy + zz, yz - zy, zx - xz, xy - yx],
            [yz - zy, xx - yy - zz, xy + yx, zx + xz],
            [zx - xz, xy + yx, -xx + yy - zz, yz + zy],
            [xy - yx, zx + xz, yz + zy, -xx - yy + zz],
        ]
        let q = largestEigenvector(n)
        let (w, x, y, z) = (q[0], q[1], q[2], q[3])
        func f(_ v: Double) -> Float { Float(v) }
        return Rotation3D(
            rows: (
                SIMD3(f(w * w + x * x - y * y - z * z), f(2 * (x * y - w * z)), f(2 * (x * z + w * y))),
                SIMD3(f(2 * (x * y + w * z)), f(w * w - x * x + y * y - z * z), f(2 * (y * z - w * x))),
                SIMD3(f(2 * (x * z - w * y)), f(2 * (y * z + w * x)), f(w * w - x * x - y * y + z * z))
            ))
    }

    /// The unit eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi rotations).
    static func largestEigenvector(_ input: [[Double]]) -> [Double] {
        var a = input
        var v: [[Double]] = (0..<4).map { i in (0..<4).map { $0 == i ? 1 : 0 } }
        for _ in 0..<50 {
            var off = 0.0
            for p in 0..<4 { for q in (p + 1)..<4 { off += a[p][q] * a[p][q] } }
            if off < 1e-22 { break }
            for p in 0..<4 {
                for q in (p + 1)..<4 where abs(a[p][q]) > 1e-300 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<4 {
                        let akp = a[k][p]
                        let akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<4 {
                        let apk = a[p][k]
                        let aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<4 {
                        let vkp = v[k][p]
                        let vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        var best = 0
        for i in 1..<4 where a[i][i] > a[best][best] { best = i }
        return (0..<4).map { v[$0][best] }
    }
}

extension Rotation3D {
    /// The rotation as axis × angle (radians): a 3-vector that can be filtered and blended component-wise.
    public var rotationVector: SIMD3<Float> {
        let (r0, r1, r2) = rows
        let cosine = min(max((r0.x + r1.y + r2.z - 1) / 2, -1), 1)
        let angle = acos(cosine)
        let axis = SIMD3(r2.y - r1.z, r0.z - r2.x, r1.x - r0.y)
        if angle < 1e-4 { return axis / 2 }
        let sine = sin(angle)
        return axis * (angle / (2 * max(sine, 1e-6)))
    }

    /// The rotation by `vector`'s length (radians) about its direction (Rodrigues' formula).
    public init(rotationVector v: SIMD3<Float>) {
        let angle = (v * v).sum().squareRoot()
        if angle < 1e-7 {
            self = .identity
            return
        }
        let k = v / angle
        let c = cos(angle)
        let s = sin(angle)
        let t = 1 - c
        rows = (
            SIMD3(c + k.x * k.x * t, k.x * k.y * t - k.z * s, k.x * k.z * t + k.y * s),
            SIMD3(k.y * k.x * t + k.z * s, c + k.y * k.y * t, k.y * k.z * t - k.x * s),
            SIMD3(k.z * k.x * t - k.y * s, k.z * k.y * t + k.x * s, c + k.z * k.z * t)
        )
    }
}

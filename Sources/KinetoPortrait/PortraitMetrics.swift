#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// Quality measures of an animation, from the landmark model run again on every output frame.
public struct PortraitMetrics: Sendable, Equatable, Codable {
    /// Average keypoint distance: mean distance between the retargeted landmarks and those detected on the output
    /// frame, in pixels of a 256-pixel output (scaled by 256 / output side), over frames where a face was found.
    public var akd: Double
    /// The worst frame's AKD.
    public var akdMax: Double
    /// Output frames in which the landmark model found a face again, and frames measured.
    public var framesRedetected: Int
    public var framesMeasured: Int
    /// Identity: shape distance (RMS over the identity points, face-size units, 3D head pose removed) between the
    /// portrait's normalized face and the face detected on the output, averaged over frames.
    public var identityDistance: Double
    /// The same distance between the portrait's face and the driving face: what copying the driver's shape
    /// (absolute mode, "identity mismatch") would cost.
    public var drivingIdentityDistance: Double
    /// The same distance between the face detected on the output and the driving frame's face: identity is kept
    /// when the output is nearer the portrait (`identityDistance`) than the driver.
    public var outputToDrivingDistance: Double
    /// Temporal jitter: mean norm of the second difference of each landmark over consecutive frames, in 256-pixel
    /// units — of the landmarks detected on the output, and of the retargeted landmarks the output was made from.
    public var outputJitter: Double
    public var retargetedJitter: Double
}

/// Accumulates `PortraitMetrics` frame by frame.
public struct PortraitMetricsAccumulator: Sendable {
    let portrait: [SIMD3<Float>]
    /// Output side → 256-pixel units.
    let unit: Float
    private var akdSum = 0.0, akdMax = 0.0, identitySum = 0.0, drivingIdentitySum = 0.0, outputDrivingSum = 0.0
    private var outputDrivingCount = 0
    private var redetected = 0, measured = 0, drivingCount = 0
    private var history: [[SIMD2<Float>]] = [], retargetedHistory: [[SIMD2<Float>]] = []
    private var jitterSum = 0.0, jitterCount = 0, retargetedJitterSum = 0.0, retargetedJitterCount = 0

    /// `portrait`: the portrait's landmarks (with depth); `outputSide`: the output's longer side in pixels.
    public init(portrait: [SIMD3<Float>], outputSide: Int) {
        self.portrait = portrait
        unit = 256 / Float(outputSide)
    }

    /// One output frame: the landmarks it was made from, those detected on it (nil: no face found), and the
    /// driving frame's (nil: none).
    public mutating func add(retargeted: [SIMD2<Float>], detected detected3D: [SIMD3<Float>]?, driving: [SIMD3<Float>]?)
    {
        measured += 1
        Self.secondDifference(
            &retargetedHistory, retargeted, unit: unit, sum: &retargetedJitterSum, count: &retargetedJitterCount)
        if let driving {
            drivingIdentitySum += Double(NormalizedFace.shapeDistance3D(portrait, driving))
            drivingCount += 1
        }
        guard let detected3D else {
            history = []
            return
        }
        let detected = detected3D.map { SIMD2($0.x, $0.y) }
        redetected += 1
        var sum: Float = 0
        for (a, b) in zip(retargeted, detected) {
            let d = a - b
            sum += (d * d).sum().squareRoot()
        }
        let akd = Double(sum / Float(retargeted.count) * unit)
        akdSum += akd
        akdMax = max(akdMax, akd)
        identitySum += Double(NormalizedFace.shapeDistance3D(portrait, detected3D))
        if let driving {
            outputDrivingSum += Double(NormalizedFace.shapeDistance3D(driving, detected3D))
            outputDrivingCount += 1
        }
        Self.secondDifference(&history, detected, unit: unit, sum: &jitterSum, count: &jitterCount)
    }

    private static func secondDifference(
        _ history: inout [[SIMD2<Float>]], _ points: [SIMD2<Float>], unit: Float,
        sum: inout Double, count: inout Int
    ) {
        history.append(points)
        if history.count > 3 { history.removeFirst() }
        guard history.count == 3 else { return }
        var total: Float = 0
        for i in points.indices {
            let d = history[2][i] - 2 * history[1][i] + history[0][i]
            total += (d * d).sum().squareRoot()
        }
        sum += Double(total / Float(points.count) * unit)
        count += 1
    }

    public var metrics: PortraitMetrics {
        PortraitMetrics(
            akd: redetected > 0 ? akdSum / Double(redetected) : .nan, akdMax: akdMax,
            framesRedetected: redetected, framesMeasured: measured,
            identityDistance: redetected > 0 ? identitySum / Double(redetected) : .nan,
            drivingIdentityDistance: drivingCount > 0 ? drivingIdentitySum / Double(drivingCount) : .nan,
            outputToDrivingDistance: outputDrivingCount > 0 ? outputDrivingSum / Double(outputDrivingCount) : .nan,
            outputJitter: jitterCount > 0 ? jitterSum / Double(jitterCount) : .nan,
            retargetedJitter: retargetedJitterCount > 0 ? retargetedJitterSum / Double(retargetedJitterCount) : .nan)
    }
}

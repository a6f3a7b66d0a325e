import Foundation
import KinetoPortrait
import Testing

/// The sketch stage's math on synthetic landmarks (no models needed).
@Suite struct RetargetingTests {
    let portrait = syntheticFace(center: SIMD2(120, 140), width: 50, height: 65, seed: 1)
    let driver = syntheticFace(center: SIMD2(300, 200), width: 90, height: 100, seed: 2)

    /// The reference driving frame itself maps to the portrait unchanged, in both modes for the portrait as driver.
    @Test func referenceFrameGivesThePortrait() {
        let retargeter = LandmarkRetargeter(portrait: portrait, reference: driver, mode: .relative)
        let (landmarks, head) = retargeter.retarget(driver)
        #expect(maxDistance(landmarks, portrait) < 1e-3)
        #expect(abs(head.rotation) < 1e-5 && abs(head.scale - 1) < 1e-5)
        let absolute = LandmarkRetargeter(portrait: portrait, reference: portrait, mode: .absolute)
        #expect(maxDistance(absolute.retarget(portrait).landmarks, portrait) < 1e-3)
    }

    /// A driver turning 0.2 rad about its face centre turns the portrait's landmarks 0.2 rad about its centre;
    /// moving and growing the driver moves and grows the portrait in proportion to the face sizes.
    @Test func rigidDriverMotionMovesThePortraitRigidly() {
        let retargeter = LandmarkRetargeter(portrait: portrait, reference: driver, mode: .relative)
        let driverCenter = NormalizedFace(driver).center
        let portraitCenter = NormalizedFace(portrait).center
        let (turned, head) = retargeter.retarget(rotated(driver, by: 0.2, about: driverCenter))
        #expect(abs(head.rotation - 0.2) < 1e-4)
        #expect(maxDistance(turned, rotated(portrait, by: 0.2, about: portraitCenter)) < 1e-2)

        // Shift by a tenth of the driver's face size and scale 1.1: the portrait shifts a tenth of its own size.
        let driverSize = NormalizedFace(driver).size
        let portraitSize = NormalizedFace(portrait).size
        let moved = driver.map { driverCenter + 1.1 * ($0 - driverCenter) + SIMD2(0.1 * driverSize, 0) }
        let (out, motion) = retargeter.retarget(moved)
        let expected = portrait.map { portraitCenter + 1.1 * ($0 - portraitCenter) + SIMD2(0.1 * portraitSize, 0) }
        #expect(abs(motion.scale - 1.1) < 1e-4)
        #expect(maxDistance(out, expected) < 1e-2)
    }

    /// Relative mode keeps the portrait's shape and adds the driver's expression change; absolute mode copies the
    /// driver's shape (identity mismatch).
    @Test func relativeKeepsIdentityAbsoluteCopiesTheDriver() {
        // An expression: the inner lower lip drops by 5% of the driver's face size.
        let size = NormalizedFace(driver).size
        var open = driver
        for i in [14, 87, 178, 88, 95, 317, 402, 318, 324] { open[i].y += 0.05 * size }

        let relative = LandmarkRetargeter(portrait: portrait, reference: driver, mode: .relative).retarget(open)
            .landmarks
        let portraitSize = NormalizedFace(portrait).size
        // Unmoved landmarks stay where the portrait has them; moved ones move by 5% of the portrait's face size.
        // (The moved points shift the rigid fit a little, hence the tolerance.)
        #expect(abs((relative[14].y - portrait[14].y) - 0.05 * portraitSize) < 0.01 * portraitSize)
        #expect(abs(relative[10].y - portrait[10].y) < 0.01 * portraitSize)
        #expect(NormalizedFace(portrait).shapeDistance(to: NormalizedFace(relative)) < 0.01)

        let absolute = LandmarkRetargeter(portrait: portrait, reference: driver, mode: .absolute).retarget(open)
            .landmarks
        #expect(NormalizedFace(open).shapeDistance(to: NormalizedFace(absolute)) < 1e-4)
        #expect(NormalizedFace(portrait).shapeDistance(to: NormalizedFace(absolute)) > 0.05)
        // Both put the face where the portrait's is.
        #expect(maxDistance([NormalizedFace(absolute).center], [NormalizedFace(portrait).center]) < 0.5)
    }

    /// A new shot of the driver is stretched (another lens or distance: 8% wider, depth read 25% shallower); later in
    /// that shot the mouth opens. With the shot's stretch (measured on its first frame) removed, the portrait keeps
    /// its own shape and only the mouth opens; without, the portrait's face takes on the stretch.
    @Test func newShotStretchIsNotExpression() {
        let portrait = syntheticFace3D(center: SIMD2(120, 140), width: 50, height: 65, seed: 1)
        let driver = syntheticFace3D(center: SIMD2(300, 200), width: 90, height: 100, seed: 2)
        let driverCenter =
            FaceMeshRegions.rigid.map { driver[$0] }.reduce(.zero, +) / Float(FaceMeshRegions.rigid.count)
        let size = NormalizedFace(driver.map { SIMD2($0.x, $0.y) }).size
        let newShot = driver.map { p -> SIMD3<Float> in
            let d = p - driverCenter
            return driverCenter + SIMD3(1.08 * d.x, d.y, 0.75 * d.z)
        }
        var later = newShot
        let lowerLip = [14, 87, 178, 88, 95, 317, 402, 318, 324]
        for i in lowerLip { later[i].y += 0.05 * size }
        let retargeter = LandmarkRetargeter(portrait: portrait, reference: driver)
        let out = retargeter.apply(retargeter.motion(later, unstretch: retargeter.stretch(newShot))).landmarks
        let kept = retargeter.apply(retargeter.motion(later)).landmarks
        let portrait2D = portrait.map { SIMD2($0.x, $0.y) }
        let portraitSize = NormalizedFace(portrait2D).size
        let identity = FaceMeshRegions.identity.filter { !lowerLip.contains($0) }
        let distance = NormalizedFace(portrait2D).shapeDistance(to: NormalizedFace(out), indices: identity)
        let stretched = NormalizedFace(portrait2D).shapeDistance(to: NormalizedFace(kept), indices: identity)
        #expect(distance < 0.01, "shape distance \(distance)")
        #expect(stretched > 0.02, "shape distance with the stretch kept \(stretched)")
        #expect(abs((out[14].y - portrait[14].y) - 0.05 * portraitSize) < 0.01 * portraitSize)
    }

    /// The mouth opening measure grows when the inner lips part.
    @Test func mouthOpeningMeasure() {
        let size = NormalizedFace(driver).size
        var closed = driver
        for (upper, lower) in FaceMeshRegions.mouthGaps { closed[lower] = closed[upper] }
        var open = closed
        for (upper, lower) in FaceMeshRegions.mouthGaps { open[lower] = open[upper] + SIMD2(0, 0.1 * size) }
        #expect(NormalizedFace(closed).mouthOpening < 1e-6)
        #expect(abs(NormalizedFace(open).mouthOpening - 0.1) < 1e-3)
    }
}

/// The 3D-aware pose: head turns measured from the landmarks' depth.
@Suite struct HeadPose3DTests {
    /// Horn's method recovers a known rotation exactly.
    @Test func rotationFitRecoversAKnownRotation() {
        let points = syntheticFace3D(center: .zero, width: 1, height: 1.2, seed: 3)
        let turnedPoints = turned(points, by: 0.3, about: .zero)
        let fit = Rotation3D.fit(from: points, to: turnedPoints)
        var worst: Float = 0
        for (a, b) in zip(points, turnedPoints) {
            worst = max(worst, ((fit.apply(a) - b) * (fit.apply(a) - b)).sum().squareRoot())
        }
        #expect(worst < 1e-4)
        #expect(
            abs(Rotation3D.fit(from: points, to: points.map { Rotation3D(aboutZ: -0.4).apply($0) }).inPlaneAngle + 0.4)
                < 1e-4)
    }

    /// A driver turning its head 0.3 rad sideways turns the portrait's own 3D landmarks by 0.3 rad: the output is
    /// the portrait's face seen turned, not the driver's face (no expression is invented from the turn).
    @Test func sidewaysTurnTurnsThePortraitIn3D() {
        let portrait = syntheticFace3D(center: SIMD2(120, 140), width: 50, height: 65, seed: 1)
        let driver = syntheticFace3D(center: SIMD2(300, 200), width: 90, height: 100, seed: 2)
        let retargeter = LandmarkRetargeter(portrait: portrait, reference: driver)
        func centroid(_ points: [SIMD3<Float>]) -> SIMD3<Float> {
            FaceMeshRegions.rigid.map { points[$0] }.reduce(.zero, +) / Float(FaceMeshRegions.rigid.count)
        }
        let (out, head) = retargeter.retarget(turned(driver, by: 0.3, about: centroid(driver)))
        // The driver's rigid centroid moves in z only, so the portrait's stays put; compare about it.
        let expected = turned(portrait, by: 0.3, about: centroid(portrait)).map { SIMD2($0.x, $0.y) }
        #expect(maxDistance(out, expected) < 0.05)
        #expect(abs(head.rotation) < 1e-3)
        // The 2D-only similarity would have had to squash the face instead.
        let flat = LandmarkRetargeter(
            portrait: portrait.map { SIMD2($0.x, $0.y) }, reference: driver.map { SIMD2($0.x, $0.y) })
        let (squashed, _) = flat.retarget(turned(driver, by: 0.3, about: centroid(driver)).map { SIMD2($0.x, $0.y) })
        #expect(maxDistance(squashed, expected) > 1)
    }
}

import Foundation
import KinetoModels
import KinetoPortrait
import Testing

/// The driver's normalisation on synthetic 3D landmarks (no models needed): cuts, zoom limit, lost faces.
@Suite struct DriverNormalizerTests {
    let portrait = syntheticFace3D(center: SIMD2(128, 120), width: 50, height: 62, seed: 1)
    let driver = syntheticFace3D(center: SIMD2(300, 220), width: 80, height: 96, seed: 2)

    func scaled(_ points: [SIMD3<Float>], _ s: Float, about c: SIMD2<Float>, shift: SIMD2<Float> = .zero) -> [SIMD3<
        Float
    >] {
        points.map { SIMD3(c.x + s * ($0.x - c.x) + shift.x, c.y + s * ($0.y - c.y) + shift.y, s * $0.z) }
    }

    func eyeDistance(_ l: [SIMD2<Float>]) -> Float {
        func mean(_ idx: [Int]) -> SIMD2<Float> { idx.map { l[$0] }.reduce(.zero, +) / Float(idx.count) }
        let d = mean([33, 133, 160, 159, 158, 144, 145, 153]) - mean([362, 263, 387, 386, 385, 373, 374, 380])
        return (d * d).sum().squareRoot()
    }

    /// A cut to a 2× close-up, then a slow 1.5× zoom: the portrait's face size stays within ±15% and never changes
    /// by more than 5% from one frame to the next (without the normaliser it doubles at the cut, then triples).
    @Test func cutAndZoomKeepTheFraming() {
        var normalizer = DriverNormalizer(portrait: portrait, reference: driver, maxZoom: 1.15)
        let rest = eyeDistance(normalizer.retargeter.apply(.rest(count: 468)).landmarks)
        let c = SIMD2<Float>(300, 220)
        var ratios: [Float] = []
        var raw: [Float] = []
        for i in 0..<125 {
            let t = Double(i) / 25
            let s: Float = i < 50 ? 1 + 0.03 * Float(sin(t * 3)) : i < 75 ? 2 : 2 * (1 + 0.5 * Float(i - 74) / 50)
            let frame = scaled(driver, s, about: c, shift: SIMD2(i < 50 ? 0 : -40, 0))
            let motion = normalizer.next(frame, at: t)
            ratios.append(eyeDistance(normalizer.retargeter.apply(motion).landmarks) / rest)
            raw.append(eyeDistance(normalizer.retargeter.retarget(frame).landmarks) / rest)
        }
        #expect(normalizer.cuts == 1)
        #expect(ratios.allSatisfy { $0 > 0.85 && $0 < 1.15 }, "\(ratios.min()!)-\(ratios.max()!)")
        let steps = zip(ratios, ratios.dropFirst()).map { abs($1 / $0 - 1) }
        #expect(steps.max()! <= 0.05, "largest step \(steps.max()!)")
        // The raw retargeting (what animate did before) doubles at the cut and reaches 3×.
        #expect(raw.max()! > 2.5)
    }

    /// Without a limit (nil), a slow zoom is followed.
    @Test func noLimitFollowsTheZoom() {
        var normalizer = DriverNormalizer(portrait: portrait, reference: driver, maxZoom: nil)
        var last = LandmarkRetargeter.Motion.rest(count: 468)
        for i in 0..<50 {
            last = normalizer.next(scaled(driver, 1 + 0.3 * Float(i) / 49, about: SIMD2(300, 220)), at: Double(i) / 25)
        }
        #expect(abs(last.scale - 1.3) < 0.03)
        #expect(normalizer.cuts == 0)
    }

    /// A face lost mid-clip: the last motion holds for half a second, then eases back to rest; when the face comes
    /// back elsewhere, the portrait continues from where it is (no jump).
    @Test func lostFaceHoldsThenEasesBack() {
        var normalizer = DriverNormalizer(portrait: portrait, reference: driver)
        var motion = LandmarkRetargeter.Motion.rest(count: 468)
        for i in 0..<25 {
            motion = normalizer.next(scaled(driver, 1, about: .zero, shift: SIMD2(Float(i), 0)), at: Double(i) / 25)
        }
        let before = motion.translation.x
        #expect(before > 5)
        var held: [Float] = []
        for i in 25..<75 { held.append(normalizer.next(nil, at: Double(i) / 25).translation.x) }
        // Held for 0.5 s (12 frames), then easing back, at rest after 1.1 s.
        #expect(held.prefix(12).allSatisfy { abs($0 - before) < 1e-4 })
        #expect(abs(held.last!) < 1e-3)
        #expect(zip(held, held.dropFirst()).allSatisfy { $1 <= $0 + 1e-5 })
        // The face returns 100 px to the right: re-anchored, the portrait starts from rest.
        let back = normalizer.next(scaled(driver, 1, about: .zero, shift: SIMD2(100, 0)), at: 3)
        #expect(abs(back.translation.x) < 0.5)
        #expect(normalizer.cuts == 1)
    }

    /// A rigid head motion (shift, turn in the image, scale) leaves the expression unchanged: pose does not leak
    /// into the mouth.
    @Test func rigidMotionIsNotExpression() {
        var normalizer = DriverNormalizer(portrait: portrait, reference: driver)
        let c = SIMD2<Float>(300, 220)
        var worst: Float = 0
        var perLandmark: Float = 0
        let retargeter = LandmarkRetargeter(portrait: portrait, reference: driver)
        var filters = [OneEuroFilter](repeating: OneEuroFilter(), count: 468 * 3)
        for i in 0..<50 {
            let t = Float(i) / 25
            let angle = 0.1 * sin(t * 4)
            let s = 1 + 0.06 * sin(t * 3)
            let frame = driver.map { p -> SIMD3<Float> in
                let d = SIMD2(p.x - c.x, p.y - c.y)
                let r = SIMD2(cos(angle) * d.x - sin(angle) * d.y, sin(angle) * d.x + cos(angle) * d.y)
                return SIMD3(c.x + s * r.x + 10 * sin(t * 5), c.y + s * r.y, s * p.z)
            }
            let motion = normalizer.next(frame, at: Double(t))
            worst = max(worst, motion.expression.map { ($0 * $0).sum().squareRoot() }.max()!)
            // What animate did before: each landmark filtered on its own (FaceTracker's smoothing), then split.
            var smoothed = frame
            for k in smoothed.indices {
                for axis in 0..<3 {
                    smoothed[k][axis] = Float(filters[k * 3 + axis].filter(Double(frame[k][axis]), at: Double(t)))
                }
            }
            perLandmark = max(
                perLandmark, retargeter.motion(smoothed).expression.map { ($0 * $0).sum().squareRoot() }.max()!)
        }
        #expect(worst < 0.01, "largest expression change \(worst) face sizes")
        #expect(perLandmark > 2 * worst, "per-landmark filtering: \(perLandmark)")
    }

    /// The landmark model's frame-to-frame noise (±0.4% of the face size on every point) barely moves the portrait,
    /// while a real expression (the lower lip down by 10% of the face size) comes through all but whole.
    @Test func noiseIsGatedExpressionPasses() {
        func run(noise: Float, lip: Float, gate: Float) -> (largest: Float, lip: Float) {
            var normalizer = DriverNormalizer(portrait: portrait, reference: driver)
            normalizer.expressionNoise = gate
            var state: UInt64 = 7
            func random() -> Float {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 24) * 2 - 1
            }
            // The face size the normaliser measures in: the rigid points' RMS distance from their centroid.
            let rigid = FaceMeshRegions.rigid.map { driver[$0] }
            let centroid = rigid.reduce(.zero, +) / Float(rigid.count)
            let size = (rigid.map { (($0 - centroid) * ($0 - centroid)).sum() }.reduce(0, +) / Float(rigid.count))
                .squareRoot()
            var largest: Float = 0
            var lower: Float = 0
            for i in 0..<50 {
                let t = Double(i) / 25
                let opening = lip * size * Float(min(1, Double(i) / 10))
                var frame = driver.map { $0 + noise * size * SIMD3(random(), random(), 0) }
                for k in FaceMeshRegions.innerLips[11...19] { frame[k].y += opening }
                let motion = normalizer.next(frame, at: t)
                largest = max(largest, motion.expression.map { ($0 * $0).sum().squareRoot() }.max()!)
                lower = motion.expression[14].y
            }
            return (largest, lower)
        }
        let gated = run(noise: 0.004, lip: 0, gate: 0.008).largest
        let ungated = run(noise: 0.004, lip: 0, gate: 0).largest
        #expect(gated < 0.5 * ungated, "noise: \(gated) face sizes gated, \(ungated) not")
        let passed = run(noise: 0.004, lip: 0.1, gate: 0.008).lip
        let full = run(noise: 0.004, lip: 0.1, gate: 0).lip
        print("noise gate: noise \(gated) face sizes gated, \(ungated) not; lip \(passed) gated, \(full) not")
        #expect(passed > 0.95 * full && full > 0.05, "lip: \(passed) gated, \(full) not")
    }
}

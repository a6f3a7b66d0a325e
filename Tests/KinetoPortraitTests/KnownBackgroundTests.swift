import Foundation
import KinetoMedia
import KinetoModels
import KinetoPipeline
import KinetoPortrait
import KinetoTestSupport
import Testing

/// Self-reenactment with a known background, end to end (tracking, normalizing, rendering), as
/// scripts/eval-portrait measures it at 512², here at 256² on one case: a person cut out of obama.jpg with the
/// segmentation model is laid over a frame of samples/tree.avi and moved as a layer (shift, scale ±10%, turn ±8°).
/// Frame 0 is the portrait; the ideal output is the clip itself.
@Suite(.serialized) struct KnownBackgroundTests {
    @Test func movedPersonIsFollowedWithoutHalo() throws {
        let scene = try KnownBackgroundScene()
        let (person, background, alpha, models) = (scene.person, scene.background, scene.alpha, scene.models)
        let n = 256
        let plane = n * n
        let pivot = SIMD2<Float>(128, 100)

        /// The person layer moved by `shift`, `scale` and `angle` about `pivot`, over the background, and its
        /// silhouette (alpha > 0.5).
        func frame(shift: SIMD2<Float>, scale: Float, angle: Float) -> (image: RGBImage, silhouette: [Bool]) {
            var pixels = [Float](repeating: 0, count: 3 * plane)
            var silhouette = [Bool](repeating: false, count: plane)
            alpha.withUnsafeBufferPointer { a in
                person.pixels.withUnsafeBufferPointer { p in
                    for y in 0..<n {
                        for x in 0..<n {
                            let d = (SIMD2(Float(x), Float(y)) - pivot - shift) / scale
                            let s =
                                pivot + SIMD2(cos(angle) * d.x + sin(angle) * d.y, -sin(angle) * d.x + cos(angle) * d.y)
                            let m = ImageResampler.bilinearClamped(a.baseAddress!, n, n, s.x, s.y)
                            let i = y * n + x
                            silhouette[i] = m > 0.5
                            for c in 0..<3 {
                                let v = ImageResampler.bilinearClamped(p.baseAddress! + c * plane, n, n, s.x, s.y)
                                pixels[c * plane + i] = m * v + (1 - m) * background.pixels[c * plane + i]
                            }
                        }
                    }
                }
            }
            return (RGBImage(width: n, height: n, pixels: pixels), silhouette)
        }
        let frames = 16
        let motions = (0..<frames).map { k -> (shift: SIMD2<Float>, scale: Float, angle: Float) in
            let t = Float(k) / 25
            return (
                SIMD2(10 * sin(2 * .pi * t / 1.0), 6 * sin(2 * .pi * t / 0.7)), 1 + 0.1 * sin(2 * .pi * t / 0.85),
                8 * .pi / 180 * sin(2 * .pi * t / 1.15)
            )
        }
        let clip = motions.map { frame(shift: $0.shift, scale: $0.scale, angle: $0.angle) }
        let portrait = clip[0].image
        let rig = try PortraitAnimator.preparePortrait(
            portrait, path: "composite", crop: .none, size: n, models: models
        ).rig
        let tracker = models.makeTracker(smoothing: false)
        var normalizer: DriverNormalizer?

        var facePSNR: [Double] = []
        var stillPSNR: [Double] = []
        var halos: [Float] = []
        for (k, (truth, silhouette)) in clip.enumerated() {
            let landmarks = try #require(try tracker.track(truth, at: Double(k) / 25)?.landmarks)
            if normalizer == nil { normalizer = DriverNormalizer(portrait: rig.landmarks3D, reference: landmarks) }
            let motion = normalizer!.next(landmarks, at: Double(k) / 25)
            let (moved, head) = normalizer!.retargeter.apply(motion)
            let output = rig.render(landmarks: moved, head: head)
            guard k > 0 else { continue }
            // Face region: the portrait's landmarks moved as the layer was, their box 15% larger.
            let m = motions[k]
            let trueFace = rig.landmarks.map { p -> SIMD2<Float> in
                let d = p - pivot
                return pivot + m.shift
                    + m.scale * SIMD2(cos(m.angle) * d.x - sin(m.angle) * d.y, sin(m.angle) * d.x + cos(m.angle) * d.y)
            }
            var lo = trueFace[0]
            var hi = trueFace[0]
            for p in trueFace {
                lo = pointwiseMin(lo, p)
                hi = pointwiseMax(hi, p)
            }
            let centre = (lo + hi) / 2
            let half = 1.15 * max(hi.x - lo.x, hi.y - lo.y) / 2
            func psnr(_ image: RGBImage) -> Double {
                var sum = 0.0
                var count = 0
                for y in max(0, Int(centre.y - half))..<min(n, Int(centre.y + half)) {
                    for x in max(0, Int(centre.x - half))..<min(n, Int(centre.x + half)) {
                        for c in 0..<3 {
                            let d = Double(
                                255 * (image.pixels[c * plane + y * n + x] - truth.pixels[c * plane + y * n + x]))
                            sum += d * d
                        }
                        count += 3
                    }
                }
                return 10 * log10(255 * 255 / max(sum / Double(count), 1e-9))
            }
            facePSNR.append(psnr(output))
            stillPSNR.append(psnr(portrait))
            // Halo: the band 2-12 px outside the true silhouette (3-25 px at 512²), outside the first one too.
            let distance = ChamferDistance.toNearest(silhouette, width: n, height: n)
            var sum: Float = 0
            var count = 0
            for i in 0..<plane where distance[i] >= 2 && distance[i] <= 12 && !clip[0].silhouette[i] {
                for c in 0..<3 { sum += 255 * abs(output.pixels[c * plane + i] - truth.pixels[c * plane + i]) }
                count += 3
            }
            if count > 0 { halos.append(sum / Float(count)) }
        }
        let face = facePSNR.reduce(0, +) / Double(facePSNR.count)
        let still = stillPSNR.reduce(0, +) / Double(stillPSNR.count)
        let halo = halos.reduce(0, +) / Float(halos.count)
        print("known background, 256²: face PSNR \(face) dB (still frame \(still)), halo \(halo) grey levels")
        // Measured 22.9 dB (still frame 16.0) and a halo of 2.0 grey levels; the goal of scripts/eval-portrait
        // (24 dB) is not reached. Margins: 0.5 dB and 0.5 grey levels.
        #expect(face >= 22.4, "face PSNR \(face) dB")
        #expect(face >= still + 6, "face PSNR \(face) dB, still frame \(still)")
        #expect(halo <= 2.5, "halo \(halo) grey levels")
    }
}

import Foundation
import KinetoMedia
import KinetoModels
import KinetoPipeline
import KinetoPortrait
import KinetoTestSupport
import Testing

/// The whole-picture warp against a ground truth with a known background: a person (obama.jpg's head and
/// shoulders, cut out with the segmentation model) over a real background (a frame of samples/tree.avi), the head
/// moved by a known similarity. Outside the silhouettes the background must stay as it is: no halo.
@Suite(.serialized) struct HaloTests {
    @Test func movedHeadLeavesNoHalo() throws {
        let scene = try KnownBackgroundScene()
        let (person, background, alpha, models) = (scene.person, scene.background, scene.alpha, scene.models)
        let n = 256
        let plane = n * n
        var composite = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            for i in 0..<plane {
                composite[c * plane + i] =
                    alpha[i] * person.pixels[c * plane + i] + (1 - alpha[i]) * background.pixels[c * plane + i]
            }
        }
        let portrait = RGBImage(width: n, height: n, pixels: composite)
        let rig = try PortraitAnimator.preparePortrait(
            portrait, path: "composite", crop: .none, size: n, models: models
        ).rig

        // The head moves as a rigid layer: shift, turn, a little larger.
        let head = HeadMotion(center: rig.face.center, translation: SIMD2(7, -4), rotation: 0.06, scale: 1.04)
        let moved = rig.landmarks.map { head.apply($0) }
        let output = rig.render(landmarks: moved, head: head)

        // Ground truth: the person layer moved by the same similarity over the still background.
        func inverse(_ p: SIMD2<Float>) -> SIMD2<Float> {
            let d = (p - head.center - head.translation) / head.scale
            let a = -head.rotation
            return head.center + SIMD2(cos(a) * d.x - sin(a) * d.y, sin(a) * d.x + cos(a) * d.y)
        }
        var truth = [Float](repeating: 0, count: 3 * plane)
        var silhouette = [Bool](repeating: false, count: plane)
        var silhouette0 = [Bool](repeating: false, count: plane)
        alpha.withUnsafeBufferPointer { a in
            person.pixels.withUnsafeBufferPointer { p in
                for y in 0..<n {
                    for x in 0..<n {
                        let s = inverse(SIMD2(Float(x), Float(y)))
                        let m = ImageResampler.bilinearClamped(a.baseAddress!, n, n, s.x, s.y)
                        let i = y * n + x
                        silhouette[i] = m > 0.5
                        silhouette0[i] = alpha[i] > 0.5
                        for c in 0..<3 {
                            let v = ImageResampler.bilinearClamped(p.baseAddress! + c * plane, n, n, s.x, s.y)
                            truth[c * plane + i] = m * v + (1 - m) * background.pixels[c * plane + i]
                        }
                    }
                }
            }
        }
        // The band 3-25 px outside the moved silhouette, outside the first one too, above the chin (the warp moves
        // the head, not the shoulders, so only the head's surroundings have a ground truth).
        let distance = ChamferDistance.toNearest(silhouette, width: n, height: n)
        let chin = moved[152].y
        var sum: Float = 0
        var count = 0
        for y in 0..<Int(chin) {
            for x in 0..<n {
                let i = y * n + x
                guard distance[i] >= 3, distance[i] <= 25, !silhouette0[i] else { continue }
                for c in 0..<3 { sum += abs(output.pixels[c * plane + i] - truth[c * plane + i]) }
                count += 3
            }
        }
        #expect(count > 3000)
        let halo = sum / Float(count) * 255
        #expect(halo <= 3, "halo \(halo) grey levels over \(count / 3) pixels")
    }
}

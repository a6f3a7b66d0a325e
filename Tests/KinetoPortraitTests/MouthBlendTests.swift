import Foundation
import KinetoPortrait
import Testing

/// The mouth fill meets the warped picture in the gradient domain: no step or feathered ring at the lips.
@Suite struct MouthBlendTests {
    let width = 64
    let height = 48
    /// An ellipse (the inner lips) in the middle of the picture.
    var mouth: [SIMD2<Float>] {
        (0..<24).map { k in
            let a = Float(k) * 2 * Float.pi / 24
            return SIMD2(32 + 18 * cos(a), 24 + 10 * sin(a))
        }
    }

    /// The warped picture: a smooth ramp; the fill: brighter, with its own texture (teeth and tongue).
    func picture(_ x: Int, _ y: Int) -> SIMD3<Float> {
        SIMD3(0.30 + 0.004 * Float(x), 0.25 + 0.003 * Float(y), 0.20)
    }

    func fill(_ p: SIMD2<Float>) -> SIMD3<Float> {
        let texture = 0.06 * sin(p.x * 0.9) * cos(p.y * 0.7)
        return SIMD3(0.75 + texture, 0.70 + texture, 0.65 - texture)
    }

    func blended(_ blend: MouthFiller.Blend) -> [Float] {
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for y in 0..<height {
            for x in 0..<width {
                let v = picture(x, y)
                for c in 0..<3 { pixels[c * plane + y * width + x] = v[c] }
            }
        }
        pixels.withUnsafeMutableBufferPointer {
            MouthFiller.blend(
                $0.baseAddress!, width: width, height: height, region: mouth, strength: 1, feather: 4, blend: blend,
                source: fill)
        }
        return pixels
    }

    /// Mean error, over neighbouring pixel pairs within 5 pixels of the lips, between the result's difference and
    /// the wanted one (the fill's own inside or across the lips, the picture's outside), per channel.
    func seamGradientError(_ pixels: [Float]) -> Float {
        let plane = width * height
        func inside(_ x: Int, _ y: Int) -> Bool { PolygonMask.contains(mouth, SIMD2(Float(x), Float(y))) }
        func value(_ x: Int, _ y: Int) -> SIMD3<Float> {
            let i = y * width + x
            return SIMD3(pixels[i], pixels[plane + i], pixels[2 * plane + i])
        }
        var sum: Float = 0
        var count = 0
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                for (dx, dy) in [(1, 0), (0, 1)] {
                    let (qx, qy) = (x + dx, y + dy)
                    let p = SIMD2(Float(x), Float(y))
                    guard PolygonMask.distanceToEdge(mouth, p) < 5 else { continue }
                    let wanted =
                        inside(x, y) || inside(qx, qy)
                        ? fill(SIMD2(Float(qx), Float(qy))) - fill(p) : picture(qx, qy) - picture(x, y)
                    let got = value(qx, qy) - value(x, y)
                    let d = got - wanted
                    sum += (abs(d.x) + abs(d.y) + abs(d.z)) / 3
                    count += 1
                }
            }
        }
        return sum / Float(max(count, 1))
    }

    /// A black-and-white portrait driven by a colour video: the filled mouth stays grey (before: per-channel colour
    /// matching turned white teeth between red lips cyan).
    @Test func greyPortraitGetsAGreyMouth() {
        let plane = width * height
        var portrait = [Float](repeating: 0, count: 3 * plane)
        var driving = [Float](repeating: 0, count: 3 * plane)
        let lips = mouth.map { SIMD2<Float>(32, 24) + 1.4 * ($0 - SIMD2<Float>(32, 24)) }
        for y in 0..<height {
            for x in 0..<width {
                let p = SIMD2(Float(x), Float(y))
                let i = y * width + x
                // Driver: white teeth inside the mouth, red lips around it, skin outside.
                let colour: SIMD3<Float> =
                    PolygonMask.contains(mouth, p)
                    ? (x % 6 < 3 ? SIMD3(0.95, 0.95, 0.92) : SIMD3(0.5, 0.2, 0.2))
                    : PolygonMask.contains(lips, p) ? SIMD3(0.75, 0.3, 0.3) : SIMD3(0.8, 0.6, 0.5)
                for c in 0..<3 { driving[c * plane + i] = colour[c] }
                let grey: Float = PolygonMask.contains(lips, p) ? 0.3 + 0.1 * Float(x % 5) / 4 : 0.5
                for c in 0..<3 { portrait[c * plane + i] = grey }
            }
        }
        let statistics = portrait.withUnsafeBufferPointer {
            ColorStatistics(pixels: $0.baseAddress!, width: width, height: height, inside: lips)!
        }
        let filler = MouthFiller(portraitOpening: 0, portraitColors: statistics)
        let before = portrait
        portrait.withUnsafeMutableBufferPointer { out in
            driving.withUnsafeBufferPointer { d in
                filler.fill(
                    out.baseAddress!, width: width, height: height, mouth: mouth, strength: 1, feather: 3,
                    driving: d.baseAddress!, drivingWidth: width, drivingHeight: height, drivingMouth: mouth,
                    drivingLips: lips)
            }
        }
        var spread: Float = 0
        var changed = 0
        for i in 0..<plane {
            let v = SIMD3(portrait[i], portrait[plane + i], portrait[2 * plane + i])
            spread = max(spread, v.max() - v.min())
            if abs(v.x - before[i]) > 0.02 { changed += 1 }
        }
        #expect(changed > 100)
        #expect(spread < 0.01, "colour spread \(spread) in a grey picture")
    }

    @Test func gradientBlendHasNoSeam() {
        let gradient = blended(.gradient)
        let feathered = blended(.feather)
        let gradientError = seamGradientError(gradient)
        let featherError = seamGradientError(feathered)
        print("mouth seam gradient error: gradient-domain \(gradientError), feathered \(featherError)")
        #expect(gradientError < 0.5 * featherError)
        // Outside the lips the picture is untouched; the middle keeps the fill's texture (its local contrast).
        let plane = width * height
        #expect(gradient[2 * width + 2] == picture(2, 2).x)
        let centre = 24 * width + 32
        let step = gradient[centre + 1] - gradient[centre]
        let wanted = fill(SIMD2(33, 24)).x - fill(SIMD2(32, 24)).x
        #expect(abs(step - wanted) < 0.01)
        #expect(gradient[plane + centre].isFinite)
    }
}

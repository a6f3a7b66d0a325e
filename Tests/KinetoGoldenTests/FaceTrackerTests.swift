import Foundation
import KinetoEngine
import KinetoGolden
import KinetoMedia
import KinetoModels
import KinetoTestSupport
import Testing

/// The tracker on the golden photos (decoded by FFmpeg), against the TFLite landmarks of the golden crop.
@Suite struct FaceTrackerTests {
    static func photo(_ name: String) throws -> RGBImage {
        let reader = try MediaReader(goldenDirectory().appendingPathComponent("faces/\(name).jpg").path)
        let frame = try #require(try reader.nextVideoFrame())
        return try FrameConverter().rgbImage(from: frame)
    }

    /// The golden landmarks mapped from their 192-px crop (golden_faces.py: square 1.5× the best box, integer
    /// corners) into image pixels.
    static func goldenLandmarks(_ name: String, width: Int, height: Int) throws -> [SIMD2<Float>] {
        let golden = try GoldenFile.open(goldenDirectory().appendingPathComponent("faces-golden.safetensors"))
        let box = try #require(try golden.tensor("\(name).detect_box")).toArray()
        let points = try #require(try golden.tensor("\(name).landmarks")).toArray()
        let s = Float(max(width, height))
        let side = 1.5 * max(box[2], box[3]) * s
        let px = box[0] * s - Float((Int(s) - width) / 2)
        let py = box[1] * s - Float((Int(s) - height) / 2)
        let left = Float(Int(px - side / 2))
        let right = Float(Int(px + side / 2))
        let top = Float(Int(py - side / 2))
        let bottom = Float(Int(py + side / 2))
        return stride(from: 0, to: points.count, by: 3).map {
            SIMD2(left + points[$0] / 192 * (right - left), top + points[$0 + 1] / 192 * (bottom - top))
        }
    }

    /// First frame: detector + landmarks within 1 % of the face crop (mean) of the TFLite landmarks of the golden
    /// crop (which PIL resized with its antialiasing filter, so not bit-equal); further frames track the same face
    /// from the landmarks' crop without re-detecting.
    @Test func tracksEachPhotoLikeTheReference() throws {
        let tracker = try FaceTracker()
        for name in ["obama", "obama2", "biden"] {
            let image = try Self.photo(name)
            tracker.reset()
            let face = try #require(try tracker.track(image, at: 0))
            #expect(face.detected && face.presence > 0.9 && face.landmarks.count == 468)
            let expected = try Self.goldenLandmarks(name, width: image.width, height: image.height)
            let errors = zip(face.landmarks, expected).map { a, e in
                ((a.x - e.x) * (a.x - e.x) + (a.y - e.y) * (a.y - e.y)).squareRoot()
            }
            let mean = errors.reduce(0, +) / Float(errors.count)
            print(
                "\(name): \(image.width)x\(image.height) crop side \(face.crop.side), landmark error mean \(mean) px, max \(errors.max()!) px"
            )
            #expect(mean < 0.01 * face.crop.side, "\(name): mean landmark error \(mean) px")
            for step in 1...2 {
                let next = try #require(try tracker.track(image, at: Double(step) / 30))
                #expect(!next.detected && next.presence > 0.9)
                let drift =
                    zip(next.landmarks, face.landmarks).map { a, b in abs(a.x - b.x) + abs(a.y - b.y) }.reduce(0, +)
                    / 468
                #expect(drift < 0.03 * face.crop.side, "\(name): tracked landmarks moved \(drift) px on a still image")
            }
        }
    }

    /// A black image has no face.
    @Test func blackImageHasNoFace() throws {
        let tracker = try FaceTracker()
        #expect(try tracker.track(RGBImage(width: 320, height: 240), at: 0) == nil)
    }

    @Test func oneEuroFilterSmoothsJitterAndFollowsMotion() {
        var filter = OneEuroFilter(minCutoff: 1, beta: 0.05)
        var outputs: [Double] = []
        for frame in 0..<60 { outputs.append(filter.filter(frame % 2 == 0 ? 1 : -1, at: Double(frame) / 30)) }
        #expect(outputs.suffix(20).allSatisfy { abs($0) < 0.5 })
        filter.reset()
        var last = 0.0
        for frame in 0..<60 { last = filter.filter(Double(frame) * 10, at: Double(frame) / 30) }
        #expect(abs(last - 590) < 30)
    }
}

import Foundation
import KinetoEngine
import KinetoGolden
import KinetoMedia
import KinetoModels
import KinetoTestSupport
import KinetoWeights
import Testing

/// The real RIFE 4.25 weights (installed by scripts/install-models, or `KINETO_RIFE_WEIGHTS`) and real frame
/// pairs (the golden file's inputs: Practical-RIFE's demo frames).
enum RIFEFixtures {
    static let weights: RIFEWeights? = try? RIFEModelFiles.loadWeights()

    static func requireWeights() throws -> RIFEWeights {
        do { return try RIFEModelFiles.loadWeights() } catch {
            throw RIFEError("RIFE tests need the model: run scripts/install-models (\(error))")
        }
    }

    /// `name` from rife-golden.safetensors as an RGBImage (`[1, 3, H, W]` tensors).
    static func image(_ name: String) throws -> RGBImage {
        let tensor = try golden(name)
        return RGBImage(width: tensor.shape[3], height: tensor.shape[2], pixels: tensor.toArray())
    }

    static func tensor(_ name: String) throws -> [Float] { try golden(name).toArray() }

    /// Read as `kineto golden check` reads it (8-bit pictures in [0, 1]).
    private static func golden(_ name: String) throws -> Tensor {
        let file = try GoldenFile.open(goldenDirectory().appendingPathComponent("rife-golden.safetensors"))
        guard let tensor = try file.tensor(name) else { throw RIFEError("rife-golden.safetensors has no \(name)") }
        return tensor
    }

    /// The top-left `width × height` of `image`.
    static func crop(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var pixels: [Float] = []
        for c in 0..<3 {
            for y in 0..<height {
                let start = (c * image.height + y) * image.width
                pixels += image.pixels[start..<(start + width)]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }
}

@Suite struct RIFEWeightsTests {
    @Test func realCheckpointLoadsEveryTensor() throws {
        _ = try RIFEFixtures.requireWeights()
        #expect(RIFEWeights.requiredTensors.count == 158)
        #expect(
            RIFEWeights.requiredTensors.contains {
                $0.name == "block4.lastconv.0.weight" && $0.shape == [32, 52, 4, 4]
            })
    }

    @Test func missingOrMisshapenTensorsAreNamed() throws {
        let shapes = Dictionary(uniqueKeysWithValues: RIFEWeights.requiredTensors.map { ($0.name, $0.shape) })
        func lookup(skipping skipped: String? = nil, reshaping reshaped: String? = nil) -> (String) -> WeightTensor? {
            { name in
                guard name != skipped, let shape = shapes[name] else { return nil }
                let actual = name == reshaped ? [shape.reduce(1, *)] : shape
                return WeightTensor(
                    name: name, shape: actual, values: [Float](repeating: 0.01, count: shape.reduce(1, *)))
            }
        }
        _ = try RIFEWeights(file: "all.pkl", tensor: lookup())
        do {
            _ = try RIFEWeights(file: "missing.pkl", tensor: lookup(skipping: "block2.convblock.3.beta"))
            Issue.record("a missing tensor must be an error")
        } catch {
            #expect("\(error)".contains("missing.pkl") && "\(error)".contains("block2.convblock.3.beta"))
        }
        do {
            _ = try RIFEWeights(file: "shape.pkl", tensor: lookup(reshaping: "encode.cnn1.weight"))
            Issue.record("a wrong shape must be an error")
        } catch {
            #expect("\(error)".contains("encode.cnn1.weight") && "\(error)".contains("[16, 16, 3, 3]"))
        }
    }

    @Test func aFileThatIsNoCheckpointIsAnError() throws {
        let scratch = try Scratch("kineto-not-a-model")
        let url = URL(fileURLWithPath: scratch.path("flownet.pkl"))
        try Data("hello".utf8).write(to: url)
        #expect(throws: WeightError.self) { _ = try RIFEWeights(contentsOf: url) }
        #expect(throws: WeightError.self) {
            _ = try RIFEWeights(contentsOf: URL(fileURLWithPath: "/nonexistent/flownet.pkl"))
        }
    }
}

@Suite struct RIFEInterpolatorTests {
    /// The `FrameInterpolator` path (RGBImage in, RGBImage out) gives the reference's frame: golden case
    /// crop_t050 within 1e-3 absolute.
    @Test func interpolateMatchesTheReference() throws {
        let rife = try RIFEInterpolator(weights: try RIFEFixtures.requireWeights())
        let output = try rife.interpolate(
            try RIFEFixtures.image("crop_t050.img0"), try RIFEFixtures.image("crop_t050.img1"), at: 0.5)
        #expect(output.width == 256 && output.height == 128)
        #expect(RIFEFixtures.maxDifference(output.pixels, try RIFEFixtures.tensor("crop_t050.output")) < 1e-3)
    }

    /// Frames whose size is no multiple of anything (the reference pads to 128) come back at their size, and the
    /// band schedule does not change the result: bands of 4 rows vs. the whole frame at once. Measured: 6.8e-6 at
    /// most (GEMMs over other column counts round the last bits differently), so 1e-5.
    @Test func oddSizesAndBandsGiveTheSameFrame() throws {
        let weights = try RIFEFixtures.requireWeights()
        let a = RIFEFixtures.crop(try RIFEFixtures.image("full_t050.img0"), width: 301, height: 203)
        let b = RIFEFixtures.crop(try RIFEFixtures.image("full_t050.img1"), width: 301, height: 203)
        let banded = try RIFEInterpolator(weights: weights)
        banded.network.bandRows = 4
        let whole = try RIFEInterpolator(weights: weights)
        whole.network.bandRows = 4096
        let x = try banded.interpolate(a, b, at: 0.3)
        let y = try whole.interpolate(a, b, at: 0.3)
        #expect(x.width == 301 && x.height == 203)
        #expect(RIFEFixtures.maxDifference(x.pixels, y.pixels) <= 1e-5)
        #expect(x.pixels.allSatisfy { $0.isFinite && $0 > -0.1 && $0 < 1.1 })
    }

    /// Reusing the shared frame's features (consecutive pairs) changes nothing.
    @Test func consecutivePairsReuseFeaturesExactly() throws {
        let weights = try RIFEFixtures.requireWeights()
        let frames = [
            try RIFEFixtures.image("crop_t050.img0"), try RIFEFixtures.image("crop_t050.img1"),
            try RIFEFixtures.image("crop_t025.img0"),
        ]
        let streaming = try RIFEInterpolator(weights: weights)
        _ = try streaming.interpolate(frames[0], frames[1], at: 0.5)
        let reused = try streaming.interpolate(frames[1], frames[2], at: 0.5)
        let fresh = try RIFEInterpolator(weights: weights).interpolate(frames[1], frames[2], at: 0.5)
        #expect(reused.pixels == fresh.pixels)
    }

    /// Siblings share the prepared frames (and the weights): two threads taking turns at consecutive pairs prepare
    /// each frame once, and every frame is the one a lone instance makes (one thread each: same arithmetic).
    @Test func siblingsOnTwoThreadsShareTheirFrames() throws {
        let weights = try RIFEFixtures.requireWeights()
        let frames = [
            try RIFEFixtures.image("crop_t050.img0"), try RIFEFixtures.image("crop_t050.img1"),
            try RIFEFixtures.image("crop_t025.img0"), try RIFEFixtures.image("crop_t025.img1"),
        ]
        let first = try RIFEInterpolator(weights: weights)
        let second = try #require(first.sibling() as? RIFEInterpolator)
        final class Results: @unchecked Sendable {
            var images: [Int: RGBImage] = [:]
            let lock = NSLock()
        }
        let results = Results()
        let group = DispatchGroup()
        for (model, pairs) in [(first, [0, 2]), (second, [1])] {
            group.enter()
            Thread {
                Parallel.withMaxThreads(1) {
                    for k in pairs {
                        let image = try? model.interpolate(frames[k], frames[k + 1], at: 0.5)
                        results.lock.lock()
                        results.images[k] = image
                        results.lock.unlock()
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(first.framesPrepared == 4 && second.framesPrepared == 4)
        for k in 0..<3 {
            let alone = try Parallel.withMaxThreads(1) {
                try RIFEInterpolator(weights: weights).interpolate(frames[k], frames[k + 1], at: 0.5)
            }
            #expect(results.images[k]?.pixels == alone.pixels, "pair \(k)")
        }
    }

    /// Two identical frames interpolate to (nearly) that frame, at any time; and the time matters for a real pair.
    @Test func timestepIsAnInput() throws {
        let rife = try RIFEInterpolator(weights: try RIFEFixtures.requireWeights())
        let a = try RIFEFixtures.image("crop_t050.img0")
        let b = try RIFEFixtures.image("crop_t050.img1")
        let still = try rife.interpolate(a, a, at: 0.7)
        #expect(RIFEFixtures.maxDifference(still.pixels, a.pixels) < 0.02)
        let early = try rife.interpolate(a, b, at: 0.1)
        let late = try rife.interpolate(a, b, at: 0.9)
        let toA = zip(early.pixels, a.pixels).map { abs($0 - $1) }.reduce(0, +)
        let lateToA = zip(late.pixels, a.pixels).map { abs($0 - $1) }.reduce(0, +)
        #expect(toA < lateToA)
    }

    /// The reference's other scales run and stay closer to scale 1 than a cross-fade of the two frames
    /// (measured on this pair, mean absolute difference to scale 1: 0.029 at scale 0.5, 0.013 at scale 2; the
    /// cross-fade: printed below).
    @Test func otherScalesRun() throws {
        let weights = try RIFEFixtures.requireWeights()
        let a = try RIFEFixtures.image("crop_t050.img0")
        let b = try RIFEFixtures.image("crop_t050.img1")
        let reference = try RIFEInterpolator(weights: weights).interpolate(a, b, at: 0.5)
        func meanDifference(_ x: [Float]) -> Float {
            zip(x, reference.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(x.count)
        }
        let crossFade = meanDifference(zip(a.pixels, b.pixels).map { ($0 + $1) / 2 })
        for scale in [0.5, 2.0] {
            let output = try RIFEInterpolator(weights: weights, scale: scale).interpolate(a, b, at: 0.5)
            let mean = meanDifference(output.pixels)
            print("scale \(scale): mean difference to scale 1 \(mean), cross-fade \(crossFade)")
            #expect(output.width == a.width && output.height == a.height)
            #expect(mean < 0.04 && mean < crossFade, "scale \(scale): mean difference \(mean)")
        }
    }

    /// Buffers are planned by the first frame of a size: later frames of that size allocate nothing new.
    @Test func buffersAreReusedFromFrameToFrame() throws {
        let rife = try RIFEInterpolator(weights: try RIFEFixtures.requireWeights())
        let frames = [
            try RIFEFixtures.image("crop_t050.img0"), try RIFEFixtures.image("crop_t050.img1"),
            try RIFEFixtures.image("crop_t025.img0"), try RIFEFixtures.image("crop_t025.img1"),
        ]
        _ = try rife.interpolate(frames[0], frames[1], at: 0.5)
        _ = try rife.interpolate(frames[1], frames[2], at: 0.5)
        let allocations = rife.network.pool.allocationCount
        _ = try rife.interpolate(frames[2], frames[3], at: 0.25)
        _ = try rife.interpolate(frames[3], frames[0], at: 0.75)
        #expect(rife.network.pool.allocationCount == allocations)
        #expect(rife.network.pool.reuseCount > 0)
    }

    /// A smooth moving pattern `width × height`, `shift` pixels along.
    static func pattern(width: Int, height: Int, shift: Double) -> RGBImage {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let u = Double(x) - shift
                    let v = Double(y) - shift / 2
                    pixels[(c * height + y) * width + x] =
                        Float(0.5 + 0.25 * sin(u * 0.05 + Double(c)) * cos(v * 0.07) + 0.2 * sin((u + v) * 0.013))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The network's buffers grow with the frame by a bounded amount a pixel, as a 4K job needs: the two frames of
    /// a pair kept interleaved (32 bytes a padded pixel each), the accumulated flow and the output, and the passing
    /// buffers of the head and the blocks. Measured at 1024×512, scale 0.5: 154 bytes a padded pixel (136 at
    /// 2048×1024, 130 at 4K). Before the frames dropped their planar copy, the last stage ran in bands and large
    /// buffers served requests of other sizes: 224 (207, 226: 2.0 GB for 4K), which this bound fails.
    @Test func memoryPerPixelIsBounded() throws {
        let rife = try RIFEInterpolator(weights: try RIFEFixtures.requireWeights(), scale: 0.5)
        let (width, height) = (1024, 512)
        let frames = (0..<4).map { Self.pattern(width: width, height: height, shift: Double(3 * $0)) }
        for k in 0..<3 { _ = try rife.interpolate(frames[k], frames[k + 1], at: 0.5) }
        let (ph, pw) = rife.paddedSize(height: height, width: width)
        let bytesPerPixel = Double(rife.network.pool.allocatedBytes) / Double(ph * pw)
        print(
            "RIFE pool at \(width)×\(height), scale 0.5: \(rife.network.pool.allocatedBytes >> 20) MB, \(bytesPerPixel) bytes a padded pixel"
        )
        #expect(bytesPerPixel < 180)
    }

    /// The last stage in bands (what `interpolate` runs on large frames) gives the very frame the whole-frame
    /// stage gives (what the golden check runs, with the flows kept).
    @Test func bandedLastStageIsExact() throws {
        let rife = try RIFEInterpolator(weights: try RIFEFixtures.requireWeights())
        rife.network.lastStageBandPixels = 301 * 24  // 9 bands, the last of 11 rows
        let a = RIFEFixtures.crop(try RIFEFixtures.image("full_t050.img0"), width: 301, height: 203)
        let b = RIFEFixtures.crop(try RIFEFixtures.image("full_t050.img1"), width: 301, height: 203)
        let banded = rife.run(a, b, timestep: 0.4).output.toArray()
        let whole = rife.run(a, b, timestep: 0.4, keepIntermediates: true)
        #expect(banded == whole.output.toArray())
        #expect(whole.flows.count == 5 && whole.maskLogits.h == 203)
    }

    @Test func badRequestsAreErrors() throws {
        let weights = try RIFEFixtures.requireWeights()
        #expect(throws: RIFEError.self) { _ = try RIFEInterpolator(weights: weights, scale: 3) }
        let rife = try RIFEInterpolator(weights: weights)
        let a = RGBImage(width: 64, height: 32)
        let b = RGBImage(width: 32, height: 64)
        #expect(throws: RIFEError.self) { _ = try rife.interpolate(a, b, at: 0.5) }
        #expect(throws: RIFEError.self) { _ = try rife.interpolate(a, a, at: 1) }
        #expect(throws: RIFEError.self) { _ = try rife.interpolate(a, a, at: 0) }
    }
}

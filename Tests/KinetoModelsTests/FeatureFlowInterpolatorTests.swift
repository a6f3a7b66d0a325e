import Foundation
import KinetoBench
import KinetoEngine
import KinetoMedia
import KinetoModels
import KinetoTestSupport
import KinetoWeights
import Testing

@Suite(.serialized) struct FeatureFlowInterpolatorTests {
    /// A smooth pattern and the same moved, in [0, 1].
    static func pair(width: Int, height: Int) -> (RGBImage, RGBImage) {
        FeatureFlowBenchmark.framePair(width: width, height: height)
    }

    @Test func anyFrameSizeComesBackAtItsSizeInRange() throws {
        let interpolator = FeatureFlowInterpolator(network: FeatureFlowTestNetwork.shared)
        #expect(interpolator.name == "featureflow")
        #expect(!interpolator.supportsArbitraryTimestep)
        for (w, h) in [(53, 37), (9, 5), (64, 24)] {
            let (a, b) = Self.pair(width: w, height: h)
            let out = try interpolator.interpolate(a, b, at: 0.5)
            #expect(out.width == w && out.height == h)
            #expect(out.pixels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        }
    }

    @Test func paddedSidesAreMultiplesOfEightAndAtLeastSixteen() {
        #expect(FeatureFlowInterpolator.paddedSide(5) == 16)
        #expect(FeatureFlowInterpolator.paddedSide(64) == 64)
        #expect(FeatureFlowInterpolator.paddedSide(721) == 728)
        #expect(FeatureFlowInterpolator.paddedSide(720) == 720)
    }

    @Test func onlyTheMiddleFrameOfEqualSizesIsAccepted() throws {
        let interpolator = FeatureFlowInterpolator(network: FeatureFlowTestNetwork.shared)
        let (a, b) = Self.pair(width: 16, height: 16)
        #expect(throws: FeatureFlowError.self) { try interpolator.interpolate(a, b, at: 0.25) }
        let other = RGBImage(width: 24, height: 16)
        #expect(throws: FeatureFlowError.self) { try interpolator.interpolate(a, other, at: 0.5) }
    }

    /// Tiles: BDCN's edges in tiles with its receptive field as margin are exactly the whole frame's (1e-6), and
    /// DetailEnhance in overlapping tiles stays close to the whole frame. On the golden pair (64×96) with 32-pixel
    /// tiles and 16 pixels of context the seam error measured 5.2e-4 max abs, 2.1e-5 mean abs (in [-1, 1] units,
    /// deterministic weights); the test bounds it at 0.01 max and 0.001 mean. (The interpolator's defaults, 448-pixel
    /// tiles with 32 pixels of context, only tile frames above 512×512.)
    @Test func tilesMatchTheWholeFrame() throws {
        let network = FeatureFlowTestNetwork.shared
        let golden = try SafeTensorsFile(
            contentsOf: goldenDirectory().appendingPathComponent("featureflow-golden.safetensors"))
        func tensor(_ name: String) throws -> Tensor {
            let t = try golden.tensor(name)
            return Tensor(shape: t.shape, values: t.values)
        }
        let img0 = try tensor("input.img0")
        let img1 = try tensor("input.img1")
        let whole = FeatureFlowInterpolator(network: network)
        let reference = whole.run(img0, img1).toArray()
        let wholeEdges = network.edges(img0).toArray()

        let tiled = FeatureFlowInterpolator(
            network: network, untiledPixels: 0, detailTileCore: 32, detailTileMargin: 16)
        let tiledEdges = tiled.tiledEdges(network.pool.copy(img0)).toArray()
        let edgeError = zip(wholeEdges, tiledEdges).map { abs($0 - $1) }.max() ?? .infinity
        #expect(edgeError <= 1e-6)

        let result = tiled.run(img0, img1).toArray()
        let errors = zip(reference, result).map { abs($0 - $1) }
        let maxError = errors.max() ?? .infinity
        let meanError = errors.reduce(0, +) / Float(errors.count)
        print(
            "FeatureFlow tile seams (64×96, 32-px tiles, 16-px margin): max abs \(maxError), mean abs \(meanError); edges max abs \(edgeError)"
        )
        #expect(maxError < 0.01)
        #expect(meanError < 0.001)
    }

    @Test func missingModelSaysHowToImportIt() throws {
        let scratch = try Scratch("kineto-ff-empty")
        let empty = scratch.directory
        do {
            _ = try FeatureFlowModelFiles.loadWeights(store: ModelStore(directory: empty))
            Issue.record("loading from an empty store should fail")
        } catch {
            let message = "\(error)"
            #expect(message.contains("not installed: import the official checkpoint with"))
            #expect(message.contains("kineto models import featureflow --checkpoint"))
        }
        #expect(ModelDescriptor.catalogue.contains { $0.id == "featureflow" })
    }
}

import Foundation
import KinetoEngine
import KinetoMedia

/// RIFE 4.25 as a `FrameInterpolator`: any timestep in (0, 1), frames of any size.
///
/// As the reference (Practical-RIFE's `inference_video.py`), frames are zero-padded on the right and bottom to a
/// multiple of `max(128, 128 / scale)`, run through `RIFENetwork` with `scale_list = [16, 8, 4, 2, 1] / scale`, and
/// the result is cropped back.
public final class RIFEInterpolator: FrameInterpolator, @unchecked Sendable {
    public let name = "rife"
    public let supportsArbitraryTimestep = true
    public let network: RIFENetwork
    /// The reference's `scale`: 1 for full detail, 0.5 (or 0.25) for 4K, 2 or 4 for small frames.
    public let scale: Double

    /// The scales the reference accepts.
    public static let supportedScales: [Double] = [0.25, 0.5, 1, 2, 4]

    public init(weights: RIFEWeights, scale: Double = 1) throws {
        guard RIFEInterpolator.supportedScales.contains(scale) else {
            throw RIFEError("RIFE scale \(scale) is not supported; use one of 0.25, 0.5, 1, 2, 4 (as the reference)")
        }
        self.network = RIFENetwork(weights: weights)
        self.scale = scale
    }

    /// Padding multiple: frames are padded to a multiple of this in both directions.
    public var paddingMultiple: Int { max(128, Int(128 / scale)) }

    public func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage {
        try checkPair(width: first.width, height: first.height, other: (second.width, second.height), t: t)
        let result = run(first, second, timestep: Float(t))
        return RGBImage(width: first.width, height: first.height, pixels: result.output.toArray())
    }

    /// The network's results (flows, mask logits, frame) for two images of one size, at that size. `timestep` is
    /// used as float32, as the reference's timestep plane is. A frame of the previous call (the shared frame of
    /// consecutive pairs, or the same pair at another time) reuses its head features.
    public func run(_ first: RGBImage, _ second: RGBImage, timestep: Float, keepIntermediates: Bool = false) -> RIFENetwork.Result {
        // Keep only what this call reuses before making anything new.
        recent = recent.filter { $0.image == first || $0.image == second }
        let frame0 = prepared(first), frame1 = prepared(second)
        recent = [frame0, frame1]
        return network.forward(frame0.source, frame1.source, height: first.height, width: first.width,
                               timestep: timestep, scales: RIFENetwork.scaleList(for: scale),
                               keepIntermediates: keepIntermediates, packed0: frame0.packed, packed1: frame1.packed)
    }

    /// `run` for frames given as `[1, 3, H, W]` tensors (no feature reuse).
    public func run(_ img0: Tensor, _ img1: Tensor, timestep: Float, keepIntermediates: Bool = false) -> RIFENetwork.Result {
        let (ph, pw) = paddedSize(height: img0.h, width: img0.w)
        let source0 = network.frameWithFeatures(img0, paddedHeight: ph, paddedWidth: pw)
        let source1 = network.frameWithFeatures(img1, paddedHeight: ph, paddedWidth: pw)
        return network.forward(source0, source1, height: img0.h, width: img0.w, timestep: timestep,
                               scales: RIFENetwork.scaleList(for: scale), keepIntermediates: keepIntermediates)
    }

    /// The padded size the reference runs a `height × width` frame at (zeros added right and bottom).
    public func paddedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let m = paddingMultiple
        return ((height + m - 1) / m * m, (width + m - 1) / m * m)
    }

    /// A frame with its features, also interleaved for the warps.
    private typealias PreparedFrame = (image: RGBImage, source: Tensor, packed: Tensor)

    /// The last call's frames.
    private var recent: [PreparedFrame] = []

    private func prepared(_ image: RGBImage) -> PreparedFrame {
        let (ph, pw) = paddedSize(height: image.height, width: image.width)
        if let hit = recent.first(where: { $0.image == image }), hit.source.h == ph, hit.source.w == pw {
            return hit
        }
        let tensor = Tensor(shape: [1, 3, image.height, image.width], values: image.pixels)
        let source = network.frameWithFeatures(tensor, paddedHeight: ph, paddedWidth: pw)
        return (image, source, network.interleaved(source))
    }

    func checkPair(width: Int, height: Int, other: (Int, Int), t: Double) throws {
        guard other == (width, height) else {
            throw RIFEError("RIFE needs two frames of one size; got \(width)×\(height) and \(other.0)×\(other.1)")
        }
        guard t > 0 && t < 1 else {
            throw RIFEError("RIFE interpolates at a time strictly between the frames; got t = \(t)")
        }
    }
}

/// A RIFE request that cannot run (frame sizes, timestep, scale), with what to do.
public struct RIFEError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

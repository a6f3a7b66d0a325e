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

    /// Frames with their head features, shared with this instance's siblings, and this instance's number there.
    private let frames: RIFEPreparedFrames
    private let user: Int

    public init(weights: RIFEWeights, scale: Double = 1) throws {
        guard RIFEInterpolator.supportedScales.contains(scale) else {
            throw RIFEError("RIFE scale \(scale) is not supported; use one of 0.25, 0.5, 1, 2, 4 (as the reference)")
        }
        self.network = RIFENetwork(weights: weights)
        self.scale = scale
        frames = RIFEPreparedFrames()
        user = frames.addUser()
    }

    private init(sharing other: RIFEInterpolator) {
        network = RIFENetwork(weights: other.network.weights)
        network.winogradMinimumTiles = other.network.winogradMinimumTiles
        scale = other.scale
        frames = other.frames
        user = frames.addUser()
    }

    deinit { frames.removeUser(user) }

    /// Frames this instance and its siblings have prepared (head features and interleaved copy): one per new input
    /// frame when consecutive pairs share their frames.
    public var framesPrepared: Int { frames.made }

    /// An instance for another thread with the same weights, scale and prepared frames: consecutive pairs share a
    /// frame, so when two threads take turns at the pairs of a video, the frame one prepared (its head features and
    /// interleaved copy) serves the other too.
    public func sibling() -> (any FrameInterpolator)? {
        RIFEInterpolator(sharing: self)
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
    public func run(_ first: RGBImage, _ second: RGBImage, timestep: Float, keepIntermediates: Bool = false)
        -> RIFENetwork.Result
    {
        let (ph, pw) = paddedSize(height: first.height, width: first.width)
        let scales = RIFENetwork.scaleList(for: scale)
        let (frame0, frame1) = frames.pair(for: user, first, second, paddedHeight: ph, paddedWidth: pw) { image in
            let prepared = image.pixels.withUnsafeBufferPointer {
                network.prepare(
                    pixels: $0.baseAddress!, height: image.height, width: image.width, paddedHeight: ph,
                    paddedWidth: pw, scales: scales)
            }
            return RIFEPreparedFrames.Frame(image: image, prepared: prepared)
        }
        return network.forward(
            frame0.prepared, frame1.prepared, height: first.height, width: first.width,
            timestep: timestep, scales: scales, keepIntermediates: keepIntermediates)
    }

    /// `run` for frames given as `[1, 3, H, W]` tensors (no feature reuse).
    public func run(_ img0: Tensor, _ img1: Tensor, timestep: Float, keepIntermediates: Bool = false)
        -> RIFENetwork.Result
    {
        let (ph, pw) = paddedSize(height: img0.h, width: img0.w)
        let scales = RIFENetwork.scaleList(for: scale)
        let frame0 = network.prepare(img0, paddedHeight: ph, paddedWidth: pw, scales: scales)
        let frame1 = network.prepare(img1, paddedHeight: ph, paddedWidth: pw, scales: scales)
        return network.forward(
            frame0, frame1, height: img0.h, width: img0.w, timestep: timestep, scales: scales,
            keepIntermediates: keepIntermediates)
    }

    /// The padded size the reference runs a `height × width` frame at (zeros added right and bottom).
    public func paddedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let m = paddingMultiple
        return ((height + m - 1) / m * m, (width + m - 1) / m * m)
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

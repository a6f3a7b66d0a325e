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
        let img0 = Tensor(shape: [1, 3, first.height, first.width], values: first.pixels)
        let img1 = Tensor(shape: [1, 3, second.height, second.width], values: second.pixels)
        let result = run(img0, img1, timestep: Float(t))
        return RGBImage(width: first.width, height: first.height, pixels: result.output.toArray())
    }

    /// Pads, runs the network and crops every result back to the frames' size. `timestep` is used as float32, as
    /// the reference's timestep plane is.
    public func run(_ img0: Tensor, _ img1: Tensor, timestep: Float, keepIntermediates: Bool = false) -> RIFENetwork.Result {
        let (h, w) = (img0.h, img0.w)
        let m = paddingMultiple
        let ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m
        func padded(_ x: Tensor) -> Tensor {
            let source = x.pool === network.pool ? x : network.pool.copy(x)
            if ph == h && pw == w { return source }
            return Ops.pad(source, left: 0, right: pw - w, top: 0, bottom: ph - h)
        }
        var result = network.forward(padded(img0), padded(img1), timestep: timestep,
                                     scales: RIFENetwork.scaleList(for: scale), keepIntermediates: keepIntermediates)
        if ph != h || pw != w {
            func cropped(_ x: Tensor) -> Tensor { Ops.crop(x, top: 0, left: 0, height: h, width: w) }
            result.flows = result.flows.map(cropped)
            result.maskLogits = cropped(result.maskLogits)
            result.output = cropped(result.output)
        }
        return result
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

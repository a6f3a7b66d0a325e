import Foundation
import KinetoEngine
import KinetoMedia

/// A model that moves a transparency (alpha) plane with the same motion as the colour, so an
/// interpolated frame's alpha matches its picture.
public protocol AlphaInterpolating: FrameInterpolator {
    /// The frame at time `t` between `first` and `second`, and its alpha: both input alpha planes
    /// (`width × height` values in [0, 1], row by row) carried the way the model carries the colour.
    func interpolate(
        _ first: RGBImage, _ second: RGBImage, alpha firstAlpha: [Float], _ secondAlpha: [Float],
        at t: Double
    ) throws -> (image: RGBImage, alpha: [Float])
}

extension RIFEInterpolator: AlphaInterpolating {
    /// RIFE's own merge applied to alpha: each input plane backward-warped by its final flow (`grid_sample`,
    /// bilinear, border), blended by the sigmoid of the final mask, as the network blends the colour.
    public func interpolate(
        _ first: RGBImage, _ second: RGBImage, alpha firstAlpha: [Float], _ secondAlpha: [Float],
        at t: Double
    ) throws -> (image: RGBImage, alpha: [Float]) {
        try checkPair(width: first.width, height: first.height, other: (second.width, second.height), t: t)
        let (h, w) = (first.height, first.width)
        guard firstAlpha.count == h * w, secondAlpha.count == h * w else {
            throw RIFEError("alpha planes must have \(w)×\(h) values; got \(firstAlpha.count) and \(secondAlpha.count)")
        }
        // The final flow and mask are kept only on request (the banded last stage keeps none); alpha input is rare
        // enough that the full-size flow is worth its memory here.
        let result = run(first, second, timestep: Float(t), keepIntermediates: true)
        let image = RGBImage(width: w, height: h, pixels: result.output.toArray())
        guard let flow = result.flows.last else { throw RIFEError("RIFE returned no flow") }
        let flows = flow.toArray()
        let logits = result.maskLogits.toArray()
        let plane = h * w
        let towardFirst = Tensor(shape: [1, 2, h, w], values: Array(flows[0..<(2 * plane)]))
        let towardSecond = Tensor(shape: [1, 2, h, w], values: Array(flows[(2 * plane)..<(4 * plane)]))
        let warped0 = Ops.warp(Tensor(shape: [1, 1, h, w], values: firstAlpha), flow: towardFirst).toArray()
        let warped1 = Ops.warp(Tensor(shape: [1, 1, h, w], values: secondAlpha), flow: towardSecond).toArray()
        var alpha = [Float](repeating: 0, count: plane)
        for i in 0..<plane {
            let mask = 1 / (1 + expf(-logits[i]))
            alpha[i] = min(max(warped0[i] * mask + warped1[i] * (1 - mask), 0), 1)
        }
        return (image, alpha)
    }
}

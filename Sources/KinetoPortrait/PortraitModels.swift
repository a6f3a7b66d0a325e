import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels
import KinetoPipeline

/// The MediaPipe models portrait animation runs: face detection + landmarks (tracking) and selfie segmentation.
public final class PortraitModels: @unchecked Sendable {
    public let segmenter: SelfieSegmenter
    let detector: FaceDetector
    let landmarker: FaceLandmarker

    /// Loads the installed models; a missing model is a usage error saying how to install it.
    public init(modelDirectory: URL? = nil) throws {
        do {
            detector = try FaceDetector(modelDirectory: modelDirectory)
            landmarker = try FaceLandmarker(modelDirectory: modelDirectory)
            segmenter = try SelfieSegmenter(modelDirectory: modelDirectory)
        } catch {
            throw PipelineError(
                .usage, "cannot load MediaPipe's face models: \(error) (scripts/setup installs them)", stage: .open,
                underlying: error)
        }
    }

    /// A new face tracker sharing these models (one per sequence of frames; smoothing as asked).
    public func makeTracker(smoothing: Bool) -> FaceTracker {
        let tracker = FaceTracker(detector: detector, landmarker: landmarker)
        tracker.smoothing = smoothing
        return tracker
    }

    /// The 468 landmarks (x, y in image pixels, z relative depth) of the most prominent face in a still image, or nil.
    public func landmarks(in image: RGBImage) throws -> [SIMD3<Float>]? {
        let tracker = makeTracker(smoothing: false)
        tracker.searchWindows = true
        return try tracker.track(image, at: 0)?.landmarks
    }

    /// Person probability per pixel of `image` (`width × height`): the segmenter at 256², resized back.
    public func personMask(_ image: RGBImage) throws -> [Float] {
        let side = SelfieSegmenter.inputSize
        let input = ImageResampler.resize(image, width: side, height: side)
        let mask = try segmenter.mask(Tensor(shape: [1, 3, side, side], values: input.pixels))
        let values = mask.toArray()
        return ImageResampler.resample(
            values, channels: 1, width: side, height: side, x: 0, y: 0,
            regionWidth: Float(side), regionHeight: Float(side),
            outWidth: image.width, outHeight: image.height)
    }
}

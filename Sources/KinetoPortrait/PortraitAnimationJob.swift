import Foundation
import KinetoMedia

/// How the portrait is framed before animating.
public enum PortraitCrop: String, Sendable, CaseIterable, Codable {
    /// A square around the face with room for hair and shoulders (the output is square).
    case auto
    /// The whole portrait (the output keeps its aspect ratio).
    case none
}

/// A portrait-animation request: a still portrait driven by a video (its head motion and expressions), written
/// as a video with the driving video's frame timing and audio.
public struct PortraitAnimationJob: Sendable {
    /// The still portrait (any image FFmpeg reads: JPEG, PNG, …; a video's first frame also works).
    public var portrait: String
    /// The driving video.
    public var driving: String
    /// The output video file; it appears only when complete.
    public var output: String
    /// Output side in pixels: the square's side with `.auto` crop, the longer side with `.none`; nil keeps the
    /// portrait's (cropped) resolution. Rounded down to even for chroma subsampling.
    public var size: Int?
    public var mode: RetargetMode
    /// The most the driver's zooms and moves toward the camera may change the portrait's face size (either way), in
    /// relative mode; nil: unlimited. `.absolute` mode is never limited.
    public var maxZoom: Float?
    /// The largest head turn out of the picture's plane (nodding, turning aside) the portrait follows, in degrees,
    /// soft-limited, in relative mode: a flat photo turned further reads as another face. nil: unlimited.
    public var maxTurnDegrees: Float? = 15
    public var crop: PortraitCrop
    /// Fill the inside of a mouth opening beyond the portrait's from the driving frame.
    public var fillMouth: Bool
    public var codec: VideoCodecChoice
    public var crf: Int?
    public var preset: String?
    public var encoderThreads: Int
    public var overwrite: Bool
    /// Also measure landmark accuracy (AKD), identity and jitter: runs the landmark model again on every output
    /// frame (about 7 ms a frame at 256²), reported in the result's `metrics`.
    public var measure: Bool
    /// The model store to load MediaPipe's models from (nil: the standard store).
    public var modelDirectory: URL?

    public init(
        portrait: String, driving: String, output: String, size: Int? = nil, mode: RetargetMode = .relative,
        crop: PortraitCrop = .auto, fillMouth: Bool = true, codec: VideoCodecChoice = .h264, crf: Int? = nil,
        preset: String? = nil, encoderThreads: Int = 0, overwrite: Bool = false, measure: Bool = false,
        modelDirectory: URL? = nil, maxZoom: Float? = 1.15
    ) {
        self.portrait = portrait
        self.maxZoom = maxZoom
        self.driving = driving
        self.output = output
        self.size = size
        self.mode = mode
        self.crop = crop
        self.fillMouth = fillMouth
        self.codec = codec
        self.crf = crf
        self.preset = preset
        self.encoderThreads = encoderThreads
        self.overwrite = overwrite
        self.measure = measure
        self.modelDirectory = modelDirectory
    }
}

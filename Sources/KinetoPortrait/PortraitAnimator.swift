import Dispatch
import Foundation
import KinetoMedia
import KinetoModels
import KinetoPipeline

/// Runs a `PortraitAnimationJob`: PuppeteerGAN's two stages without its generator.
///
/// 1. Sketch: the portrait's semantic layout (468 landmarks + person mask, computed once) and, per driving frame,
///    the driving face's landmarks (tracked, one-euro smoothed) retargeted onto the portrait (`LandmarkRetargeter`).
/// 2. Coloring: the portrait warped onto the retargeted landmarks (`PiecewiseAffineWarp` on a Delaunay mesh of
///    landmarks + anchors), background held still, the mouth interior filled from the driving frame.
///
/// Output: one frame per driving frame, at the driving frame's time, with the driving video's audio and subtitles.
/// Errors are `PipelineError`s (input: unreadable file, no face in the portrait or the driving video; output: the
/// file exists or cannot be written; cancelled). On any error or cancellation no output file is left.
public enum PortraitAnimator {
    /// Runs `job` on the calling thread. `progress` is called a few times a second and once at the end.
    public static func run(
        _ job: PortraitAnimationJob, progress: (@Sendable (JobProgress) -> Void)? = nil,
        cancellation: CancellationToken = CancellationToken()
    ) throws -> PortraitAnimationResult {
        let started = DispatchTime.now().uptimeNanoseconds
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        if cancellation.isCancelled { throw PipelineError.cancelled }
        if let size = job.size, size < 16 || size > 4096 {
            throw PipelineError(.usage, "--size must be between 16 and 4096, not \(size)")
        }
        if let zoom = job.maxZoom, !(zoom >= 1 && zoom <= 10) {
            throw PipelineError(.usage, "--max-zoom must be between 1 and 10, not \(zoom)")
        }
        if let turn = job.maxTurnDegrees, !(turn >= 1 && turn <= 90) {
            throw PipelineError(.usage, "--max-turn must be between 1 and 90 degrees, not \(turn)")
        }
        // Inputs are never overwritten, even with --overwrite (the writer checks the driving video itself).
        do { try MediaWriter.refuseInputAsOutput(job.output, input: job.portrait) } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
        var stages = PortraitStageTimes()

        let models = try PortraitModels(modelDirectory: job.modelDirectory)
        let portraitImage = try loadImage(job.portrait)
        let prepared = try preparePortrait(
            portraitImage, path: job.portrait, crop: job.crop, size: job.size, models: models)
        let rig = prepared.rig
        stages.setup = now()

        let reader: MediaReader
        do {
            reader = try MediaReader(job.driving, options: ReaderOptions(passthrough: true))
        } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
        let info = reader.info
        guard let rate = nominalRate(base: info.video.frameRate, average: info.video.averageFrameRate) else {
            throw PipelineError(.input, "\(job.driving): the video stream states no frame rate", stage: .open)
        }
        let writer: MediaWriter
        do {
            let settings = VideoEncoderSettings(
                codec: job.codec, crf: job.crf, preset: job.preset, frameRate: rate,
                threads: job.encoderThreads, width: rig.width, height: rig.height,
                timeBase: info.video.timeBase)
            writer = try MediaWriter(
                destination: job.output, settings: settings, source: reader, overwrite: job.overwrite)
        } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
        let handler = cancellation.onCancel { reader.interrupt() }
        defer { cancellation.removeHandler(handler) }
        let totalFrames: Int64? = (info.video.duration ?? info.duration).map {
            Int64(($0 * rate.doubleValue).rounded())
        }

        do {
            var loop = FrameLoop(job: job, rig: rig, models: models, writer: writer, rotation: info.video.rotation)
            var lastReport = 0.0
            while true {
                if cancellation.isCancelled { throw PipelineError.cancelled }
                var mark = now()
                let event: MediaEvent?
                do { event = try reader.next() } catch { throw PipelineError(wrapping: error, stage: .decode) }
                guard let event else { break }
                switch event {
                case .packet(let packet):
                    stages.decode += now() - mark
                    mark = now()
                    do { try writer.write(packet) } catch { throw PipelineError(wrapping: error, stage: .encode) }
                    stages.encode += now() - mark
                case .video(let frame):
                    try loop.process(frame, stages: &stages, clock: now)
                    if let progress, now() - lastReport >= 0.25 {
                        lastReport = now()
                        progress(
                            JobProgress(
                                framesIn: Int64(loop.frames), framesOut: Int64(loop.frames), totalFrames: totalFrames,
                                elapsedSeconds: lastReport))
                    }
                }
            }
            if cancellation.isCancelled || reader.wasInterrupted { throw PipelineError.cancelled }
            guard loop.frames > 0 else {
                throw PipelineError(
                    .input, "\(job.driving): no video frame could be decoded; nothing was written", stage: .decode)
            }
            guard loop.framesWithFace > 0 else {
                throw PipelineError(
                    .input,
                    "\(job.driving): no face found in any of its \(loop.frames) frames; use a driving video showing one face, roughly frontal",
                    stage: .interpolate)
            }
            let mark = now()
            do { try writer.finish() } catch { throw PipelineError(wrapping: error, stage: .finish) }
            stages.encode += now() - mark
            let elapsed = now()
            progress?(
                JobProgress(
                    framesIn: Int64(loop.frames), framesOut: Int64(loop.frames), totalFrames: Int64(loop.frames),
                    elapsedSeconds: elapsed))
            var warnings = prepared.warnings + writer.warnings
            if info.video.rotation != 0 {
                warnings.append("\(job.driving): turned \(info.video.rotation)° clockwise as its display rotation says")
            }
            if let first = loop.firstFaceFrame, first > 0 {
                warnings.append(
                    "\(job.driving): no face in its first \(first) frames (\(String(format: "%.1f", loop.firstFaceTime ?? 0)) s); the portrait holds still until one appears"
                )
            }
            if let normalizer = loop.normalizer, normalizer.cuts > 0 {
                warnings.append(
                    "\(job.driving): \(normalizer.cuts) cut(s) or jump(s) of the face re-anchored; the portrait continues from where it was"
                )
            }
            if !reader.damage.isClean {
                warnings.append(
                    "\(job.driving): damaged input, \(reader.damage.summary); every decodable frame was used")
            }
            if loop.framesWithFace < loop.frames {
                warnings.append(
                    "\(job.driving): no face in \(loop.frames - loop.framesWithFace) of \(loop.frames) frames; the portrait holds its last pose there, then eases back to rest"
                )
            }
            return PortraitAnimationResult(
                output: job.output, width: rig.width, height: rig.height, frames: loop.frames,
                framesWithFace: loop.framesWithFace, frameRate: rate, encoderName: writer.encoderName,
                warnings: warnings, elapsedSeconds: elapsed, stages: stages, metrics: loop.metrics?.metrics)
        } catch {
            writer.abort()
            if cancellation.isCancelled { throw PipelineError.cancelled }
            throw PipelineError(wrapping: error, stage: .interpolate)
        }
    }

    /// The rate the driving video plays at (as `interpolate` reads it): the stream's base rate when the average
    /// agrees with it within 0.5%, else the average (variable rate). Frames keep their own timestamps either way.
    static func nominalRate(base: Rational?, average: Rational?) -> Rational? {
        let base = base.flatMap { $0 > .zero ? $0 : nil }
        let average = average.flatMap { $0 > .zero ? $0 : nil }
        guard let base else { return average }
        guard let average else { return base }
        return abs(average.doubleValue / base.doubleValue - 1) <= 0.005 ? base : average
    }

    /// The first frame of an image (or video) file as RGB.
    public static func loadImage(_ path: String) throws -> RGBImage {
        do {
            let reader = try MediaReader(path, options: ReaderOptions(passthrough: false))
            guard let frame = try reader.nextVideoFrame() else {
                throw PipelineError(.input, "\(path): no picture could be decoded; use a JPEG or PNG photo")
            }
            let image = try FrameConverter().rgbImage(from: frame)
            return ImageOrientation.upright(image, exif: ImageOrientation.exifOrientation(ofFileAt: path) ?? 1)
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
    }

    /// A portrait ready to animate, and where its output frame lies in the original image.
    public struct PreparedPortrait: Sendable {
        public var rig: PortraitRig
        /// The cropped region of the original image (pixel edges), which the output frame shows.
        public var region: (x: Float, y: Float, width: Float, height: Float)
        /// What the user should know (several faces: the largest was taken).
        public var warnings: [String] = []
    }

    /// The smallest face (landmark extent, pixels of the original portrait) that is animated.
    public static let minimumFaceSize: Float = 64

    /// Finds the face in `image`, crops and resizes it (see `PortraitAnimationJob.size`), segments it and builds the
    /// mesh. Throws an input error naming `path` when there is no face.
    public static func preparePortrait(
        _ image: RGBImage, path: String, crop: PortraitCrop, size: Int?,
        models: PortraitModels
    ) throws -> PreparedPortrait {
        let tracker = models.makeTracker(smoothing: false)
        tracker.searchWindows = true
        guard let found = try tracker.track(image, at: 0)?.landmarks else {
            throw PipelineError(
                .input,
                "\(path): no face found in the portrait; use a photo with one clearly visible, roughly frontal face",
                stage: .open)
        }
        var warnings: [String] = []
        if tracker.facesAtLastDetection > 1 {
            warnings.append("\(path): \(tracker.facesAtLastDetection) faces in the portrait; the largest is animated")
        }
        do {
            var lo = found[0]
            var hi = found[0]
            for p in found {
                lo = pointwiseMin(lo, p)
                hi = pointwiseMax(hi, p)
            }
            let extent = max(hi.x - lo.x, hi.y - lo.y)
            if extent < minimumFaceSize {
                throw PipelineError(
                    .input,
                    "\(path): the face is only \(Int(extent.rounded())) pixels across; use a portrait whose face is at least \(Int(minimumFaceSize)) pixels",
                    stage: .open)
            }
        }
        let W = Float(image.width)
        let H = Float(image.height)
        var region = (x: Float(0), y: Float(0), width: W, height: H)
        var outWidth: Int
        var outHeight: Int
        switch crop {
        case .auto:
            var lo = found[0]
            var hi = found[0]
            for p in found {
                lo = pointwiseMin(lo, p)
                hi = pointwiseMax(hi, p)
            }
            let faceSide = max(hi.x - lo.x, hi.y - lo.y)
            // Room for hair above and shoulders below: the face takes about 45% of the frame.
            let side = min(2.2 * faceSide, W, H)
            let cx = (lo.x + hi.x) / 2
            let cy = (lo.y + hi.y) / 2 + 0.2 * faceSide
            let x = min(max(cx - side / 2, 0), W - side)
            let y = min(max(cy - side / 2, 0), H - side)
            region = (x, y, side, side)
            let n = size ?? Int(side)
            outWidth = n
            outHeight = n
        case .none:
            if let size {
                let scale = Float(size) / max(W, H)
                outWidth = Int((W * scale).rounded())
                outHeight = Int((H * scale).rounded())
            } else {
                outWidth = image.width
                outHeight = image.height
            }
        }
        outWidth = max(16, outWidth & ~1)
        outHeight = max(16, outHeight & ~1)
        let output = ImageResampler.crop(
            image, x: region.x, y: region.y, width: region.width, height: region.height,
            outWidth: outWidth, outHeight: outHeight)
        // Landmarks again on the output-size image: the mesh must match the pixels it moves.
        let landmarks: [SIMD3<Float>]
        if let again = try models.landmarks(in: output) {
            landmarks = again
        } else {
            let sx = Float(outWidth) / region.width
            let sy = Float(outHeight) / region.height
            landmarks = found.map {
                SIMD3(($0.x - region.x + 0.5) * sx - 0.5, ($0.y - region.y + 0.5) * sy - 0.5, $0.z * sx)
            }
        }
        let mask = try models.personMask(output)
        return PreparedPortrait(
            rig: PortraitRig(image: output, landmarks: landmarks, personMask: mask), region: region, warnings: warnings)
    }
}

/// Per-frame state of a running animation: tracking, retargeting, rendering, encoding, measuring.
struct FrameLoop {
    let job: PortraitAnimationJob
    let rig: PortraitRig
    let tracker: FaceTracker
    let writer: MediaWriter
    /// The driving video's display rotation (degrees clockwise), applied to every frame before tracking.
    let rotation: Int
    let converter = FrameConverter()
    let outputConverter = FrameConverter()
    /// Absolute mode: the driver's shape copied frame by frame (tracker-smoothed landmarks).
    var retargeter: LandmarkRetargeter?
    /// Relative mode: pose and expression, normalized and filtered (raw landmarks).
    var normalizer: DriverNormalizer?
    var last: (landmarks: [SIMD2<Float>], head: HeadMotion)
    var template: VideoFrame?
    var frames = 0
    var framesWithFace = 0
    var firstFaceFrame: Int?
    var firstFaceTime: Double?
    var metrics: PortraitMetricsAccumulator?
    let measureTracker: FaceTracker?

    init(job: PortraitAnimationJob, rig: PortraitRig, models: PortraitModels, writer: MediaWriter, rotation: Int = 0) {
        self.job = job
        self.rig = rig
        self.writer = writer
        self.rotation = rotation
        // Relative mode filters pose and expression itself, after separating them: filtering each landmark on its
        // own would lag the points far from the centre of a turn less than the near ones, which reads as expression.
        tracker = models.makeTracker(smoothing: job.mode == .absolute)
        last = (rig.landmarks, .identity(center: rig.face.center))
        if job.measure {
            metrics = PortraitMetricsAccumulator(portrait: rig.landmarks3D, outputSide: max(rig.width, rig.height))
            measureTracker = models.makeTracker(smoothing: false)
        } else {
            measureTracker = nil
        }
    }

    mutating func process(_ frame: VideoFrame, stages: inout PortraitStageTimes, clock: () -> Double) throws {
        var mark = clock()
        var image: RGBImage
        do { image = try converter.rgbImage(from: frame) } catch {
            throw PipelineError(wrapping: error, stage: .decode)
        }
        if rotation != 0 { image = ImageOrientation.rotated(image, clockwise: rotation) }
        stages.decode += clock() - mark
        mark = clock()
        var face = try tracker.track(image, at: frame.seconds)
        // A face the detector has just found is read from the detector's box, every later frame from a crop fitted
        // to the previous frame's landmarks, and the landmark model reads one face differently in the two crops
        // (0.6% larger, the chin 1 px lower at 512²). In relative mode the first frame is the reference, so that
        // difference was added to every frame as expression and head motion (scripts/eval-portrait's expression
        // case: its last frame, equal to the portrait, came out at 23.8 dB face PSNR). The frame is read again from the crop the
        // tracker will use from now on, twice: the second reading's crop is the one the next frame gets
        // (expression case 23.15 dB before, 25.20 read once, 25.34 twice; the still frame's 26.64).
        if job.mode == .relative, face?.detected == true {
            for _ in 0..<2 {
                if let again = try tracker.track(image, at: frame.seconds) { face = again }
            }
        }
        stages.track += clock() - mark
        mark = clock()
        var driving: [SIMD2<Float>]?
        if let face = face {
            driving = face.landmarks.map { SIMD2($0.x, $0.y) }
            framesWithFace += 1
            if firstFaceFrame == nil {
                firstFaceFrame = frames
                firstFaceTime = frame.seconds
            }
        }
        switch job.mode {
        case .relative:
            if normalizer == nil, let face {
                normalizer = DriverNormalizer(
                    portrait: rig.landmarks3D, reference: face.landmarks, maxZoom: job.maxZoom)
                normalizer?.maxTurn = job.maxTurnDegrees.map { $0 * .pi / 180 }
            }
            if normalizer != nil {
                let thumbnail = image.pixels.withUnsafeBufferPointer {
                    DriverNormalizer.thumbnail($0.baseAddress!, width: image.width, height: image.height)
                }
                let motion = normalizer!.next(face?.landmarks, at: frame.seconds, thumbnail: thumbnail)
                last = normalizer!.retargeter.apply(motion)
            }
        case .absolute:
            if let face {
                if retargeter == nil {
                    retargeter = LandmarkRetargeter(
                        portrait: rig.landmarks3D, reference: face.landmarks, mode: job.mode)
                }
                last = retargeter!.retarget(face.landmarks)
            }
        }
        let mouth = job.fillMouth ? driving.map { DrivingMouth(image: image, landmarks: $0) } : nil
        let output = rig.render(landmarks: last.landmarks, head: last.head, driving: mouth)
        stages.render += clock() - mark
        mark = clock()
        if template == nil {
            template = try VideoFrame.allocate(
                width: rig.width, height: rig.height, pixelFormat: writer.pixelFormat, like: frame)
        }
        do {
            let encoded = try outputConverter.frame(
                from: output, pixelFormat: writer.pixelFormat, like: template!, pts: frame.pts,
                timeBase: frame.timeBase)
            try writer.write(encoded.retimed(pts: frame.pts, timeBase: frame.timeBase, duration: frame.duration))
        } catch {
            throw PipelineError(wrapping: error, stage: .encode)
        }
        stages.encode += clock() - mark
        frames += 1
        if let measureTracker {
            mark = clock()
            let detected = try measureTracker.track(output, at: frame.seconds)?.landmarks
            metrics?.add(retargeted: last.landmarks, detected: detected, driving: face?.landmarks)
            stages.measure += clock() - mark
        }
    }
}

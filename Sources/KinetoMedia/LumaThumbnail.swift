import CFFmpeg

/// A small grey picture of a frame (area-averaged luma, 8 bits), for comparing frames cheaply:
/// scene-cut and duplicate detection look at 64×36 pixels, not at millions.
///
/// Averaging over large areas removes most compression noise, so two encodings of the same picture
/// give nearly equal thumbnails while a real change of picture does not.
public struct LumaThumbnail: Sendable, Equatable {
    public static let width = 64
    public static let height = 36
    /// `width × height` luma values, row by row.
    public let pixels: [UInt8]

    public init(pixels: [UInt8]) {
        precondition(pixels.count == Self.width * Self.height, "a luma thumbnail has 64×36 pixels")
        self.pixels = pixels
    }

    /// The largest difference of one thumbnail pixel, in grey levels (0–255).
    public func maximumDifference(_ other: LumaThumbnail) -> Int {
        var largest = 0
        for i in 0..<pixels.count { largest = max(largest, abs(Int(pixels[i]) - Int(other.pixels[i]))) }
        return largest
    }

    /// Mean absolute difference of the two thumbnails, on a 0–100 scale (100: black against white).
    public func meanAbsoluteDifference(_ other: LumaThumbnail) -> Double {
        var sum = 0
        for i in 0..<pixels.count { sum += abs(Int(pixels[i]) - Int(other.pixels[i])) }
        return Double(sum) / Double(pixels.count) * 100 / 255
    }
}

/// Makes `LumaThumbnail`s of frames of any pixel format (a cached swscale context; one maker per thread).
public final class LumaThumbnailMaker: @unchecked Sendable {
    private var context: OpaquePointer?
    private var key: (Int32, Int32, Int32) = (0, 0, -1)

    public init() {}

    deinit { sws_freeContext(context) }

    public func thumbnail(of frame: VideoFrame) throws -> LumaThumbnail {
        let src = frame.avFrame
        let newKey = (src.pointee.width, src.pointee.height, src.pointee.format)
        if context == nil || newKey != key {
            sws_freeContext(context)
            context = sws_getContext(
                src.pointee.width, src.pointee.height, AVPixelFormat(rawValue: src.pointee.format),
                Int32(LumaThumbnail.width), Int32(LumaThumbnail.height), AV_PIX_FMT_GRAY8,
                SWS_AREA, nil, nil, nil)
            guard context != nil else {
                throw MediaError(
                    .unsupportedCodec, path: "", "cannot make a thumbnail of pixel format \(frame.pixelFormatName)")
            }
            key = newKey
        }
        let out = try VideoFrame.allocate(
            width: LumaThumbnail.width, height: LumaThumbnail.height, pixelFormat: AV_PIX_FMT_GRAY8)
        let ret = sws_scale_frame(context, out.avFrame, src)
        if ret < 0 { throw MediaError(.internalFailure, path: "", "thumbnail scaling failed: \(MediaError.text(ret))") }
        let base = kineto_frame_data(out.avFrame, 0)!
        let stride = Int(kineto_frame_linesize(out.avFrame, 0))
        var pixels = [UInt8](repeating: 0, count: LumaThumbnail.width * LumaThumbnail.height)
        for y in 0..<LumaThumbnail.height {
            for x in 0..<LumaThumbnail.width { pixels[y * LumaThumbnail.width + x] = base[y * stride + x] }
        }
        return LumaThumbnail(pixels: pixels)
    }
}

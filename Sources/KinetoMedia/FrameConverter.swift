import CFFmpeg

/// Converts frames between pixel formats and to/from the networks' planar float RGB, with libswscale.
///
/// Colour is handled explicitly: the YUV matrix (BT.601/709/2020) and range come from each frame's tags
/// (untagged video is treated as players do: BT.709 from 720 lines up, BT.601 below). Every path goes
/// through 16 bits per component, so 10- and 12-bit inputs keep their precision. Conversion contexts
/// are cached; one converter serves one thread.
public final class FrameConverter: @unchecked Sendable {
    private var context: OpaquePointer?
    private var key: [Int32] = []

    public init() {}

    deinit { sws_freeContext(context) }

    /// Whether frames in `format` carry transparency (an alpha channel).
    public static func hasAlpha(_ format: AVPixelFormat) -> Bool {
        av_pix_fmt_desc_get(format).map { $0.pointee.flags & UInt64(AV_PIX_FMT_FLAG_ALPHA) != 0 } ?? false
    }

    /// `frame`'s alpha plane as `width × height` floats in [0, 1] (row by row); nil for a format without alpha.
    public func alphaPlane(from frame: VideoFrame) throws -> [Float]? {
        guard Self.hasAlpha(frame.pixelFormat) else { return nil }
        let width = frame.width
        let height = frame.height
        let planar = try VideoFrame.allocate(width: width, height: height, pixelFormat: AV_PIX_FMT_GBRAP16LE)
        try scale(
            frame.avFrame, into: planar.avFrame, sourceColor: Self.colorOf(frame.avFrame),
            destinationColor: Self.colorOf(frame.avFrame))
        let base = kineto_frame_data(planar.avFrame, 3)!
        let stride = Int(kineto_frame_linesize(planar.avFrame, 3))
        return [Float](unsafeUninitializedCapacity: width * height) { out, count in
            for y in 0..<height {
                let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                kineto_u16_to_unit_float(row, out.baseAddress! + y * width, Int32(width))
            }
            count = width * height
        }
    }

    /// `frame` converted to planar float RGB in [0, 1].
    public func rgbImage(from frame: VideoFrame) throws -> RGBImage {
        let width = frame.width
        let height = frame.height
        if width % 32 == 0 { return try rgbImageInPlace(from: frame) }
        let planar = try VideoFrame.allocate(width: width, height: height, pixelFormat: AV_PIX_FMT_GBRP16LE)
        try scale(
            frame.avFrame, into: planar.avFrame, sourceColor: Self.colorOf(frame.avFrame),
            destinationColor: Self.colorOf(frame.avFrame))
        // Every element is written below: no need to zero 3·w·h floats first.
        let pixels = [Float](unsafeUninitializedCapacity: 3 * width * height) { out, count in
            // GBRP stores G, B, R in planes 0, 1, 2.
            for (rgbPlane, avPlane) in [(0, 2), (1, 0), (2, 1)] {
                let base = kineto_frame_data(planar.avFrame, Int32(avPlane))!
                let stride = Int(kineto_frame_linesize(planar.avFrame, Int32(avPlane)))
                for y in 0..<height {
                    let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                    kineto_u16_to_unit_float(
                        row, out.baseAddress! + rgbPlane * width * height + y * width, Int32(width))
                }
            }
            count = 3 * width * height
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// `rgbImage(from:)` without a separate 16-bit copy (50 MB at 4K): libswscale writes the 16-bit planes into the
    /// upper half of the float buffer (6 of its 12 bytes a pixel), G, B, R from byte 6·n (n pixels), and each row
    /// is then widened through a one-row scratch copy, in an order that never overwrites a 16-bit row not yet
    /// read: R (whose floats lie below every 16-bit plane), G front to back (its floats end where its 16-bit
    /// plane does), then B back to front (its floats start where its 16-bit plane does). Rows of 2·width bytes
    /// stay aligned for libswscale when the width is a multiple of 32.
    private func rgbImageInPlace(from frame: VideoFrame) throws -> RGBImage {
        let width = frame.width
        let height = frame.height
        let n = width * height
        let color = Self.colorOf(frame.avFrame)
        let context = try conversionContext(
            from: (width, height, frame.avFrame.pointee.format), to: (width, height, AV_PIX_FMT_GBRP16LE.rawValue),
            sourceColor: color, destinationColor: color)
        let sourcePlanes: [UnsafePointer<UInt8>?] = (0..<4).map { UnsafePointer(kineto_frame_data(frame.avFrame, $0)) }
        let sourceStrides: [Int32] = (0..<4).map { kineto_frame_linesize(frame.avFrame, $0) }
        var scratch = [UInt16](repeating: 0, count: width)
        var failure: Int32 = 0
        let pixels = [Float](unsafeUninitializedCapacity: 3 * n) { out, count in
            let bytes = UnsafeMutableRawPointer(out.baseAddress!)
            // GBRP16's planes 0, 1, 2 (G, B, R), each n 16-bit values.
            let planes: [UnsafeMutablePointer<UInt8>?] = [
                (bytes + 6 * n).assumingMemoryBound(to: UInt8.self),
                (bytes + 8 * n).assumingMemoryBound(to: UInt8.self),
                (bytes + 10 * n).assumingMemoryBound(to: UInt8.self), nil,
            ]
            let strides: [Int32] = [Int32(2 * width), Int32(2 * width), Int32(2 * width), 0]
            failure = sws_scale(context, sourcePlanes, sourceStrides, 0, Int32(height), planes, strides)
            count = 3 * n
            guard failure >= 0 else { return }
            scratch.withUnsafeMutableBufferPointer { row in
                func widen(_ rgbPlane: Int, _ avPlane: Int, rows: some Sequence<Int>) {
                    let source = UnsafeRawPointer(planes[avPlane]!).assumingMemoryBound(to: UInt16.self)
                    for y in rows {
                        row.baseAddress!.update(from: source + y * width, count: width)
                        kineto_u16_to_unit_float(
                            row.baseAddress!, out.baseAddress! + rgbPlane * n + y * width, Int32(width))
                    }
                }
                widen(0, 2, rows: 0..<height)
                widen(1, 0, rows: 0..<height)
                widen(2, 1, rows: (0..<height).reversed())
            }
        }
        guard failure >= 0 else {
            throw MediaError(.internalFailure, path: "", "pixel conversion failed: \(MediaError.text(failure))")
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// `image` as a frame in `pixelFormat`, tagged with (and converted by) the colour description of `template`,
    /// timestamped `pts` in `timeBase`. `alpha` (`width × height` values in [0, 1]) becomes its alpha channel
    /// when `pixelFormat` has one (without it such a format comes out opaque).
    public func frame(
        from image: RGBImage, alpha: [Float]? = nil, pixelFormat: AVPixelFormat, like template: VideoFrame, pts: Int64,
        timeBase: Rational
    ) throws -> VideoFrame {
        let width = image.width
        let height = image.height
        let withAlpha = alpha != nil && Self.hasAlpha(pixelFormat)
        if let alpha {
            precondition(
                alpha.count == width * height, "alpha plane of \(alpha.count) values for a \(width)×\(height) image")
        }
        let planarFormat = withAlpha ? AV_PIX_FMT_GBRAP16LE : AV_PIX_FMT_GBRP16LE
        // The 16-bit copy is made and handed to libswscale a band of rows at a time (its slice interface gives the
        // same pixels as one whole frame): a band is 3 MB at 4K where the whole copy would be 50 MB.
        let bandHeight = min(height, Self.bandRows)
        let band = try VideoFrame.allocate(
            width: width, height: bandHeight, pixelFormat: planarFormat, like: template)
        let out = VideoFrame(
            taking: try VideoFrame.allocateAVFrame(
                width: width, height: height, pixelFormat: pixelFormat, like: template),
            timeBase: timeBase)
        let color = Self.colorOf(template.avFrame)
        let context = try conversionContext(
            from: (width, height, planarFormat.rawValue), to: (width, height, pixelFormat.rawValue), sourceColor: color,
            destinationColor: color)
        let bandPlanes: [UnsafePointer<UInt8>?] = (0..<4).map { UnsafePointer(kineto_frame_data(band.avFrame, $0)) }
        let bandStrides: [Int32] = (0..<4).map { kineto_frame_linesize(band.avFrame, $0) }
        let outPlanes: [UnsafeMutablePointer<UInt8>?] = (0..<4).map { kineto_frame_data(out.avFrame, $0) }
        let outStrides: [Int32] = (0..<4).map { kineto_frame_linesize(out.avFrame, $0) }
        try image.pixels.withUnsafeBufferPointer { src in
            var top = 0
            while top < height {
                let rows = min(bandHeight, height - top)
                // GBRP stores G, B, R in planes 0, 1, 2.
                for (rgbPlane, avPlane) in [(0, 2), (1, 0), (2, 1)] {
                    let base = kineto_frame_data(band.avFrame, Int32(avPlane))!
                    let stride = Int(bandStrides[avPlane])
                    for y in 0..<rows {
                        let row = UnsafeMutableRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                        kineto_unit_float_to_u16(
                            src.baseAddress! + rgbPlane * width * height + (top + y) * width, row, Int32(width))
                    }
                }
                if withAlpha, let alpha {
                    let base = kineto_frame_data(band.avFrame, 3)!
                    let stride = Int(bandStrides[3])
                    alpha.withUnsafeBufferPointer { alphaValues in
                        for y in 0..<rows {
                            let row = UnsafeMutableRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                            kineto_unit_float_to_u16(alphaValues.baseAddress! + (top + y) * width, row, Int32(width))
                        }
                    }
                }
                let ret = sws_scale(context, bandPlanes, bandStrides, Int32(top), Int32(rows), outPlanes, outStrides)
                if ret < 0 {
                    throw MediaError(.internalFailure, path: "", "pixel conversion failed: \(MediaError.text(ret))")
                }
                top += rows
            }
        }
        out.avFrame.pointee.color_range = color.fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        out.avFrame.pointee.pts = pts
        return out
    }

    /// Rows of the 16-bit bands `frame(from:)` converts at a time.
    static let bandRows = 64

    /// `frame` scaled to `width × height` packed 8-bit RGB (for pictures shown to people: thumbnails), decoded
    /// with the frame's own YUV matrix and range, as `rgbImage(from:)` does.
    public func rgb24(from frame: VideoFrame, width: Int, height: Int) throws -> VideoFrame {
        let out = try VideoFrame.allocate(width: width, height: height, pixelFormat: AV_PIX_FMT_RGB24)
        let color = Self.colorOf(frame.avFrame)
        try scale(frame.avFrame, into: out.avFrame, sourceColor: color, destinationColor: color)
        return out
    }

    /// `frame` converted to `pixelFormat` (same size, colour description, timestamp and duration).
    public func convert(_ frame: VideoFrame, to pixelFormat: AVPixelFormat) throws -> VideoFrame {
        if frame.pixelFormat == pixelFormat { return frame }
        let out = try VideoFrame.allocate(
            width: frame.width, height: frame.height, pixelFormat: pixelFormat, like: frame)
        // Timestamp, duration, colour tags, side data (display matrix, HDR metadata) and metadata go along.
        av_frame_copy_props(out.avFrame, frame.avFrame)
        let color = Self.colorOf(frame.avFrame)
        try scale(frame.avFrame, into: out.avFrame, sourceColor: color, destinationColor: color)
        return out
    }

    // MARK: -

    struct ColorDescription {
        var matrix: Int32
        var fullRange: Bool
    }

    static func colorOf(_ frame: UnsafeMutablePointer<AVFrame>) -> ColorDescription {
        let f = frame.pointee
        let matrix: Int32
        switch f.colorspace {
        case AVCOL_SPC_BT709: matrix = SWS_CS_ITU709
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: matrix = SWS_CS_BT2020
        case AVCOL_SPC_SMPTE170M, AVCOL_SPC_BT470BG: matrix = SWS_CS_ITU601
        case AVCOL_SPC_FCC: matrix = SWS_CS_FCC
        case AVCOL_SPC_SMPTE240M: matrix = SWS_CS_SMPTE240M
        default: matrix = f.height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601
        }
        let format = AVPixelFormat(rawValue: f.format)
        let jpegFormats: Set<Int32> = [
            AV_PIX_FMT_YUVJ420P.rawValue, AV_PIX_FMT_YUVJ422P.rawValue, AV_PIX_FMT_YUVJ444P.rawValue,
            AV_PIX_FMT_YUVJ440P.rawValue,
        ]
        return ColorDescription(
            matrix: matrix, fullRange: f.color_range == AVCOL_RANGE_JPEG || jpegFormats.contains(format.rawValue))
    }

    private func scale(
        _ src: UnsafeMutablePointer<AVFrame>, into dst: UnsafeMutablePointer<AVFrame>,
        sourceColor: ColorDescription, destinationColor: ColorDescription
    ) throws {
        let context = try conversionContext(
            from: (Int(src.pointee.width), Int(src.pointee.height), src.pointee.format),
            to: (Int(dst.pointee.width), Int(dst.pointee.height), dst.pointee.format), sourceColor: sourceColor,
            destinationColor: destinationColor)
        let ret = sws_scale_frame(context, dst, src)
        if ret < 0 { throw MediaError(.internalFailure, path: "", "pixel conversion failed: \(MediaError.text(ret))") }
        dst.pointee.color_range = destinationColor.fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
    }

    /// The cached conversion context for these sizes, formats and colours (made anew when they change).
    private func conversionContext(
        from source: (width: Int, height: Int, format: Int32), to destination: (width: Int, height: Int, format: Int32),
        sourceColor: ColorDescription, destinationColor: ColorDescription
    ) throws -> OpaquePointer {
        let newKey = [
            Int32(source.width), Int32(source.height), source.format, Int32(destination.width),
            Int32(destination.height), destination.format, sourceColor.matrix, sourceColor.fullRange ? 1 : 0,
            destinationColor.matrix, destinationColor.fullRange ? 1 : 0,
        ]
        if newKey != key || context == nil {
            sws_freeContext(context)
            context = sws_getContext(
                Int32(source.width), Int32(source.height), AVPixelFormat(rawValue: source.format),
                Int32(destination.width), Int32(destination.height), AVPixelFormat(rawValue: destination.format),
                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, nil, nil, nil)
            guard context != nil else {
                key = []
                throw MediaError(
                    .unsupportedCodec, path: "",
                    "cannot convert pixel format \(Self.name(source.format)) to \(Self.name(destination.format))")
            }
            sws_setColorspaceDetails(
                context, sws_getCoefficients(sourceColor.matrix), sourceColor.fullRange ? 1 : 0,
                sws_getCoefficients(destinationColor.matrix), destinationColor.fullRange ? 1 : 0,
                0, 1 << 16, 1 << 16)
            key = newKey
        }
        return context!
    }

    static func name(_ format: Int32) -> String {
        av_get_pix_fmt_name(AVPixelFormat(rawValue: format)).map { String(cString: $0) } ?? "unknown"
    }
}

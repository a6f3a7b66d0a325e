import CFFmpeg

/// Cross-fades two frames in their own pixel format, sample by sample — the classical `blend`
/// interpolator, which needs no colour conversion at all.
public enum FrameBlender {
    /// Whether `format` stores each sample in a whole byte or a little-endian 16-bit word, so that
    /// a per-sample linear mix is meaningful (planar and packed YUV/RGB; not palettes, bit fields or floats).
    public static func canBlend(_ format: AVPixelFormat) -> Bool {
        guard let desc = av_pix_fmt_desc_get(format)?.pointee else { return false }
        let excluded = UInt64(
            AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL
                | AV_PIX_FMT_FLAG_FLOAT)
        if desc.flags & excluded != 0 { return false }
        let comps = [desc.comp.0, desc.comp.1, desc.comp.2, desc.comp.3].prefix(Int(desc.nb_components))
        let depth = comps.first.map { Int($0.depth) } ?? 0
        // Whole-byte samples only: 8-bit in bytes, 9-16-bit in 16-bit words, no packed bit fields.
        return comps.allSatisfy { c in
            c.shift == 0 && (depth <= 8 ? c.depth == 8 : (c.depth > 8 && c.depth <= 16 && c.step % 2 == 0))
        }
    }

    /// `(1 - t)·a + t·b`, rounded, as a new frame with `a`'s format and colour tags, timestamped `pts` in `timeBase`
    /// (its pixels come from a reuse pool: a long job recycles a few buffers).
    /// Both frames must have the same size and format (`canBlend`).
    public static func blend(_ a: VideoFrame, _ b: VideoFrame, t: Double, pts: Int64, timeBase: Rational) throws
        -> VideoFrame
    {
        guard a.width == b.width, a.height == b.height, a.pixelFormat == b.pixelFormat else {
            throw MediaError(
                .invalidArgument, path: "",
                "cannot blend a \(a.width)×\(a.height) \(a.pixelFormatName) frame with a \(b.width)×\(b.height) \(b.pixelFormatName) one"
            )
        }
        guard canBlend(a.pixelFormat) else {
            throw MediaError(
                .invalidArgument, path: "",
                "cannot blend frames in pixel format \(a.pixelFormatName); convert them first")
        }
        let out = VideoFrame(
            taking: try VideoFrame.allocateAVFrame(
                width: a.width, height: a.height, pixelFormat: a.pixelFormat, like: a),
            timeBase: timeBase)
        let desc = av_pix_fmt_desc_get(a.pixelFormat)!.pointee
        let wide = desc.comp.0.depth > 8
        var lineBytes = [Int32](repeating: 0, count: 4)
        av_image_fill_linesizes(&lineBytes, a.pixelFormat, Int32(a.width))
        let planes = Int(av_pix_fmt_count_planes(a.pixelFormat))
        for plane in 0..<planes {
            let isChroma = (plane == 1 || plane == 2) && desc.flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0
            let rows = isChroma ? -((-a.height) >> Int(desc.log2_chroma_h)) : a.height
            let bytes = Int(lineBytes[plane])
            let pa = kineto_frame_data(a.avFrame, Int32(plane))!
            let pb = kineto_frame_data(b.avFrame, Int32(plane))!
            let po = kineto_frame_data(out.avFrame, Int32(plane))!
            let sa = Int(kineto_frame_linesize(a.avFrame, Int32(plane)))
            let sb = Int(kineto_frame_linesize(b.avFrame, Int32(plane)))
            let so = Int(kineto_frame_linesize(out.avFrame, Int32(plane)))
            // Wrapping operators and truncating conversions: the sums cannot overflow (see the bounds), and
            // without trap checks LLVM vectorises the loops (SSE/AVX lanes instead of one sample at a time).
            if wide {
                // a·(32768−w) + b·w + 16384 ≤ 65535·32768 + 16384 < 2³².
                let w = UInt32((Swift.min(Swift.max(t, 0), 1) * 32768).rounded())
                let v = 32768 &- w
                for y in 0..<rows {
                    let ra = UnsafeRawPointer(pa + y * sa).assumingMemoryBound(to: UInt16.self)
                    let rb = UnsafeRawPointer(pb + y * sb).assumingMemoryBound(to: UInt16.self)
                    let ro = UnsafeMutableRawPointer(po + y * so).assumingMemoryBound(to: UInt16.self)
                    for x in 0..<(bytes / 2) {
                        ro[x] = UInt16(truncatingIfNeeded: (UInt32(ra[x]) &* v &+ UInt32(rb[x]) &* w &+ 16384) &>> 15)
                    }
                }
            } else {
                // a·(256−w) + b·w + 128 ≤ 255·256 + 128 < 2¹⁶: 16-bit lanes suffice.
                let w = UInt16((Swift.min(Swift.max(t, 0), 1) * 256).rounded())
                let v = 256 &- w
                for y in 0..<rows {
                    let ra = pa + y * sa
                    let rb = pb + y * sb
                    let ro = po + y * so
                    for x in 0..<bytes {
                        ro[x] = UInt8(truncatingIfNeeded: (UInt16(ra[x]) &* v &+ UInt16(rb[x]) &* w &+ 128) &>> 8)
                    }
                }
            }
        }
        out.avFrame.pointee.pts = pts
        return out
    }
}

import KinetoMedia

/// Cropping and resizing of planar float images (portrait setup, segmentation input, example frames).
public enum ImageResampler {
    /// The region `(x, y, width, height)` of `image` (image pixels, may reach outside: black there) resampled to
    /// `outWidth × outHeight`. Downscaling averages the covered source pixels (box filter, no aliasing); upscaling
    /// is bilinear.
    public static func crop(
        _ image: RGBImage, x: Float, y: Float, width: Float, height: Float,
        outWidth: Int, outHeight: Int
    ) -> RGBImage {
        let pixels = resample(
            image.pixels, channels: 3, width: image.width, height: image.height, x: x, y: y,
            regionWidth: width, regionHeight: height, outWidth: outWidth, outHeight: outHeight)
        return RGBImage(width: outWidth, height: outHeight, pixels: pixels)
    }

    /// `image` resized to `outWidth × outHeight`.
    public static func resize(_ image: RGBImage, width outWidth: Int, height outHeight: Int) -> RGBImage {
        crop(
            image, x: 0, y: 0, width: Float(image.width), height: Float(image.height), outWidth: outWidth,
            outHeight: outHeight)
    }

    /// Planar resampling of a region (see `crop`). Region coordinates are pixel edges: `x = 0, width = W` is the
    /// whole row.
    public static func resample(
        _ source: [Float], channels: Int, width: Int, height: Int, x: Float, y: Float,
        regionWidth: Float, regionHeight: Float, outWidth: Int, outHeight: Int
    ) -> [Float] {
        let scaleX = regionWidth / Float(outWidth)
        let scaleY = regionHeight / Float(outHeight)
        // Box filter taps: how many source pixels each output pixel averages per axis (1 when upscaling).
        let tapsX = max(1, Int(scaleX.rounded(.up)))
        let tapsY = max(1, Int(scaleY.rounded(.up)))
        var out = [Float](repeating: 0, count: channels * outWidth * outHeight)
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    let plane = src.baseAddress! + c * width * height
                    for v in 0..<outHeight {
                        for u in 0..<outWidth {
                            var sum: Float = 0
                            for ty in 0..<tapsY {
                                // Sample positions spread evenly over the output pixel's footprint (pixel centres at +0.5).
                                let sy = y + (Float(v) + (Float(ty) + 0.5) / Float(tapsY)) * scaleY - 0.5
                                for tx in 0..<tapsX {
                                    let sx = x + (Float(u) + (Float(tx) + 0.5) / Float(tapsX)) * scaleX - 0.5
                                    sum += bilinear(plane, width, height, sx, sy)
                                }
                            }
                            dst[(c * outHeight + v) * outWidth + u] = sum / Float(tapsX * tapsY)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Bilinear sample of one plane at (x, y) (pixel centres at integers), 0 outside.
    @inline(__always)
    static func bilinear(_ plane: UnsafePointer<Float>, _ w: Int, _ h: Int, _ x: Float, _ y: Float) -> Float {
        let xa = Int(x.rounded(.down))
        let ya = Int(y.rounded(.down))
        let fx = x - Float(xa)
        let fy = y - Float(ya)
        @inline(__always) func at(_ px: Int, _ py: Int) -> Float {
            px >= 0 && px < w && py >= 0 && py < h ? plane[py * w + px] : 0
        }
        return (at(xa, ya) * (1 - fx) + at(xa + 1, ya) * fx) * (1 - fy)
            + (at(xa, ya + 1) * (1 - fx) + at(xa + 1, ya + 1) * fx) * fy
    }

    /// Bilinear sample with edge clamping (for sampling inside a valid image).
    @inline(__always)
    public static func bilinearClamped(_ plane: UnsafePointer<Float>, _ w: Int, _ h: Int, _ x: Float, _ y: Float)
        -> Float
    {
        let cx = min(max(x, 0), Float(w - 1))
        let cy = min(max(y, 0), Float(h - 1))
        let xa = min(Int(cx), max(w - 2, 0))
        let ya = min(Int(cy), max(h - 2, 0))
        let fx = cx - Float(xa)
        let fy = cy - Float(ya)
        let xb = min(xa + 1, w - 1)
        let yb = min(ya + 1, h - 1)
        return (plane[ya * w + xa] * (1 - fx) + plane[ya * w + xb] * fx) * (1 - fy)
            + (plane[yb * w + xa] * (1 - fx) + plane[yb * w + xb] * fx) * fy
    }
}

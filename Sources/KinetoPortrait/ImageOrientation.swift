import Foundation
import KinetoMedia

/// How a picture must be turned to be seen upright: a photo's EXIF orientation, or a video's display rotation.
///
/// Phones store pixels as the sensor saw them and record the turn separately (EXIF tag 0x0112 in a JPEG, a display
/// matrix in a video); FFmpeg 5.1 decodes the pixels but applies neither, so a face lies on its side.
public enum ImageOrientation {
    /// The EXIF orientation (1-8) of the JPEG at `path`, or nil when it has none (or is no JPEG).
    public static func exifOrientation(ofFileAt path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        // EXIF sits in an APP1 segment near the start; 256 KiB covers any real header.
        guard let data = try? handle.read(upToCount: 256 * 1024) else { return nil }
        return exifOrientation(jpeg: [UInt8](data))
    }

    /// The EXIF orientation in JPEG bytes: walks the marker segments up to the first scan.
    public static func exifOrientation(jpeg b: [UInt8]) -> Int? {
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {
                i += 2
                continue
            }
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end: no EXIF before the pixels
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            if marker == 0xE1, length >= 8, Array(b[(i + 4)..<(i + 10)]) == Array("Exif\0\0".utf8) {
                return tiffOrientation(Array(b[(i + 10)..<(i + 2 + length)]))
            }
            i += 2 + length
        }
        return nil
    }

    /// Tag 0x0112 of IFD0 in a TIFF structure (either byte order).
    static func tiffOrientation(_ t: [UInt8]) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            o + 2 <= t.count ? (little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])) : nil
        }
        func u32(_ o: Int) -> Int? {
            guard o + 4 <= t.count else { return nil }
            let v = (0..<4).map { Int(t[o + $0]) }
            return little ? v[0] | v[1] << 8 | v[2] << 16 | v[3] << 24 : v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for k in 0..<count {
            let entry = ifd + 2 + 12 * k
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112, let type = u16(entry + 2), type == 3, let value = u16(entry + 8), (1...8).contains(value)
            {
                return value
            }
        }
        return nil
    }

    /// `image` turned upright for EXIF `orientation` (1: as stored; 6: turn 90° clockwise; 3: 180°; 8: 90°
    /// counter-clockwise; 2, 4, 5, 7: the mirrored variants).
    public static func upright(_ image: RGBImage, exif orientation: Int) -> RGBImage {
        switch orientation {
        case 2: return transformed(image, swap: false) { x, y, w, h in (w - 1 - x, y) }
        case 3: return transformed(image, swap: false) { x, y, w, h in (w - 1 - x, h - 1 - y) }
        case 4: return transformed(image, swap: false) { x, y, w, h in (x, h - 1 - y) }
        case 5: return transformed(image, swap: true) { x, y, w, h in (y, x) }
        case 6: return transformed(image, swap: true) { x, y, w, h in (y, h - 1 - x) }
        case 7: return transformed(image, swap: true) { x, y, w, h in (w - 1 - y, h - 1 - x) }
        case 8: return transformed(image, swap: true) { x, y, w, h in (w - 1 - y, x) }
        default: return image
        }
    }

    /// `image` turned by `degrees` clockwise (0, 90, 180, 270; a video's display rotation).
    public static func rotated(_ image: RGBImage, clockwise degrees: Int) -> RGBImage {
        switch ((degrees % 360) + 360) % 360 {
        case 90: return upright(image, exif: 6)
        case 180: return upright(image, exif: 3)
        case 270: return upright(image, exif: 8)
        default: return image
        }
    }

    /// A new image whose pixel (x, y) is `image`'s pixel `source(x, y, image.width, image.height)`; `swap` exchanges
    /// width and height.
    private static func transformed(_ image: RGBImage, swap: Bool, source: (Int, Int, Int, Int) -> (Int, Int))
        -> RGBImage
    {
        let (w, h) = (image.width, image.height)
        let (ow, oh) = swap ? (h, w) : (w, h)
        var out = [Float](repeating: 0, count: 3 * ow * oh)
        let plane = w * h
        let outPlane = ow * oh
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<oh {
                for x in 0..<ow {
                    let (sx, sy) = source(x, y, w, h)
                    let i = sy * w + sx
                    let o = y * ow + x
                    out[o] = src[i]
                    out[outPlane + o] = src[plane + i]
                    out[2 * outPlane + o] = src[2 * plane + i]
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }
}

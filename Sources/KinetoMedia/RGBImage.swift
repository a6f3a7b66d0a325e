/// A video frame as the networks see it: planar float32 RGB, nominally in [0, 1].
///
/// Planes are stored one after another (R, then G, then B), each `width × height`, row-major —
/// the memory layout of a batch-1 NCHW tensor, so an image becomes a tensor without a copy.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `3 × height × width` values: the R plane, then G, then B.
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(
            width > 0 && height > 0 && pixels.count == 3 * width * height,
            "RGBImage needs 3×\(width)×\(height) values, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [Float](repeating: 0, count: 3 * width * height))
    }

    public var planeSize: Int { width * height }
}

/// Index sets of MediaPipe's 468-point face mesh that the retargeting and warping need.
///
/// Indices follow MediaPipe's canonical face mesh (`face_mesh_connections`): the face oval, the lips' inner and
/// outer contours (each an ordered closed loop) and a set of points that move with the skull, not the expression.
public enum FaceMeshRegions {
    /// Points of the mesh.
    public static let count = 468

    /// The face oval, an ordered closed loop (forehead top, down the left side of the image, chin, up the right).
    public static let faceOval: [Int] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
        377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ]

    /// The lips' inner contour, an ordered closed loop (mouth corner 78, upper lip, corner 308, lower lip).
    public static let innerLips: [Int] = [
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
    ]

    /// The lips' outer contour, an ordered closed loop.
    public static let outerLips: [Int] = [
        61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
    ]

    /// Pairs (upper, lower) across the inner lips, whose distances measure how far the mouth is open.
    public static let mouthGaps: [(upper: Int, lower: Int)] = [(13, 14), (82, 87), (312, 317), (81, 178), (311, 402)]

    /// Points that move with the head rather than with the expression: forehead, nose bridge and tip, the eyes'
    /// corners, temples and cheekbones. Head pose is fitted on these.
    public static let rigid: [Int] = [
        10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 127, 356, 234, 454, 93, 323,
        109, 338, 67, 297, 103, 332, 116, 345, 50, 280,
    ]

    /// Points describing the shape of a face independent of its expression (oval above the mouth, nose, eye corners):
    /// the identity measure compares these.
    public static let identity: [Int] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 93, 234, 127, 162, 21, 54, 103, 67, 109,
        151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 98, 327,
    ]
}

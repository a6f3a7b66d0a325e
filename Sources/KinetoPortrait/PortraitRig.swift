import Dispatch
import KinetoMedia

/// A portrait prepared for animation, once per job: its image at output size, its landmarks, its person mask, a
/// background plate, the mesh (landmarks plus anchors on the head outline, shoulders and frame border, Delaunay-
/// triangulated) and the mouth filler. `render` then makes one output frame from retargeted landmarks.
public final class PortraitRig: @unchecked Sendable {
    /// A mesh point that is not a landmark: it follows the head motion with `weight` (1 all, 0 still); `depth`
    /// places it on the head for 3D turns (the depth of the face outline it extends).
    public struct Anchor: Sendable {
        public var position: SIMD2<Float>
        public var depth: Float
        public var weight: Float
        /// A face-outline landmark whose non-rigid displacement (expression) this anchor takes on, by `followWeight`,
        /// so the band between the outline and the anchor is not stretched.
        public var follows: Int? = nil
        public var followWeight: Float = 0
    }

    public let image: RGBImage
    public var width: Int { image.width }
    public var height: Int { image.height }
    /// 468 landmarks in output pixels, and with their depth (z, same scale).
    public let landmarks: [SIMD2<Float>]
    public let landmarks3D: [SIMD3<Float>]
    /// Person probability per pixel (`width × height`), edges sharpened.
    public let personMask: [Float]
    public let anchors: [Anchor]
    public let warp: PiecewiseAffineWarp
    public let mouthFiller: MouthFiller
    /// The portrait with the person's area filled from the surrounding background (shown where the person moved away).
    public let backgroundPlate: [Float]
    /// Mesh points at rest (landmarks then anchors, as triangulated) and each one's nudge from its true position.
    public let restPoints: [SIMD2<Float>]
    private let nudges: [SIMD2<Float>]
    /// RGB planes plus the mask plane: what the warp moves.
    private let source: [Float]
    public let face: NormalizedFace

    /// `image` at output size, its 468 landmarks (output pixels; z: relative depth) and its person mask
    /// (`width × height`, [0, 1]).
    public init(image: RGBImage, landmarks landmarks3D: [SIMD3<Float>], personMask: [Float]) {
        self.image = image
        self.landmarks3D = landmarks3D
        let landmarks = landmarks3D.map { SIMD2($0.x, $0.y) }
        self.landmarks = landmarks
        let (w, h) = (image.width, image.height)
        // Sharper mask edges: the segmenter's soft edge spans several pixels at 256², enough to ghost.
        let mask = personMask.map { v -> Float in let t = min(max((v - 0.25) / 0.5, 0), 1); return t * t * (3 - 2 * t) }
        self.personMask = mask
        face = NormalizedFace(landmarks)
        anchors = Self.makeAnchors(landmarks: landmarks3D, face: face, mask: mask, width: w, height: h)
        let mesh = DelaunayTriangulation(points: landmarks + anchors.map(\.position))
        restPoints = mesh.points
        nudges = zip(mesh.points, landmarks + anchors.map(\.position)).map { $0 - $1 }
        warp = PiecewiseAffineWarp(triangles: mesh.triangles)
        source = image.pixels + mask
        backgroundPlate = Self.fillBackground(image.pixels, mask: mask, width: w, height: h)
        let lips = FaceMeshRegions.outerLips.map { landmarks[$0] }
        let colors = image.pixels.withUnsafeBufferPointer {
            ColorStatistics(pixels: $0.baseAddress!, width: w, height: h, inside: lips)
        } ?? ColorStatistics(mean: SIMD3(repeating: 0.5), deviation: SIMD3(repeating: 0.1))
        mouthFiller = MouthFiller(portraitOpening: face.mouthOpening, portraitColors: colors)
    }

    /// Mesh destination points for retargeted `landmarks` and `head` motion (anchors follow the head by weight).
    public func meshPoints(landmarks moved: [SIMD2<Float>], head: HeadMotion) -> [SIMD2<Float>] {
        var out = moved
        out.reserveCapacity(restPoints.count)
        let lo = SIMD2<Float>(-0.5, -0.5), hi = SIMD2<Float>(Float(width) - 0.5, Float(height) - 0.5)
        for anchor in anchors {
            var p = anchor.weight == 0 ? anchor.position
                : anchor.position + anchor.weight * (head.apply(anchor.position, depth: anchor.depth) - anchor.position)
            if let i = anchor.follows {
                p += anchor.followWeight * (moved[i] - head.apply(landmarks[i], depth: landmarks3D[i].z))
            }
            out.append(pointwiseMin(pointwiseMax(p, lo), hi))
        }
        for i in out.indices { out[i] += nudges[i] }
        return out
    }

    /// One output frame: the portrait warped onto `landmarks` (output pixels, 468) moving with `head`, over the still
    /// background; the mouth filled from `driving` when it opens beyond the portrait's.
    public func render(landmarks moved: [SIMD2<Float>], head: HeadMotion, driving: DrivingMouth? = nil) -> RGBImage {
        let (w, h) = (width, height)
        let plane = w * h
        let destination = meshPoints(landmarks: moved, head: head)
        var warped = source
        var pixels = [Float](repeating: 0, count: 3 * plane)
        // Large frames are split in bands of rows between threads (small ones are not worth the hand-off).
        let bands = plane >= 300_000 ? 2 : 1
        source.withUnsafeBufferPointer { src in
            warped.withUnsafeMutableBufferPointer { wp in
                backgroundPlate.withUnsafeBufferPointer { bg in
                    pixels.withUnsafeMutableBufferPointer { out in
                        let (s, d, b, o) = (src.baseAddress!, wp.baseAddress!, bg.baseAddress!, out.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: bands) { band in
                            let rows = (h * band / bands)..<(h * (band + 1) / bands)
                            warp.warp(source: s, into: d, channels: 4, width: w, height: h, from: restPoints, to: destination, rows: rows)
                            // Over the background plate, by the warped person mask.
                            let m = d + 3 * plane
                            for c in 0..<3 {
                                let offset = c * plane
                                for i in (rows.lowerBound * w)..<(rows.upperBound * w) {
                                    let a = m[i]
                                    o[offset + i] = a * d[offset + i] + (1 - a) * b[offset + i]
                                }
                            }
                        }
                    }
                }
            }
        }
        if let driving {
            let opening = NormalizedFace(moved).mouthOpening
            let strength = mouthFiller.strength(opening: opening)
            if strength > 0 {
                let mouth = FaceMeshRegions.innerLips.map { moved[$0] }
                let drivingMouth = FaceMeshRegions.innerLips.map { driving.landmarks[$0] }
                let drivingLips = FaceMeshRegions.outerLips.map { driving.landmarks[$0] }
                let feather = max(1, 0.04 * face.size * Float(w) / Float(max(w, 1)))
                pixels.withUnsafeMutableBufferPointer { out in
                    driving.image.pixels.withUnsafeBufferPointer { d in
                        mouthFiller.fill(out.baseAddress!, width: w, height: h, mouth: mouth, strength: strength, feather: feather,
                                         driving: d.baseAddress!, drivingWidth: driving.image.width, drivingHeight: driving.image.height,
                                         drivingMouth: drivingMouth, drivingLips: drivingLips)
                    }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    // MARK: - Setup

    static func makeAnchors(landmarks landmarks3D: [SIMD3<Float>], face: NormalizedFace, mask: [Float], width w: Int, height h: Int) -> [Anchor] {
        let landmarks = landmarks3D.map { SIMD2($0.x, $0.y) }
        let rigidDepth = FaceMeshRegions.rigid.map { landmarks3D[$0].z }.reduce(0, +) / Float(FaceMeshRegions.rigid.count)
        var anchors: [Anchor] = []
        let spacing = max(3, 0.08 * face.size)
        func person(_ p: SIMD2<Float>) -> Bool {
            let x = Int(p.x.rounded()), y = Int(p.y.rounded())
            return x >= 0 && x < w && y >= 0 && y < h && mask[y * w + x] > 0.5
        }
        func add(_ p: SIMD2<Float>, _ weight: Float, depth: Float? = nil, follows: Int? = nil, followWeight: Float = 0) {
            guard p.x > 2, p.y > 2, p.x < Float(w) - 3, p.y < Float(h) - 3 else { return }
            for q in landmarks where ((q - p) * (q - p)).sum() < spacing * spacing { return }
            for a in anchors where ((a.position - p) * (a.position - p)).sum() < spacing * spacing { return }
            anchors.append(Anchor(position: p, depth: depth ?? rigidDepth, weight: weight, follows: follows, followWeight: followWeight))
        }
        let oval = FaceMeshRegions.faceOval.map { landmarks[$0] }
        let ovalDepth = FaceMeshRegions.faceOval.map { landmarks3D[$0].z }
        let ovalCenter = oval.reduce(SIMD2<Float>.zero, +) / Float(oval.count)
        // Head outline (hair, ears, jaw line): moves with the head, turning on the outline's depth (a little
        // further back, as the skull curves away).
        for (k, (p, z)) in zip(oval, ovalDepth).enumerated() {
            add(ovalCenter + 1.4 * (p - ovalCenter), 1, depth: z + 0.3 * face.size, follows: FaceMeshRegions.faceOval[k], followWeight: 1)
        }
        // A wider ring: hair and neck follow partly; background stays.
        for (k, (p, z)) in zip(oval, ovalDepth).enumerated() {
            let q = ovalCenter + 1.9 * (p - ovalCenter)
            if person(q) { add(q, 0.5, depth: z + 0.6 * face.size, follows: FaceMeshRegions.faceOval[k], followWeight: 0.5) } else { add(q, 0) }
        }
        for (p, z) in zip(oval, ovalDepth) { let q = ovalCenter + 2.6 * (p - ovalCenter); add(q, person(q) ? 0.15 : 0, depth: z + 0.6 * face.size) }
        // Shoulders: a row below the chin follows the head a little.
        let chin = landmarks[152]
        for row in [0.45, 0.8] as [Float] {
            let y = chin.y + (Float(h) - chin.y) * row
            for k in 0...8 {
                let q = SIMD2(Float(w) * (Float(k) + 0.5) / 9, y)
                add(q, person(q) ? 0.1 : 0)
            }
        }
        // Frame border: fixed, just outside the pixel centres so the mesh covers every pixel.
        let perSide = 8
        for k in 0...perSide {
            let t = Float(k) / Float(perSide)
            let x = -0.5 + t * Float(w), y = -0.5 + t * Float(h)
            anchors.append(Anchor(position: SIMD2(x, -0.5), depth: 0, weight: 0))
            anchors.append(Anchor(position: SIMD2(x, Float(h) - 0.5), depth: 0, weight: 0))
            if k > 0 && k < perSide {
                anchors.append(Anchor(position: SIMD2(-0.5, y), depth: 0, weight: 0))
                anchors.append(Anchor(position: SIMD2(Float(w) - 0.5, y), depth: 0, weight: 0))
            }
        }
        return anchors
    }

    /// The image with the person's area replaced by the surrounding background (push–pull: a pyramid of
    /// background-weighted averages, filled in from coarse to fine).
    static func fillBackground(_ pixels: [Float], mask: [Float], width: Int, height: Int) -> [Float] {
        struct Level { var w: Int; var h: Int; var color: [Float]; var weight: [Float] }
        let plane = width * height
        var weight = mask.map { max(0, 1 - 2 * $0) }   // only clearly-background pixels count
        var color = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 { for i in 0..<plane { color[c * plane + i] = pixels[c * plane + i] * weight[i] } }
        var levels = [Level(w: width, h: height, color: color, weight: weight)]
        while levels.last!.w > 1 || levels.last!.h > 1 {
            let prev = levels.last!
            let nw = (prev.w + 1) / 2, nh = (prev.h + 1) / 2
            var c2 = [Float](repeating: 0, count: 3 * nw * nh), w2 = [Float](repeating: 0, count: nw * nh)
            for y in 0..<prev.h { for x in 0..<prev.w {
                let i = y * prev.w + x, j = (y / 2) * nw + x / 2
                w2[j] += prev.weight[i]
                for c in 0..<3 { c2[c * nw * nh + j] += prev.color[c * prev.w * prev.h + i] }
            } }
            levels.append(Level(w: nw, h: nh, color: c2, weight: w2))
        }
        // Pull: normalized colour at the coarsest level, then each finer level blends its own estimate with the coarser.
        var coarse = levels.last!
        for i in 0..<(coarse.w * coarse.h) {
            let wt = max(coarse.weight[i], 1e-6)
            for c in 0..<3 { coarse.color[c * coarse.w * coarse.h + i] /= wt }
        }
        var filled = coarse.color
        for index in stride(from: levels.count - 2, through: 0, by: -1) {
            let level = levels[index], upper = levels[index + 1]
            var next = [Float](repeating: 0, count: 3 * level.w * level.h)
            let lp = level.w * level.h, upPlane = upper.w * upper.h
            filled.withUnsafeBufferPointer { coarse in
                for y in 0..<level.h { for x in 0..<level.w {
                    let i = y * level.w + x
                    let own = min(level.weight[i], 1)
                    // Bilinear from the coarser level (nearest would leave blocks in large filled areas).
                    let cx = (Float(x) + 0.5) / 2 - 0.5, cy = (Float(y) + 0.5) / 2 - 0.5
                    for c in 0..<3 {
                        let mine = level.weight[i] > 1e-6 ? level.color[c * lp + i] / level.weight[i] : 0
                        let fromAbove = ImageResampler.bilinearClamped(coarse.baseAddress! + c * upPlane, upper.w, upper.h, cx, cy)
                        next[c * lp + i] = own * mine + (1 - own) * fromAbove
                    }
                } }
            }
            filled = next
        }
        weight = []
        // Keep the true image wherever it is background.
        var out = filled
        for c in 0..<3 { for i in 0..<plane {
            let b = max(0, 1 - 2 * mask[i])
            out[c * plane + i] = b * pixels[c * plane + i] + (1 - b) * filled[c * plane + i]
        } }
        return out
    }
}

/// The driving frame's image and landmarks (its pixels), for filling the mouth.
public struct DrivingMouth: Sendable {
    public var image: RGBImage
    public var landmarks: [SIMD2<Float>]

    public init(image: RGBImage, landmarks: [SIMD2<Float>]) {
        self.image = image
        self.landmarks = landmarks
    }
}

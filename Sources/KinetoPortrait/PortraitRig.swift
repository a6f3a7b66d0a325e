import Dispatch
import KinetoMedia

/// A portrait prepared for animation, once per job: its image at output size, its landmarks, its person mask, the
/// mesh (landmarks plus anchors on the head outline, hair, shoulders and frame border, Delaunay-triangulated), the
/// still background and the mouth filler. `render` then makes one output frame from retargeted landmarks: the whole
/// picture warped by the mesh, laid by the warped person mask over the still background, which is the portrait
/// itself outside the person and texture synthesized from the surrounding background inside (`ExemplarFill`), so a
/// moving head uncovers background rather than a blurred hole. (A single warp without the layer was measured
/// worse: the background stretched into streaks around the head, halo 6-10 grey levels, scripts/eval-portrait.)
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
    /// Mesh points at rest (landmarks then anchors, as triangulated) and each one's nudge from its true position.
    public let restPoints: [SIMD2<Float>]
    private let nudges: [SIMD2<Float>]
    /// RGB planes plus the person's alpha (the sharpened mask): what the warp moves.
    private let source: [Float]
    /// The still background: the portrait where no person is, and where one is, background synthesized from the
    /// surroundings (shown only where the moving head uncovers it).
    public let background: [Float]
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
        let mask = personMask.map { v -> Float in
            let t = min(max((v - 0.25) / 0.5, 0), 1)
            return t * t * (3 - 2 * t)
        }
        self.personMask = mask
        face = NormalizedFace(landmarks)
        anchors = Self.makeAnchors(landmarks: landmarks3D, face: face, mask: mask, width: w, height: h)
        let mesh = DelaunayTriangulation(points: landmarks + anchors.map(\.position))
        restPoints = mesh.points
        nudges = zip(mesh.points, landmarks + anchors.map(\.position)).map { $0 - $1 }
        warp = PiecewiseAffineWarp(triangles: mesh.triangles)
        source = image.pixels + mask
        // Where the person is, background synthesized from the surroundings; at the soft edge, the portrait's own
        // pixels as far as they are background.
        let filled = ExemplarFill.fill(
            image.pixels, hole: mask.map { $0 > 0.02 }, width: w, height: h, depth: 0.8 * face.size)
        var background = filled
        for i in 0..<(w * h) {
            let keep = max(0, 1 - 2 * mask[i])
            for c in 0..<3 {
                background[c * w * h + i] = keep * image.pixels[c * w * h + i] + (1 - keep) * filled[c * w * h + i]
            }
        }
        self.background = background
        let lips = FaceMeshRegions.outerLips.map { landmarks[$0] }
        let colors =
            image.pixels.withUnsafeBufferPointer {
                ColorStatistics(pixels: $0.baseAddress!, width: w, height: h, inside: lips)
            } ?? ColorStatistics(mean: SIMD3(repeating: 0.5), deviation: SIMD3(repeating: 0.1))
        mouthFiller = MouthFiller(portraitOpening: face.mouthOpening, portraitColors: colors)
    }

    /// Mesh destination points for retargeted `landmarks` and `head` motion (anchors follow the head by weight).
    public func meshPoints(landmarks moved: [SIMD2<Float>], head: HeadMotion) -> [SIMD2<Float>] {
        var out = moved
        out.reserveCapacity(restPoints.count)
        let lo = SIMD2<Float>(-0.5, -0.5)
        let hi = SIMD2<Float>(Float(width) - 0.5, Float(height) - 0.5)
        for anchor in anchors {
            var p =
                anchor.weight == 0
                ? anchor.position
                : anchor.position + anchor.weight * (head.apply(anchor.position, depth: anchor.depth) - anchor.position)
            if let i = anchor.follows {
                p += anchor.followWeight * (moved[i] - head.apply(landmarks[i], depth: landmarks3D[i].z))
            }
            out.append(pointwiseMin(pointwiseMax(p, lo), hi))
        }
        for i in out.indices { out[i] += nudges[i] }
        return out
    }

    /// The mesh's triangles from far to near under `head`'s turn (painter's order): landmarks and the anchors that
    /// move with the head at their turned depth (MediaPipe's z: smaller is nearer), still anchors behind everything.
    /// Where a turn folds the mesh, the near side of the face covers the far side instead of the far cheek showing
    /// through the nose.
    public func drawingOrder(head: HeadMotion) -> [Int] {
        var depth = [Float](repeating: .greatestFiniteMagnitude, count: restPoints.count)
        func turned(_ p: SIMD2<Float>, _ z: Float) -> Float {
            let d = p - head.center
            return head.turn.apply(SIMD3(d.x, d.y, z - head.centerDepth)).z
        }
        for i in landmarks.indices { depth[i] = turned(landmarks[i], landmarks3D[i].z) }
        for (k, anchor) in anchors.enumerated() where anchor.weight > 0 {
            depth[landmarks.count + k] = turned(anchor.position, anchor.depth)
        }
        let triangleDepth = warp.triangles.map { t in
            max(depth[Int(t.x)], depth[Int(t.y)], depth[Int(t.z)]) == .greatestFiniteMagnitude
                ? Float.greatestFiniteMagnitude : (depth[Int(t.x)] + depth[Int(t.y)] + depth[Int(t.z)]) / 3
        }
        return triangleDepth.indices.sorted {
            triangleDepth[$0] != triangleDepth[$1] ? triangleDepth[$0] > triangleDepth[$1] : $0 < $1
        }
    }

    /// One output frame: the portrait warped onto `landmarks` (output pixels, 468) moving with `head`, over the still
    /// background; the mouth filled from `driving` when it opens beyond the portrait's.
    public func render(landmarks moved: [SIMD2<Float>], head: HeadMotion, driving: DrivingMouth? = nil) -> RGBImage {
        let (w, h) = (width, height)
        let plane = w * h
        let destination = meshPoints(landmarks: moved, head: head)
        let order = drawingOrder(head: head)
        var warped = source
        var pixels = [Float](repeating: 0, count: 3 * plane)
        // Large frames are split in bands of rows between threads (small ones are not worth the hand-off).
        let bands = plane >= 300_000 ? 2 : 1
        source.withUnsafeBufferPointer { src in
            warped.withUnsafeMutableBufferPointer { wp in
                background.withUnsafeBufferPointer { bg in
                    pixels.withUnsafeMutableBufferPointer { out in
                        let (s, d, b, o) = (src.baseAddress!, wp.baseAddress!, bg.baseAddress!, out.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: bands) { band in
                            let rows = (h * band / bands)..<(h * (band + 1) / bands)
                            warp.warp(
                                source: s, into: d, channels: 4, width: w, height: h, from: restPoints, to: destination,
                                rows: rows, order: order)
                            // The warped picture over the still background, by the warped alpha.
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
                        mouthFiller.fill(
                            out.baseAddress!, width: w, height: h, mouth: mouth, strength: strength, feather: feather,
                            driving: d.baseAddress!, drivingWidth: driving.image.width,
                            drivingHeight: driving.image.height,
                            drivingMouth: drivingMouth, drivingLips: drivingLips)
                    }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    // MARK: - Setup

    static func makeAnchors(
        landmarks landmarks3D: [SIMD3<Float>], face: NormalizedFace, mask: [Float], width w: Int, height h: Int
    ) -> [Anchor] {
        let landmarks = landmarks3D.map { SIMD2($0.x, $0.y) }
        let rigidDepth =
            FaceMeshRegions.rigid.map { landmarks3D[$0].z }.reduce(0, +) / Float(FaceMeshRegions.rigid.count)
        var anchors: [Anchor] = []
        let spacing = max(3, 0.08 * face.size)
        func person(_ p: SIMD2<Float>) -> Bool {
            let x = Int(p.x.rounded())
            let y = Int(p.y.rounded())
            return x >= 0 && x < w && y >= 0 && y < h && mask[y * w + x] > 0.5
        }
        @discardableResult
        func add(_ p: SIMD2<Float>, _ weight: Float, depth: Float? = nil, follows: Int? = nil, followWeight: Float = 0)
            -> Int?
        {
            guard p.x > 2, p.y > 2, p.x < Float(w) - 3, p.y < Float(h) - 3 else { return nil }
            for q in landmarks where ((q - p) * (q - p)).sum() < spacing * spacing { return nil }
            for a in anchors where ((a.position - p) * (a.position - p)).sum() < spacing * spacing { return nil }
            anchors.append(
                Anchor(
                    position: p, depth: depth ?? rigidDepth, weight: weight, follows: follows,
                    followWeight: followWeight))
            return anchors.count - 1
        }
        let oval = FaceMeshRegions.faceOval.map { landmarks[$0] }
        let ovalDepth = FaceMeshRegions.faceOval.map { landmarks3D[$0].z }
        let ovalCenter = oval.reduce(SIMD2<Float>.zero, +) / Float(oval.count)
        // Head outline (hair, ears, jaw line): moves with the head, turning on the outline's depth (a little
        // further back, as the skull curves away).
        for (k, (p, z)) in zip(oval, ovalDepth).enumerated() {
            add(
                ovalCenter + 1.4 * (p - ovalCenter), 1, depth: z + 0.3 * face.size,
                follows: FaceMeshRegions.faceOval[k], followWeight: 1)
        }
        // A wider ring: hair and neck follow partly; background stays.
        for (k, (p, z)) in zip(oval, ovalDepth).enumerated() {
            let q = ovalCenter + 1.9 * (p - ovalCenter)
            if person(q) {
                add(q, 0.5, depth: z + 0.6 * face.size, follows: FaceMeshRegions.faceOval[k], followWeight: 0.5)
            } else {
                add(q, 0)
            }
        }
        for (p, z) in zip(oval, ovalDepth) {
            let q = ovalCenter + 2.6 * (p - ovalCenter)
            add(q, person(q) ? 0.15 : 0, depth: z + 0.6 * face.size)
        }
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
            let x = -0.5 + t * Float(w)
            let y = -0.5 + t * Float(h)
            anchors.append(Anchor(position: SIMD2(x, -0.5), depth: 0, weight: 0))
            anchors.append(Anchor(position: SIMD2(x, Float(h) - 0.5), depth: 0, weight: 0))
            if k > 0 && k < perSide {
                anchors.append(Anchor(position: SIMD2(-0.5, y), depth: 0, weight: 0))
                anchors.append(Anchor(position: SIMD2(Float(w) - 0.5, y), depth: 0, weight: 0))
            }
        }
        return anchors
    }
}

extension PortraitRig {
    /// Distance in pixels (3-4 chamfer) from every pixel to the nearest person pixel (mask > 0.5).
    static func distanceToPerson(_ mask: [Float], width: Int, height: Int) -> [Float] {
        ChamferDistance.toNearest(mask.map { $0 > 0.5 }, width: width, height: height)
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

import Dispatch
import KinetoMedia

/// A portrait prepared for animation, once per job: its image at output size, its landmarks, its person mask, the
/// mesh (landmarks plus anchors on the head outline, the person's silhouette, shoulders, background and frame
/// border, Delaunay-triangulated) and the mouth filler. `render` then makes one output frame from retargeted
/// landmarks by one smooth deformation of the whole picture: the head, hair and silhouette move, the background
/// just outside the silhouette bends a little and the rest stays, so no cut-out edge (halo) and no hole appears.
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
    /// RGB planes plus the person's alpha (its silhouette widened by a few pixels, so the soft fringe of hair and
    /// the edge's mixed colours move with the person instead of staying behind as a halo): what the warp moves.
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
        let mask = personMask.map { v -> Float in let t = min(max((v - 0.25) / 0.5, 0), 1); return t * t * (3 - 2 * t) }
        self.personMask = mask
        face = NormalizedFace(landmarks)
        anchors = Self.makeAnchors(landmarks: landmarks3D, face: face, mask: mask, width: w, height: h)
        let mesh = DelaunayTriangulation(points: landmarks + anchors.map(\.position))
        restPoints = mesh.points
        nudges = zip(mesh.points, landmarks + anchors.map(\.position)).map { $0 - $1 }
        warp = PiecewiseAffineWarp(triangles: mesh.triangles)
        let outside = Self.distanceToPerson(mask, width: w, height: h)
        let fringe = max(2, 0.05 * face.size)
        let alpha = outside.map { min(max(1 - ($0 - fringe) / 2, 0), 1) }
        source = image.pixels + alpha
        background = ExemplarFill.fill(image.pixels, hole: alpha.map { $0 > 0 }, width: w, height: h, depth: 0.8 * face.size)
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
                background.withUnsafeBufferPointer { bg in
                    pixels.withUnsafeMutableBufferPointer { out in
                        let (s, d, b, o) = (src.baseAddress!, wp.baseAddress!, bg.baseAddress!, out.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: bands) { band in
                            let rows = (h * band / bands)..<(h * (band + 1) / bands)
                            warp.warp(source: s, into: d, channels: 4, width: w, height: h, from: restPoints, to: destination, rows: rows)
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
        @discardableResult
        func add(_ p: SIMD2<Float>, _ weight: Float, depth: Float? = nil, follows: Int? = nil, followWeight: Float = 0) -> Int? {
            guard p.x > 2, p.y > 2, p.x < Float(w) - 3, p.y < Float(h) - 3 else { return nil }
            for q in landmarks where ((q - p) * (q - p)).sum() < spacing * spacing { return nil }
            for a in anchors where ((a.position - p) * (a.position - p)).sum() < spacing * spacing { return nil }
            anchors.append(Anchor(position: p, depth: depth ?? rigidDepth, weight: weight, follows: follows, followWeight: followWeight))
            return anchors.count - 1
        }
        let oval = FaceMeshRegions.faceOval.map { landmarks[$0] }
        let ovalDepth = FaceMeshRegions.faceOval.map { landmarks3D[$0].z }
        let ovalCenter = oval.reduce(SIMD2<Float>.zero, +) / Float(oval.count)
        // Rays from the face centre through the outline (and half-way between its points, for a denser silhouette).
        var rays: [(point: SIMD2<Float>, depth: Float, follows: Int)] = []
        for k in oval.indices {
            let next = (k + 1) % oval.count
            rays.append((oval[k], ovalDepth[k], FaceMeshRegions.faceOval[k]))
            rays.append(((oval[k] + oval[next]) / 2, (ovalDepth[k] + ovalDepth[next]) / 2, FaceMeshRegions.faceOval[k]))
        }
        // Along a ray: where the person's silhouette ends (hair, ears, neck), in multiples of the outline's distance;
        // nil where the person reaches the frame border first.
        func silhouette(along d: SIMD2<Float>) -> Float? {
            var t: Float = 1
            while t < 3.2 {
                let q = ovalCenter + t * d
                if q.x < 0 || q.y < 0 || q.x > Float(w - 1) || q.y > Float(h - 1) { return nil }
                if !person(q) { return t }
                t += 0.02
            }
            return nil
        }
        // The silhouette and a margin of background around it move with the head as one piece, so the person's
        // alpha (and the mixed colours at its edge) is carried along unstretched; the mesh stretches and compresses
        // only further out, where the alpha is zero and the still background shows (`render`).
        let margin = max(4, 0.4 * face.size)
        for ray in rays {
            let d = ray.point - ovalCenter, length = max((d * d).sum().squareRoot(), 1e-3)
            let normal = d / length
            let edge = silhouette(along: d)
            // Head outline (hair, ears, jaw line): moves with the head, turning on the outline's depth (a little
            // further back, as the skull curves away).
            if edge.map({ $0 > 1.4 }) ?? true {
                add(ovalCenter + 1.4 * d, 1, depth: ray.depth + 0.3 * face.size, follows: ray.follows, followWeight: 1)
            }
            guard let edge else {
                // The person runs out of the frame this way: hair and neck follow partly.
                add(ovalCenter + 1.9 * d, 0.5, depth: ray.depth + 0.6 * face.size, follows: ray.follows, followWeight: 0.5)
                continue
            }
            // The silhouette moves with the head near it (hair), less far away (shoulders).
            let weight = min(1, max(0.1, 1 - (edge - 1.4) / 1.2))
            for offset in [-0.5, margin] {
                add(ovalCenter + edge * d + offset * normal, weight, depth: ray.depth + 0.3 * face.size, follows: ray.follows,
                    followWeight: weight)
            }
        }
        // The rest of the background: a grid of still points, so no long triangle reaches from the head across it.
        let distance = Self.distanceToPerson(mask, width: w, height: h)
        let step = max(6, 0.5 * face.size)
        var gy = step / 2
        while gy < Float(h) {
            var gx = step / 2
            while gx < Float(w) {
                let i = min(h - 1, Int(gy)) * w + min(w - 1, Int(gx))
                if distance[i] > 2.5 * margin { add(SIMD2(gx, gy), 0) }
                gx += step
            }
            gy += step
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
}

extension PortraitRig {
    /// Distance in pixels (3-4 chamfer) from every pixel to the nearest person pixel (mask > 0.5).
    static func distanceToPerson(_ mask: [Float], width: Int, height: Int) -> [Float] {
        var d = mask.map { $0 > 0.5 ? Float(0) : 1e9 }
        d.withUnsafeMutableBufferPointer { d in
            func relax(_ i: Int, _ j: Int, _ cost: Float) { if d[j] + cost < d[i] { d[i] = d[j] + cost } }
            for y in 0..<height { for x in 0..<width {
                let i = y * width + x
                if x > 0 { relax(i, i - 1, 3) }
                if y > 0 {
                    relax(i, i - width, 3)
                    if x > 0 { relax(i, i - width - 1, 4) }
                    if x < width - 1 { relax(i, i - width + 1, 4) }
                }
            } }
            for y in stride(from: height - 1, through: 0, by: -1) { for x in stride(from: width - 1, through: 0, by: -1) {
                let i = y * width + x
                if x < width - 1 { relax(i, i + 1, 3) }
                if y < height - 1 {
                    relax(i, i + width, 3)
                    if x < width - 1 { relax(i, i + width + 1, 4) }
                    if x > 0 { relax(i, i + width - 1, 4) }
                }
            } }
        }
        return d.map { $0 / 3 }
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

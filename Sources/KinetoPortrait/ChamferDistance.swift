/// Distance in pixels from every pixel to the nearest marked one, by the two-pass 3-4 chamfer transform: an
/// approximation of the Euclidean distance, linear in the pixel count, enough for feathering and halo bands.
package enum ChamferDistance {
    package static func toNearest(_ marked: [Bool], width: Int, height: Int) -> [Float] {
        var d = marked.map { $0 ? Float(0) : 1e9 }
        d.withUnsafeMutableBufferPointer { d in
            func relax(_ i: Int, _ j: Int, _ cost: Float) { if d[j] + cost < d[i] { d[i] = d[j] + cost } }
            for y in 0..<height {
                for x in 0..<width {
                    let i = y * width + x
                    if x > 0 { relax(i, i - 1, 3) }
                    if y > 0 {
                        relax(i, i - width, 3)
                        if x > 0 { relax(i, i - width - 1, 4) }
                        if x < width - 1 { relax(i, i - width + 1, 4) }
                    }
                }
            }
            for y in stride(from: height - 1, through: 0, by: -1) {
                for x in stride(from: width - 1, through: 0, by: -1) {
                    let i = y * width + x
                    if x < width - 1 { relax(i, i + 1, 3) }
                    if y < height - 1 {
                        relax(i, i + width, 3)
                        if x < width - 1 { relax(i, i + width + 1, 4) }
                        if x > 0 { relax(i, i + width - 1, 4) }
                    }
                }
            }
        }
        return d.map { $0 / 3 }
    }
}

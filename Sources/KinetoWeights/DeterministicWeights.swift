/// Test weights that any language regenerates exactly from a tensor's name (Tests/Fixtures/golden/README.md,
/// "Deterministic weights"): an FNV-1a 64 hash of the name seeds a splitmix64 sequence.
public enum DeterministicWeights {
    /// FNV-1a, 64-bit, over the UTF-8 bytes of `name`.
    public static func fnv1a64(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// One step of splitmix64's output function applied to `x`.
    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` values `center + scale * (2u - 1)`, u uniform in [0, 1) from the name; computed in Double and
    /// rounded to Float once, as the reference generator does.
    public static func values(_ name: String, count: Int, center: Double, scale: Double) -> [Float] {
        let seed = fnv1a64(name)
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count {
                let u = Double(splitmix64(seed &+ UInt64(i)) >> 40) / 16_777_216.0
                out[i] = Float(center + scale * (2.0 * u - 1.0))
            }
            initialized = count
        }
    }

    /// The tensor `name` with `shape`, as a `WeightTensor`.
    public static func tensor(_ name: String, shape: [Int], center: Double, scale: Double) -> WeightTensor {
        WeightTensor(
            name: name, shape: shape, values: values(name, count: shape.reduce(1, *), center: center, scale: scale))
    }
}

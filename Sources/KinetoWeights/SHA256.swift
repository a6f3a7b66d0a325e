import CKinetoKernels
import Foundation

/// SHA-256 (FIPS 180-4), streaming: feed bytes with `update`, read the digest with `finalize`.
///
/// Used to verify downloaded model files without depending on a crypto package. Where the CPU has the SHA
/// extensions the blocks go through them (RIFE's 24.6 MB file, which every job re-checks while reading it, hashes in
/// 10-25 ms instead of 0.1 s); else through the portable loop below.
public struct SHA256: Sendable {
    /// Whether this CPU's SHA extensions are used.
    public static let usesHardware = kineto_sha256_hardware_available() != 0
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// Bytes of an incomplete block, waiting for more input.
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0
    private let hardware: Bool

    /// A hasher; `portable` keeps it off the SHA extensions (to check one path against the other).
    public init(portable: Bool = false) { hardware = !portable && Self.usesHardware }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        totalBytes &+= UInt64(remaining)
        if !pending.isEmpty {
            let take = min(64 - pending.count, remaining)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            base += take
            remaining -= take
            if pending.count == 64 {
                let block = pending
                block.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let whole = remaining / 64
        if whole > 0 {
            compress(blocks: base, count: whole)
            base += whole * 64
            remaining -= whole * 64
        }
        if remaining > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: remaining)) }
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Adds bytes to the message.
    public mutating func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    /// The 32-byte digest of everything added so far (the hasher can then not be used further).
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var tail: [UInt8] = [0x80]
        let used = (pending.count + 1) % 64
        tail += [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
        withUnsafeBytes(of: bitLength.bigEndian) { tail.append(contentsOf: $0) }
        let before = totalBytes
        tail.withUnsafeBytes { update($0) }
        totalBytes = before
        precondition(pending.isEmpty, "SHA-256 padding must end on a block boundary")
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
            withUnsafeBytes(of: word.bigEndian) { digest.append(contentsOf: $0) }
        }
        return digest
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The lowercase hexadecimal digest of a file's contents (what `sha256sum` prints).
    public static func hexDigest(ofFile url: URL) throws -> String {
        let file = try MappedFile(path: url.path)
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(start: file.base, count: file.size))
        return hex(hasher.finalize())
    }

    /// Lowercase hexadecimal spelling of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// Runs the compression function over `count` consecutive 64-byte blocks.
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        if hardware {
            withUnsafeMutableBytes(of: &state) { words in
                kineto_sha256_blocks_hardware(
                    words.baseAddress!.assumingMemoryBound(to: UInt32.self),
                    blocks.assumingMemoryBound(to: UInt8.self), Int64(count))
            }
            return
        }
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        withUnsafePointer(to: kineto_sha256_round_constants) { table in
            let k = UnsafeRawPointer(table).assumingMemoryBound(to: UInt32.self)
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for blockIndex in 0..<count {
                    let block = blocks + 64 * blockIndex
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let a = w[t - 15]
                        let b = w[t - 2]
                        let s0 = Self.rotr(a, 7) ^ Self.rotr(a, 18) ^ (a >> 3)
                        let s1 = Self.rotr(b, 17) ^ Self.rotr(b, 19) ^ (b >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h0
                    var b = h1
                    var c = h2
                    var d = h3
                    var e = h4
                    var f = h5
                    var g = h6
                    var h = h7
                    for t in 0..<64 {
                        let s1 = Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ s1 &+ choose &+ k[t] &+ w[t]
                        let s0 = Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ majority
                        h = g
                        g = f
                        f = e
                        e = d &+ t1
                        d = c
                        c = b
                        b = a
                        a = t1 &+ t2
                    }
                    h0 &+= a
                    h1 &+= b
                    h2 &+= c
                    h3 &+= d
                    h4 &+= e
                    h5 &+= f
                    h6 &+= g
                    h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}

import Foundation
import KinetoTestSupport
import KinetoWeights
import Testing

@Suite struct SHA256Tests {
    private func hex(_ text: String) -> String { SHA256.hex(SHA256.hash(Array(text.utf8))) }

    @Test func standardVectors() {
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            hex(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
            )
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(
            hex(String(repeating: "a", count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func portableLoopAgreesWithTheSHAExtensions() {
        // Both paths on the standard vectors' neighbours and on lengths that end anywhere in a block; on a CPU
        // without the extensions both hashers take the portable path and this still checks the vectors.
        var message: [UInt8] = []
        var seed: UInt32 = 12345
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 4096 + 17] {
            while message.count < length {
                seed = seed &* 1_664_525 &+ 1_013_904_223
                message.append(UInt8(truncatingIfNeeded: seed >> 24))
            }
            var portable = SHA256(portable: true)
            var fast = SHA256()
            portable.update(Array(message.prefix(length)))
            fast.update(Array(message.prefix(length)))
            #expect(portable.finalize() == fast.finalize(), "\(length) bytes")
        }
        var portable = SHA256(portable: true)
        portable.update(Array("abc".utf8))
        #expect(SHA256.hex(portable.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingInOddPiecesMatchesOneShot() {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let expected = SHA256.hash(message)
        for piece in [1, 3, 63, 64, 65, 127, 500] {
            var hasher = SHA256()
            var start = 0
            while start < message.count {
                hasher.update(Array(message[start..<min(start + piece, message.count)]))
                start += piece
            }
            #expect(hasher.finalize() == expected, "pieces of \(piece)")
        }
        // Lengths around the padding boundary (55, 56, 64 bytes) go through both padding branches.
        for length in [55, 56, 57, 63, 64, 119, 120] {
            var hasher = SHA256()
            hasher.update(Array(message.prefix(length)))
            #expect(hasher.finalize() == SHA256.hash(Array(message.prefix(length))))
        }
    }

    @Test func fileDigestMatchesKnownValue() throws {
        // sha256sum of the golden file at the time it was made; both sides read the same bytes.
        let url = golden("ops-golden.safetensors")
        let digest = try SHA256.hexDigest(ofFile: url)
        let output = try Tool.run("/usr/bin/sha256sum", [url.path])
        #expect(output.hasPrefix(digest + " "))
        #expect(digest.count == 64)
    }
}

import Foundation
import KinetoTestSupport
import KinetoWeights
import Testing

/// Malformed files must give a `WeightError` naming the file (and the key where there is one), never a crash.
@Suite struct BadCheckpointTests {
    private func load(_ bytes: [UInt8], in dir: URL, name: String = "bad.pth") throws -> TorchCheckpoint {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return try TorchCheckpoint(contentsOf: url)
    }

    /// A legacy checkpoint holding {"w": tensor} with the given view of a storage of `count` floats.
    private func oneTensor(count: Int32, offset: Int32, shape: [Int32], strides: [Int32]) -> [UInt8] {
        var main = PickleBuilder()
        main.op(0x7D)
        main.op(0x28)
        main.string("w")
        main.tensor(storageKey: "s0", storageCount: count, offset: offset, shape: shape, strides: strides)
        main.op(0x75)
        main.stop()
        return PickleBuilder.legacyCheckpoint(main: main.bytes, storages: [("s0", Int(count))])
    }

    @Test func handMadeLegacyCheckpointLoads() throws {
        try withTemporaryDirectory { dir in
            // A transposed 2×3 view of 6 floats 0…5.
            let checkpoint = try load(oneTensor(count: 6, offset: 0, shape: [3, 2], strides: [1, 3]), in: dir)
            #expect(try checkpoint.tensor("w").floats() == [0, 3, 1, 4, 2, 5])
        }
    }

    @Test func viewsOutsideTheirStorageNameTheKey() throws {
        try withTemporaryDirectory { dir in
            for (shape, strides, offset) in [
                ([3, 2] as [Int32], [2, 1] as [Int32], Int32(1)), ([7], [1], 0), ([2, 2], [5, 1], 0), ([-1], [1], 0),
                ([2], [-1], 1), ([1 << 30, 1 << 30, 4], [0, 0, 0], 0),
            ] {
                let error = #expect(throws: WeightError.self, "shape \(shape) strides \(strides)") {
                    _ = try load(oneTensor(count: 6, offset: offset, shape: shape, strides: strides), in: dir)
                }
                #expect(error?.key == "w")
                #expect(error?.description.contains("bad.pth") == true)
            }
        }
    }

    @Test func storageShorterThanDeclared() throws {
        try withTemporaryDirectory { dir in
            var main = PickleBuilder()
            main.op(0x7D)
            main.op(0x28)
            main.string("w")
            main.tensor(storageKey: "s0", storageCount: 6, offset: 0, shape: [6], strides: [1])
            main.op(0x75)
            main.stop()
            let bytes = PickleBuilder.legacyCheckpoint(main: main.bytes, storages: [("s0", 5)])
            let error = #expect(throws: WeightError.self) { _ = try load(bytes, in: dir) }
            #expect(error?.key == "storage s0")
            let huge = PickleBuilder.legacyCheckpoint(
                main: main.bytes, storages: [("s0", 6)], declaredCounts: [Int(Int64.max)])
            #expect(throws: WeightError.self) { _ = try load(huge, in: dir) }
        }
    }

    @Test func garbageInThePickleStream() throws {
        try withTemporaryDirectory { dir in
            var unknown = PickleBuilder()
            unknown.op(0x7D)
            unknown.op(0xFF)
            unknown.stop()
            var underflow = PickleBuilder()
            underflow.op(0x75)
            underflow.stop()
            var badMemo = PickleBuilder()
            badMemo.raw([0x68, 0x07])
            badMemo.stop()
            var longString = PickleBuilder()
            longString.raw([0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41])
            longString.stop()
            var selfContaining = PickleBuilder()
            selfContaining.raw([0x5D, 0x71, 0x00, 0x68, 0x00, 0x61])
            selfContaining.stop()
            var bigProtocol = PickleBuilder()
            bigProtocol.raw([0x80, 0x09])
            bigProtocol.op(0x4E)
            bigProtocol.stop()
            var extension_ = PickleBuilder()
            extension_.raw([0x82, 0x01])
            extension_.stop()
            var noStop = PickleBuilder()
            noStop.op(0x7D)
            for (name, main) in [
                ("unknown opcode", unknown), ("stack underflow", underflow), ("memo", badMemo), ("length", longString),
                ("contains itself", selfContaining), ("protocol", bigProtocol), ("EXT", extension_),
                ("truncated", noStop),
            ] {
                let error = #expect(throws: WeightError.self, "\(name)") {
                    _ = try load(PickleBuilder.legacyCheckpoint(main: main.bytes, storages: []), in: dir)
                }
                #expect(error?.description.contains("bad.pth") == true, "\(name): \(String(describing: error))")
            }
        }
    }

    @Test func deepNestingAndExponentialSharingAreRefused() throws {
        try withTemporaryDirectory { dir in
            // 200,000 nested lists (released without recursion) and 200,000 nested 1-tuples.
            var lists = PickleBuilder()
            lists.raw([UInt8](repeating: 0x5D, count: 200_000) + [UInt8](repeating: 0x61, count: 199_999))
            lists.stop()
            var tuples = PickleBuilder()
            tuples.op(0x4E)
            tuples.raw([UInt8](repeating: 0x85, count: 200_000))
            tuples.stop()
            // t = (t, t) a hundred times: 2^100 values if expanded.
            var laughs = PickleBuilder()
            laughs.op(0x4E)
            for _ in 0..<100 { laughs.raw([0x71, 0x00, 0x68, 0x00, 0x86]) }
            laughs.stop()
            for (name, main) in [("lists", lists), ("tuples", tuples), ("self-doubling tuples", laughs)] {
                let error = #expect(throws: WeightError.self, "\(name)") {
                    _ = try load(PickleBuilder.legacyCheckpoint(main: main.bytes, storages: []), in: dir)
                }
                #expect(error != nil)
            }
            // Moderate sharing is fine: the same list referenced twice.
            var shared = PickleBuilder()
            shared.raw([0x5D, 0x71, 0x00])
            shared.int(5)
            shared.raw([0x61, 0x68, 0x00, 0x86])
            shared.stop()
            let ok = try load(PickleBuilder.legacyCheckpoint(main: shared.bytes, storages: []), in: dir)
            #expect(ok.root.elements?.count == 2)
            #expect(ok.root.elements?.first?.elements?.first?.int == 5)
        }
    }

    @Test func unknownGlobalsStayOpaque() throws {
        try withTemporaryDirectory { dir in
            // os.system("echo owned") as a pickle: recorded, never run.
            var main = PickleBuilder()
            main.global("os", "system")
            main.string("echo owned")
            main.op(0x85)
            main.op(0x52)
            main.stop()
            let checkpoint = try load(PickleBuilder.legacyCheckpoint(main: main.bytes, storages: []), in: dir)
            guard case .object(let object) = checkpoint.root else {
                Issue.record("not opaque")
                return
            }
            #expect(object.typeName == "os.system")
            #expect(object.arguments.first?.string == "echo owned")
        }
    }

    @Test func truncatedGoldenCheckpoints() throws {
        try withTemporaryDirectory { dir in
            for file in TorchCheckpointTests.files {
                let bytes = try [UInt8](Data(contentsOf: golden("checkpoints/\(file)")))
                for cut in [
                    0, 1, 3, 14, 20, 100, 300, 1000, bytes.count / 3, bytes.count / 2, bytes.count - 100,
                    bytes.count - 22, bytes.count - 1,
                ] {
                    let error = #expect(throws: WeightError.self, "\(file) cut at \(cut)") {
                        _ = try load(Array(bytes.prefix(cut)), in: dir, name: "cut-\(file)")
                    }
                    #expect(error?.description.contains("cut-\(file)") == true)
                }
            }
        }
    }

    @Test func wrongFormats() throws {
        try withTemporaryDirectory { dir in
            let png = try [UInt8](Data(contentsOf: golden("frames/i0.png")))
            let text = Array("epoch: 41\nstate_dict: not really\n".utf8)
            let safetensors = try [UInt8](Data(contentsOf: golden("checkpoints/checkpoints-expected.safetensors")))
            for (name, bytes) in [("png", png), ("text", text), ("safetensors", safetensors), ("empty", [])] {
                let error = #expect(throws: WeightError.self, "\(name)") {
                    _ = try load(bytes, in: dir, name: "x.\(name)")
                }
                #expect(error?.description.contains("not a PyTorch checkpoint") == true, "\(String(describing: error))")
            }
            #expect(throws: WeightError.self) {
                _ = try TorchCheckpoint(contentsOf: dir.appendingPathComponent("absent.pth"))
            }
            #expect(throws: WeightError.self) { _ = try SafeTensorsFile(contentsOf: golden("frames/i0.png")) }
        }
    }

    @Test func compressedZipEntriesAreRefusedClearly() throws {
        try withTemporaryDirectory { dir in
            var bytes = try [UInt8](Data(contentsOf: golden("checkpoints/bdcn-zip.pth")))
            // Mark every central-directory entry as deflated (method 8).
            var patched = 0
            for i in 0..<(bytes.count - 46)
            where bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 0x01 && bytes[i + 3] == 0x02 {
                bytes[i + 10] = 8
                patched += 1
            }
            #expect(patched > 0)
            let error = #expect(throws: WeightError.self) { _ = try load(bytes, in: dir) }
            #expect(error?.description.contains("compressed") == true)
        }
    }

    /// Flipped and cut bytes at 50 deterministic positions per file: a load either succeeds (and every tensor
    /// can be read) or throws a `WeightError`. A crash fails the whole run.
    @Test func fuzzedCheckpointsNeverCrash() throws {
        try withTemporaryDirectory { dir in
            var state: UInt64 = 0x1234_5678
            func next(_ bound: Int) -> Int {
                state = DeterministicWeights.splitmix64(state)
                return Int(state % UInt64(bound))
            }
            var outcomes = (loaded: 0, refused: 0)
            for file in ["FeFlow-zip.ckpt", "FeFlow-legacy.ckpt", "bdcn-zip.pth", "bdcn-legacy.pth"] {
                let original = try [UInt8](Data(contentsOf: golden("checkpoints/\(file)")))
                for trial in 0..<50 {
                    // Half the positions fall in the pickles and zip records at either end, where structure lives.
                    let position =
                        switch trial % 4 {
                        case 0, 1: next(min(original.count, 1500))
                        case 2: original.count - 1 - next(min(original.count, 1500))
                        default: next(original.count)
                        }
                    var flipped = original
                    flipped[position] ^= UInt8(1 + next(255))
                    for variant in [flipped, Array(flipped.prefix(position + next(64)))] {
                        do {
                            let checkpoint = try load(variant, in: dir, name: "fuzz.pth")
                            for (_, tensor) in try checkpoint.tensors() { _ = tensor.contiguousBytes() }
                            outcomes.loaded += 1
                        } catch is WeightError {
                            outcomes.refused += 1
                        }
                    }
                }
            }
            #expect(outcomes.loaded + outcomes.refused == 400)
            #expect(outcomes.refused > 0)
        }
    }
}

import Foundation
import KinetoTestSupport
import KinetoWeights
import Testing

@Suite struct SafeTensorsFileTests {
    @Test func readsGoldenOpsFile() throws {
        let file = try SafeTensorsFile(contentsOf: goldenDirectory().appendingPathComponent("ops-golden.safetensors"))
        let entry = try file.entry("conv3x3.weight")
        #expect(entry.dtype == .f32)
        #expect(entry.shape.count == 4)
        let values = try file.floats("conv3x3.weight")
        #expect(values.count == entry.count)
        #expect(values.contains { $0 != 0 })
    }

    @Test func missingKeyNamesFileAndKey() throws {
        let file = try SafeTensorsFile(contentsOf: goldenDirectory().appendingPathComponent("ops-golden.safetensors"))
        let error = #expect(throws: WeightError.self) { try file.floats("no.such.tensor") }
        #expect(error?.description.contains("no.such.tensor") == true)
        #expect(error?.description.contains("ops-golden.safetensors") == true)
    }

    @Test func truncatedFilesFailCleanly() throws {
        let source = goldenDirectory().appendingPathComponent("ops-golden.safetensors")
        let bytes = try Data(contentsOf: source)
        let scratch = try Scratch("kineto-st")
        let dir = scratch.directory
        for cut in [0, 4, 8, 20, 1000, bytes.count / 2, bytes.count - 1] {
            let url = dir.appendingPathComponent("cut-\(cut).safetensors")
            try bytes.prefix(cut).write(to: url)
            #expect(throws: WeightError.self) { _ = try SafeTensorsFile(contentsOf: url) }
        }
        let text = dir.appendingPathComponent("text.safetensors")
        try Data("hello, this is not a tensor file at all".utf8).write(to: text)
        #expect(throws: WeightError.self) { _ = try SafeTensorsFile(contentsOf: text) }
    }
}

@Suite struct SafeTensorsValidationTests {
    /// A hand-made file: header JSON `header`, then `dataBytes` zero bytes.
    private func file(header: String, dataBytes: Int, in dir: URL) throws -> URL {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
        let url = dir.appendingPathComponent("hand.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func rejectsSizeMismatchOverlapAndRangeWithTheKey() throws {
        try withTemporaryDirectory { dir in
            let cases = [
                (#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, 24, "needs 24 bytes"),
                (
                    #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                    12, "overlap"
                ),
                (#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, 8, "outside"),
                (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, 0, "impossible shape"),
                (#"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, 1, "unsupported dtype"),
                (
                    #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, 16,
                    "impossible shape"
                ),
                (#"{"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,16]}}"#, 16, "outside"),
                (#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, 4, "impossible shape"),
            ]
            for (header, dataBytes, expected) in cases {
                let url = try file(header: header, dataBytes: dataBytes, in: dir)
                let error = #expect(throws: WeightError.self) { _ = try SafeTensorsFile(contentsOf: url) }
                #expect(error?.key == "w" || error?.key == "v", "\(header)")
                #expect(
                    error?.description.contains(expected) == true,
                    "\(String(describing: error)) should mention \(expected)")
                #expect(error?.description.contains("hand.safetensors") == true)
            }
        }
    }

    @Test func readsIntegersExactlyAndRefusesThemFromFloats() throws {
        let file = try SafeTensorsFile(contentsOf: golden("checkpoints/checkpoints-expected.safetensors"))
        let key = "FeFlow:state_dictGEN.extract_features.net.bn1.num_batches_tracked"
        #expect(try file.info(key).dtype == .i64)
        #expect(try file.info(key).shape == [])
        #expect(try file.int64s(key) == [123456])
        #expect(try file.floats(key) == [123456])
        #expect(throws: WeightError.self) { _ = try file.int64s("bdcn:features.conv1_1.bias") }
        let half = try file.require("FeFlow:state_dictDE.reconstruct.conv_last.weight")
        #expect(half.storedAs == .f16)
        #expect(half.shape == [3, 64, 3, 3])
        #expect(half.values.count == 3 * 64 * 9)
    }
}

@Suite struct SafeTensorsWriterTests {
    @Test func roundTripsEveryTensorOfAGoldenFileByteForByte() throws {
        let source = try SafeTensorsFile(contentsOf: golden("checkpoints/checkpoints-expected.safetensors"))
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "note": "quote \" backslash \\ ünïcode"])
        for name in source.names {
            let info = try source.info(name)
            try writer.add(name, dtype: info.dtype, shape: info.shape, bytes: try source.rawBytes(name))
        }
        try writer.add("extra", shape: [2, 2], floats: [1, -2, 3.5, .infinity])
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("round.safetensors")
            try writer.write(to: url)
            let copy = try SafeTensorsFile(contentsOf: url)
            #expect(copy.names == (source.names + ["extra"]).sorted())
            #expect(copy.metadata == writer.metadata)
            for name in source.names {
                #expect(try copy.info(name).dtype == source.info(name).dtype)
                #expect(try copy.info(name).shape == source.info(name).shape)
                #expect(try copy.rawBytes(name) == source.rawBytes(name), "\(name)")
            }
            #expect(try copy.floats("extra") == [1, -2, 3.5, .infinity])
            // Data section and every tensor aligned to its element size.
            let bytes = try Data(contentsOf: url)
            let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect((8 + headerLength) % 8 == 0)
            for name in copy.names {
                let entry = try copy.info(name)
                #expect(entry.byteRange.lowerBound % entry.dtype.size == 0)
            }
        }
    }

    @Test func refusesWrongByteCountsAndDuplicates() throws {
        var writer = SafeTensorsWriter()
        #expect(throws: WeightError.self) { try writer.add("a", dtype: .f32, shape: [3], bytes: [0, 0, 0, 0]) }
        try writer.add("a", shape: [1], floats: [1])
        #expect(throws: WeightError.self) { try writer.add("a", shape: [1], floats: [1]) }
        #expect(throws: WeightError.self) { try writer.add("__metadata__", shape: [1], floats: [1]) }
    }
}

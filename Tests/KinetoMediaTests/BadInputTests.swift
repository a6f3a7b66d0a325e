import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

@Suite struct BadInputTests {
    private func expectError(_ path: String, _ kind: MediaError.Kind, sourceLocation: SourceLocation = #_sourceLocation)
    {
        do {
            _ = try MediaReader(path)
            Issue.record("\(path) opened without error", sourceLocation: sourceLocation)
        } catch let error as MediaError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(path), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func missingEmptyTextAndDirectory() throws {
        let fx = try Scratch("kineto-media")
        expectError(fx.path("nope.mp4"), .fileNotFound)
        #expect(FileManager.default.createFile(atPath: fx.path("empty.mp4"), contents: Data()))
        expectError(fx.path("empty.mp4"), .emptyFile)
        try "just some text, not a video\n".write(toFile: fx.path("notes.mp4"), atomically: true, encoding: .utf8)
        expectError(fx.path("notes.mp4"), .notMedia)
        expectError(fx.directory.path, .notMedia)
    }

    @Test func unknownCodecIsUnsupportedAndNamed() throws {
        let fx = try Scratch("kineto-media")
        let avi = try fx.clip(
            "mpeg4.avi", rate: "25", shortest: true, seconds: 0.5, audio: false, codec: ["-c:v", "mpeg4"])
        // Re-label the stream with a four-character code no decoder knows, as an exotic camera codec would be.
        let data = try Data(contentsOf: URL(fileURLWithPath: avi))
        let relabelled = fx.path("exotic.avi")
        var bytes = [UInt8](data)
        let from = Array("FMP4".utf8)
        let to = Array("KNTO".utf8)
        var replaced = 0
        for i in 0..<(bytes.count - 3) where Array(bytes[i..<(i + 4)]) == from {
            bytes.replaceSubrange(i..<(i + 4), with: to)
            replaced += 1
        }
        #expect(replaced > 0)
        try Data(bytes).write(to: URL(fileURLWithPath: relabelled))
        expectError(relabelled, .unsupportedCodec)
        do { _ = try MediaReader(relabelled) } catch let error as MediaError { #expect(error.message.contains("KNTO")) }
    }

    @Test func audioOnlyHasNoVideoStream() throws {
        let fx = try Scratch("kineto-media")
        try fx.ffmpeg(["-f", "lavfi", "-i", "sine=duration=1", fx.path("tone.m4a")])
        expectError(fx.path("tone.m4a"), .noVideoStream)
    }

    @Test func truncatedMP4WithIndexAtTheEndIsNotReadable() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("whole.mp4", rate: "25", shortest: true, seconds: 2)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: fx.path("half.mp4")))
        // Without +faststart the index (moov) is at the end: nothing can be decoded, and the error says why.
        expectError(fx.path("half.mp4"), .notMedia)
    }

    @Test func truncatedFaststartMP4DecodesWhatIsThereAndReportsIt() throws {
        let fx = try Scratch("kineto-media")
        // An interrupted download of a web-ready MP4: the index is complete, the picture data stops halfway.
        let input = try fx.clip(
            "whole.mp4", rate: "25", shortest: true, seconds: 4, extra: ["-movflags", "+faststart"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let cut = fx.path("cut.mp4")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let result = try readAll(cut)
        #expect(result.frames.count > 20 && result.frames.count < 90, "\(result.frames.count) frames")
        #expect(result.reader.damage.endedEarly)
        #expect(result.reader.damage.summary.contains("truncated"))
    }

    @Test func truncatedStreamDecodesWhatIsThereAndReportsIt() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("whole.mkv", rate: "25", shortest: true, seconds: 4, audio: false)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let cut = fx.path("cut.mkv")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let result = try readAll(cut)
        #expect(result.frames.count > 10)
        #expect(result.frames.count < 100)
        #expect(result.reader.damage.endedEarly)
        #expect(!result.reader.damage.isClean)
    }

    @Test func corruptBytesMidStreamAreCountedNotFatal() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "clean.ts", rate: "25", shortest: true, seconds: 4, size: "320x240", audio: false,
            codec: ["-c:v", "mpeg2video", "-q:v", "4", "-g", "12"])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        // Overwrite 20 KB in the middle with garbage (deterministic), keeping TS packet sync bytes intact.
        var seed: UInt64 = 42
        let start = bytes.count / 2
        for i in start..<(start + 20_000) where (i - start) % 188 != 0 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        let damaged = fx.path("damaged.ts")
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let clean = try readAll(input)
        let result = try readAll(damaged)
        #expect(result.frames.count > clean.frames.count / 2)
        #expect(
            result.reader.damage.corruptPackets + result.reader.damage.corruptFrames > 0
                || result.frames.count < clean.frames.count)
        // The source is untouched by reading.
        #expect(try Data(contentsOf: URL(fileURLWithPath: damaged)) == bytes)
    }

    @Test func inputWhereNothingDecodesIsAnError() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "whole.mp4", rate: "25", shortest: true, seconds: 1, audio: false, extra: ["-movflags", "+faststart"])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        // The index (moov) stays intact, every byte of picture data after it is noise.
        let mdat = try #require(bytes.range(of: Data("mdat".utf8)))
        var seed: UInt64 = 7
        for i in mdat.upperBound..<bytes.count {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        let garbled = fx.path("garbled.mp4")
        try bytes.write(to: URL(fileURLWithPath: garbled))
        let reader = try MediaReader(garbled)
        #expect(reader.info.video.codec == "h264")
        var frames = 0
        #expect {
            while try reader.nextVideoFrame() != nil { frames += 1 }
        } throws: { error in
            (error as? MediaError)?.kind == .corrupt && "\(error)".contains("no video frame could be decoded")
                && "\(error)".contains(garbled)
        }
        #expect(frames == 0)
        #expect(reader.damage.corruptPackets + reader.damage.corruptFrames > 0)
        // Reported once; afterwards the reader simply ends.
        #expect(try reader.next() == nil)
    }

    @Test func writerRefusesBadDestinationsAndLeavesNothing() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 1)
        let reader = try MediaReader(input)
        let settings = VideoEncoderSettings(frameRate: Rational(25))
        func kind(_ destination: String, overwrite: Bool = false) -> MediaError.Kind? {
            do {
                _ = try MediaWriter(destination: destination, settings: settings, source: reader, overwrite: overwrite)
                return nil
            } catch let error as MediaError { return error.kind } catch { return .internalFailure }
        }
        #expect(kind(fx.path("missing-dir/out.mp4")) == .unwritableDestination)
        #expect(kind(input) == .sameAsInput)
        #expect(kind(input, overwrite: true) == .sameAsInput)
        try Data("x".utf8).write(to: URL(fileURLWithPath: fx.path("exists.mp4")))
        #expect(kind(fx.path("exists.mp4")) == .outputExists)
        #expect(kind(fx.path("out.unknownext")) == .invalidArgument)
        let readOnly = fx.path("ro")
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        chmod(readOnly, 0o555)
        defer { chmod(readOnly, 0o755) }
        if getuid() != 0 { #expect(kind(readOnly + "/out.mp4") == .unwritableDestination) }
        let names = try FileManager.default.contentsOfDirectory(atPath: fx.directory.path)
        #expect(names.sorted() == ["exists.mp4", "in.mp4", "ro"])
    }

    @Test func abortedWriterLeavesNoFile() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 1)
        let reader = try MediaReader(input)
        let output = fx.path("out.mp4")
        do {
            let writer = try MediaWriter(
                destination: output, settings: VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25)),
                source: reader)
            for _ in 0..<5 { if let frame = try reader.nextVideoFrame() { try writer.write(frame) } }
            #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
            writer.abort()
            #expect(!FileManager.default.fileExists(atPath: writer.temporaryPath))
        }
        do {
            // Dropped without finish(): the same.
            let writer = try MediaWriter(
                destination: output, settings: VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25)),
                source: try MediaReader(input))
            _ = writer
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: fx.directory.path)
        #expect(names == ["in.mp4"])
    }
}

import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

@Suite struct RoundTripTests {
    @Test func h264WithAudioKeepsFramesDurationAndSync() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 2)
        let output = fx.path("out.mp4")
        try transcode(input, to: output)
        let before = try readAll(input)
        let after = try readAll(output)
        #expect(after.frames.count == before.frames.count)
        #expect(after.frames.count == 50)
        #expect(after.reader.info.audio.count == 1)
        #expect(after.audioPackets > 0)
        // Frame times identical on the 25 fps grid.
        #expect(after.frames.map { $0.doubleValue } == before.frames.map { $0.doubleValue })
        // Audio ends where video ends (within one frame), as in the source.
        let videoEnd = after.frames.last!.doubleValue + 1 / 25
        #expect(abs((after.audioEnd ?? 0) - videoEnd) < 0.05)
        // The container's duration matches the source's within one frame.
        let sourceDuration = try #require(before.reader.info.duration)
        let outputDuration = try #require(after.reader.info.duration)
        #expect(abs(outputDuration - sourceDuration) <= 0.04, "\(outputDuration) s vs \(sourceDuration) s")
        let videoDuration = try #require(after.reader.info.video.duration)
        #expect(abs(videoDuration - 2) <= 0.04, "video stream lasts \(videoDuration) s")
        // No temporary files left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fx.directory.path).filter {
            $0.contains("kineto-partial")
        }
        #expect(leftovers.isEmpty)
    }

    @Test func audioTheContainerCannotHoldIsReencodedToAACInSync() throws {
        let fx = try Scratch("kineto-media")
        // PCM audio that starts 0.5 s after the video: MP4 cannot hold PCM, so it becomes AAC, still 0.5 s late.
        let input = fx.path("pcm.mkv")
        try fx.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1.5",
            "-af", "adelay=500:all=1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le", input,
        ])
        let writer = try transcode(input, to: fx.path("out.mp4"))
        #expect(writer.warnings.contains { $0.contains("re-encoded") })
        let after = try readAll(fx.path("out.mp4"))
        let audio = try #require(after.reader.info.audio.first)
        #expect(audio.codec == "aac" && audio.sampleRate == 44100 && audio.channels == 1)
        #expect(after.frames.count == 50)
        let videoEnd = after.frames.last!.doubleValue + 0.04
        #expect(
            abs((after.audioEnd ?? 0) - videoEnd) < 0.05,
            "audio ends at \(after.audioEnd ?? 0) s, video at \(videoEnd) s")
    }

    @Test func lateAudioStaysLateWhenCopied() throws {
        let fx = try Scratch("kineto-media")
        let input = fx.path("late.mkv")
        try fx.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
            "-itsoffset", "0.5", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.5",
            "-map", "0", "-map", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", input,
        ])
        func firstAudioTime(_ path: String) throws -> Double? {
            let reader = try MediaReader(path)
            var firstVideo: Double?
            var firstAudio: Double?
            while let event = try reader.next() {
                switch event {
                case .video(let f): if firstVideo == nil { firstVideo = f.time.doubleValue }
                case .packet(let p): if firstAudio == nil { firstAudio = p.time?.doubleValue }
                }
            }
            return firstAudio.flatMap { a in firstVideo.map { a - $0 } }
        }
        let before = try #require(try firstAudioTime(input))
        #expect(abs(before - 0.5) < 0.05)
        try transcode(input, to: fx.path("out.mp4"))
        let after = try #require(try firstAudioTime(fx.path("out.mp4")))
        #expect(abs(after - before) < 0.03, "audio offset \(after) s after writing, \(before) s before")
    }

    @Test(arguments: ["mkv", "mov", "webm", "ts"])
    func containersByExtension(_ ext: String) throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 1)
        let output = fx.path("out.\(ext)")
        let settings = VideoEncoderSettings(
            codec: ext == "webm" ? .av1 : .h264, preset: ext == "webm" ? "12" : "ultrafast", frameRate: Rational(25))
        try transcode(input, to: output, settings: settings)
        let after = try readAll(output)
        #expect(after.frames.count == 25)
        #expect(after.reader.info.audio.count == 1)
        // The last frame keeps its 40 ms: the file lasts the source's second (plus at most an audio frame).
        let duration = try #require(after.reader.info.duration)
        #expect(duration >= 0.99 && duration <= 1.05, "lasts \(duration) s")
        if ext == "webm" { #expect(after.reader.info.audio[0].codec == "opus") }
    }

    @Test func tenBitStaysTenBitWithBT2020Tags() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "in10.mkv", rate: "25", shortest: true, seconds: 1, audio: false,
            codec: [
                "-c:v", "ffv1", "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020",
                "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-color_range", "tv",
            ])
        let source = try MediaReader(input).info.video
        #expect(source.colorPrimaries == "bt2020" && source.colorMatrix == "bt2020nc")
        let output = fx.path("out10.mkv")
        try transcode(
            input, to: output,
            settings: VideoEncoderSettings(codec: .h265, preset: "ultrafast", frameRate: Rational(25)))
        let after = try readAll(output)
        let info = after.reader.info.video
        #expect(info.bitDepth == 10)
        #expect(info.pixelFormat == "yuv420p10le")
        #expect(info.codec == "hevc")
        #expect(info.colorPrimaries == "bt2020")
        #expect(info.colorTransfer == "smpte2084")
        #expect(info.colorMatrix == "bt2020nc")
        #expect(info.colorRange == "tv")
        #expect(after.frames.count == 25)
    }

    @Test func oddSizeEncodesInFullChromaWithAWarning() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "odd.mkv", rate: "25", shortest: true, seconds: 0.4, size: "320x240", audio: false,
            codec: ["-vf", "scale=321:241", "-c:v", "ffv1", "-pix_fmt", "yuv420p"])
        let writer = try transcode(input, to: fx.path("odd.mp4"))
        #expect(writer.pixelFormatName == "yuv444p")
        #expect(writer.warnings.contains { $0.contains("321×241") })
        let after = try readAll(fx.path("odd.mp4"))
        #expect(after.reader.info.video.width == 321 && after.reader.info.video.height == 241)
        #expect(after.frames.count == 10)
        // SVT-AV1 cannot do odd sizes at all: a clear error before anything is written.
        #expect {
            try transcode(
                input, to: fx.path("odd.webm"), settings: VideoEncoderSettings(codec: .av1, frameRate: Rational(25)))
        } throws: { error in
            (error as? MediaError)?.kind == .unsupportedEncoder && "\(error)".contains("321×241")
        }
        #expect(!FileManager.default.fileExists(atPath: fx.path("odd.webm")))
    }

    @Test func outputSizeCanDifferFromTheSource() throws {
        let fx = try Scratch("kineto-media")
        let reader = try MediaReader(try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 0.4, audio: false))
        let settings = VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25), width: 64, height: 48)
        let writer = try MediaWriter(destination: fx.path("small.mkv"), settings: settings, source: reader)
        let converter = FrameConverter()
        while let frame = try reader.nextVideoFrame() {
            // A stand-in for a model that renders at its own size: a flat grey picture.
            let image = RGBImage(width: 64, height: 48, pixels: [Float](repeating: 0.5, count: 3 * 64 * 48))
            try writer.write(
                try converter.frame(
                    from: image, pixelFormat: writer.pixelFormat, like: frame, pts: frame.pts, timeBase: frame.timeBase)
            )
        }
        try writer.finish()
        let after = try readAll(fx.path("small.mkv"))
        #expect(after.reader.info.video.width == 64 && after.reader.info.video.height == 48)
        #expect(after.frames.count == 10)
        #expect {
            _ = try MediaWriter(
                destination: fx.path("zero.mkv"), settings: VideoEncoderSettings(frameRate: .zero), source: reader)
        } throws: { ($0 as? MediaError)?.kind == .invalidArgument }
    }

    @Test func rotationAndColourTagsKept() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "rot.mp4", rate: "25", shortest: true, seconds: 1, audio: false,
            codec: [
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
            ])
        try rotateMP4Clockwise90(input)
        let source = try MediaReader(input).info.video
        #expect(source.rotation == 90)
        let output = fx.path("rot-out.mov")
        try transcode(input, to: output)
        let info = try MediaReader(output).info.video
        #expect(info.rotation == 90)
        #expect(info.colorPrimaries == "bt709")
        #expect(info.colorMatrix == "bt709")
        #expect(info.colorTransfer == "bt709")
    }

    @Test func variableFrameRateKeepsItsTiming() throws {
        let fx = try Scratch("kineto-media")
        // Frames at irregular times: 0, 0.04, 0.08 … then a slow stretch; mkv keeps per-frame times (1 ms base).
        let input = fx.path("vfr.mkv")
        try fx.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=128x96:rate=25:duration=2",
            "-vf", "setpts='if(lt(N,25),N*0.04,1+(N-25)*0.1)/TB'", "-fps_mode", "passthrough",
            "-c:v", "libx264", "-preset", "ultrafast", input,
        ])
        let source = try readAll(input)
        let before = source.frames
        #expect(before.count == 50)
        let output = fx.path("vfr-out.mkv")
        // Nominal 25 fps, timestamps on a 1 ms grid: every frame keeps its own time.
        try transcode(
            input, to: output,
            settings: VideoEncoderSettings(
                codec: .h264, preset: "ultrafast", frameRate: Rational(25), timeBase: Rational(1, 1000)))
        let result = try readAll(output)
        let after = result.frames
        #expect(after.count == before.count)
        for (a, b) in zip(after, before) { #expect(abs(a.doubleValue - b.doubleValue) < 0.0015) }
        let sourceDuration = try #require(source.reader.info.duration)
        let outputDuration = try #require(result.reader.info.duration)
        #expect(abs(outputDuration - sourceDuration) <= 0.1, "\(outputDuration) s vs \(sourceDuration) s")
    }

    @Test func subtitlesCopiedWhereTheContainerTakesThemElseDroppedWithAWarning() throws {
        let fx = try Scratch("kineto-media")
        let srt = fx.path("subs.srt")
        try "1\n00:00:00,100 --> 00:00:00,600\nHello\n\n2\n00:00:00,700 --> 00:00:00,900\nWorld\n".write(
            toFile: srt, atomically: true, encoding: .utf8)
        let plain = try fx.clip("plain.mkv", rate: "25", shortest: true, seconds: 1)
        let input = fx.path("subbed.mkv")
        try fx.ffmpeg([
            "-i", plain, "-i", srt, "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "copy", "-c:s", "srt",
            "-metadata:s:s:0", "language=fra", input,
        ])
        let source = try MediaReader(input).info
        #expect(source.subtitles.map(\.codec) == ["subrip"] && source.subtitles.first?.language == "fra")

        let kept = try transcode(input, to: fx.path("out.mkv"))
        #expect(kept.warnings.isEmpty)
        let keptInfo = try readAll(fx.path("out.mkv"))
        #expect(keptInfo.reader.info.subtitles.map(\.codec) == ["subrip"])
        #expect(keptInfo.reader.info.subtitles.first?.language == "fra")
        #expect(keptInfo.reader.info.audio.count == 1)

        // MP4 cannot hold SubRip: the video and audio are written, the subtitles dropped with a warning.
        let dropped = try transcode(input, to: fx.path("out.mp4"))
        #expect(dropped.warnings.count == 1)
        #expect(dropped.warnings.first?.contains("subtitle") == true)
        let droppedInfo = try MediaReader(fx.path("out.mp4")).info
        #expect(droppedInfo.subtitles.isEmpty && droppedInfo.audio.count == 1)
    }

    @Test func chaptersAndMetadataKept() throws {
        let fx = try Scratch("kineto-media")
        let meta = fx.path("meta.txt")
        try
            ";FFMETADATA1\ntitle=Kineto test\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=Two\n"
            .write(toFile: meta, atomically: true, encoding: .utf8)
        let plain = try fx.clip("plain.mkv", rate: "25", shortest: true, seconds: 1, audio: false)
        let input = fx.path("chapters.mkv")
        try fx.ffmpeg(["-i", plain, "-i", meta, "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", input])
        let output = fx.path("chapters-out.mp4")
        try transcode(input, to: output)
        let info = try MediaReader(output).info
        #expect(info.chapters.map(\.title) == ["One", "Two"])
        #expect(abs((info.chapters.last?.end ?? 0) - 1) < 0.01)
        #expect(info.metadata["title"] == "Kineto test")
        // Extra metadata from the caller: added, replaced, removed.
        let reader = try MediaReader(input)
        let writer = try MediaWriter(
            destination: fx.path("tagged.mkv"),
            settings: VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25)),
            source: reader, metadata: ["comment": "interpolated", "title": ""])
        while let frame = try reader.nextVideoFrame() { try writer.write(frame) }
        try writer.finish()
        let tagged = try MediaReader(fx.path("tagged.mkv")).info
        // Matroska stores tag names in capitals.
        #expect(tagged.metadata.first { $0.key.lowercased() == "comment" }?.value == "interpolated")
        #expect(tagged.metadata["title"] == nil)
        #expect(tagged.chapters.count == 2)
    }
}

import Foundation
import Testing
import KinetoMedia

@Suite struct RoundTripTests {
    @Test func h264WithAudioKeepsFramesDurationAndSync() throws {
        let fx = try MediaFixtures()
        let input = try fx.clip("in.mp4", seconds: 2)
        let output = fx.path("out.mp4")
        try transcode(input, to: output)
        let before = try readAll(input), after = try readAll(output)
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
        let sourceDuration = try #require(before.reader.info.duration), outputDuration = try #require(after.reader.info.duration)
        #expect(abs(outputDuration - sourceDuration) <= 0.04, "\(outputDuration) s vs \(sourceDuration) s")
        let videoDuration = try #require(after.reader.info.video.duration)
        #expect(abs(videoDuration - 2) <= 0.04, "video stream lasts \(videoDuration) s")
        // No temporary files left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fx.directory.path).filter { $0.contains("kineto-partial") }
        #expect(leftovers.isEmpty)
    }

    @Test(arguments: ["mkv", "mov", "webm", "ts"])
    func containersByExtension(_ ext: String) throws {
        let fx = try MediaFixtures()
        let input = try fx.clip("in.mp4", seconds: 1)
        let output = fx.path("out.\(ext)")
        let settings = VideoEncoderSettings(codec: ext == "webm" ? .av1 : .h264, preset: ext == "webm" ? "12" : "ultrafast", frameRate: Rational(25))
        try transcode(input, to: output, settings: settings)
        let after = try readAll(output)
        #expect(after.frames.count == 25)
        #expect(after.reader.info.audio.count == 1)
        if ext == "webm" { #expect(after.reader.info.audio[0].codec == "opus") }
    }

    @Test func tenBitStaysTenBit() throws {
        let fx = try MediaFixtures()
        let input = try fx.clip("in10.mkv", seconds: 1, audio: false, codec: ["-c:v", "ffv1", "-pix_fmt", "yuv420p10le"])
        let output = fx.path("out10.mkv")
        try transcode(input, to: output, settings: VideoEncoderSettings(codec: .h265, preset: "ultrafast", frameRate: Rational(25)))
        let info = try MediaReader(output).info.video
        #expect(info.bitDepth == 10)
        #expect(info.pixelFormat == "yuv420p10le")
        #expect(info.codec == "hevc")
    }

    @Test func rotationAndColourTagsKept() throws {
        let fx = try MediaFixtures()
        let input = try fx.clip("rot.mp4", seconds: 1, audio: false,
                                codec: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                                        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"])
        try fx.rotateMP4Clockwise90(input)
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
        let fx = try MediaFixtures()
        // Frames at irregular times: 0, 0.04, 0.08 … then a slow stretch; mkv keeps per-frame times (1 ms base).
        let input = fx.path("vfr.mkv")
        try fx.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=128x96:rate=25:duration=2",
                       "-vf", "setpts='if(lt(N,25),N*0.04,1+(N-25)*0.1)/TB'", "-fps_mode", "passthrough",
                       "-c:v", "libx264", "-preset", "ultrafast", input])
        let before = try readAll(input).frames
        #expect(before.count == 50)
        let output = fx.path("vfr-out.mkv")
        try transcode(input, to: output, settings: VideoEncoderSettings(codec: .h264, preset: "ultrafast", frameRate: Rational(1000)))
        let after = try readAll(output).frames
        #expect(after.count == before.count)
        for (a, b) in zip(after, before) { #expect(abs(a.doubleValue - b.doubleValue) < 0.0015) }
    }

    @Test func subtitlesCopiedWhereTheContainerTakesThemElseDroppedWithAWarning() throws {
        let fx = try MediaFixtures()
        let srt = fx.path("subs.srt")
        try "1\n00:00:00,100 --> 00:00:00,600\nHello\n\n2\n00:00:00,700 --> 00:00:00,900\nWorld\n".write(toFile: srt, atomically: true, encoding: .utf8)
        let plain = try fx.clip("plain.mkv", seconds: 1)
        let input = fx.path("subbed.mkv")
        try fx.ffmpeg(["-i", plain, "-i", srt, "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "copy", "-c:s", "srt",
                       "-metadata:s:s:0", "language=fra", input])
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
        let fx = try MediaFixtures()
        let meta = fx.path("meta.txt")
        try ";FFMETADATA1\ntitle=Kineto test\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=Two\n"
            .write(toFile: meta, atomically: true, encoding: .utf8)
        let plain = try fx.clip("plain.mkv", seconds: 1, audio: false)
        let input = fx.path("chapters.mkv")
        try fx.ffmpeg(["-i", plain, "-i", meta, "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", input])
        let output = fx.path("chapters-out.mp4")
        try transcode(input, to: output)
        let info = try MediaReader(output).info
        #expect(info.chapters.map(\.title) == ["One", "Two"])
        #expect(info.metadata["title"] == "Kineto test")
    }
}

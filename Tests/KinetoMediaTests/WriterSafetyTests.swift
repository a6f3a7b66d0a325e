import CFFmpeg
import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

/// Failures late in `MediaWriter.init` and while writing: a clear error, no crash, nothing left behind.
@Suite struct WriterSafetyTests {
    @Test func destinationThatCannotBeCreatedThrowsWithoutCrashing() throws {
        let fx = try Scratch("kineto-media")
        let reader = try MediaReader(try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 0.2))
        // /proc exists and passes the folder checks; creating the file fails only at avio_open, after every
        // property of the writer is set (this once freed the FFmpeg contexts twice).
        for _ in 0..<3 {
            #expect {
                _ = try MediaWriter(
                    destination: "/proc/kineto-\(getpid()).mp4",
                    settings: VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25)), source: reader)
            } throws: { error in
                (error as? MediaError)?.kind == .unwritableDestination && "\(error)".contains("/proc/kineto-")
            }
        }
    }

    @Test func frameOfTheWrongSizeIsAnErrorNotACorruptFile() throws {
        let fx = try Scratch("kineto-media")
        let reader = try MediaReader(try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 0.2, audio: false))
        let writer = try MediaWriter(
            destination: fx.path("out.mp4"),
            settings: VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25)), source: reader)
        let other = try VideoFrame.allocate(width: 64, height: 48, pixelFormat: AV_PIX_FMT_YUV420P)
        #expect(throws: MediaError.self) { try writer.write(other) }
        writer.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: fx.directory.path) == ["in.mp4"])
    }

    @Test func finishingWithoutFramesMakesNoFile() throws {
        let fx = try Scratch("kineto-media")
        let reader = try MediaReader(try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 0.2))
        let writer = try MediaWriter(
            destination: fx.path("out.mp4"),
            settings: VideoEncoderSettings(preset: "ultrafast", frameRate: Rational(25)), source: reader)
        #expect { try writer.finish() } throws: { ($0 as? MediaError)?.kind == .invalidArgument }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fx.directory.path) == ["in.mp4"])
    }

    /// A 128 KiB tmpfs fills up mid-job: ENOSPC becomes `.diskFull`, the temporary file is removed, and the
    /// destination never appears. Needs permission to mount (root in CI's container).
    @Test func fullDiskIsReportedAndCleanedUp() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "big.mkv", rate: "25", shortest: true, seconds: 2, size: "320x240", audio: false, codec: ["-c:v", "ffv1"])
        let mountPoint = fx.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        do {
            try Tool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=128k", "tmpfs", mountPoint])
        } catch {
            // Containers without CAP_SYS_ADMIN cannot mount; then the only acceptable failure is that refusal.
            let text = "\(error)".lowercased()
            #expect(
                text.contains("permission denied") || text.contains("not permitted") || text.contains("superuser"),
                "mount failed: \(error)")
            return
        }
        defer { _ = try? Tool.run("/bin/umount", [mountPoint]) }
        let output = mountPoint + "/out.mkv"
        var caught: MediaError?
        do {
            let reader = try MediaReader(input)
            // FFV1 needs ~380 KB for these 50 frames of testsrc2: they cannot fit in 128 KiB.
            let writer = try MediaWriter(
                destination: output, settings: VideoEncoderSettings(codec: .ffv1, frameRate: Rational(25)),
                source: reader)
            do {
                while let frame = try reader.nextVideoFrame() { try writer.write(frame) }
                try writer.finish()
            } catch let error as MediaError {
                writer.abort()
                throw error
            }
        } catch let error as MediaError {
            caught = error
        }
        #expect(caught?.kind == .diskFull, "\(String(describing: caught))")
        #expect(caught?.description.contains("no space left") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty)
    }
}

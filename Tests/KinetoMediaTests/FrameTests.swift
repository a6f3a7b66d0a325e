import CFFmpeg
import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

/// `VideoFrame` durations, retiming and pooled allocation; native-format blending in 16 bits.
@Suite struct FrameTests {
    @Test func durationComesFromThePacketAndFollowsRetiming() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("in.mkv", rate: "25", shortest: true, seconds: 0.4, audio: false)
        let reader = try MediaReader(input)
        #expect(reader.info.video.timeBase == Rational(1, 1000))
        let frame = try #require(try reader.nextVideoFrame())
        #expect(frame.duration == 40)
        // Retimed into 1/90000: the duration converts with it, unless one is given.
        let moved = frame.retimed(pts: 9000, timeBase: Rational(1, 90000))
        #expect(moved.duration == 3600)
        #expect(moved.time == Rational(1, 10))
        #expect(frame.retimed(pts: 1, timeBase: Rational(1, 50), duration: 1).duration == 1)
        // Conversion keeps timestamp and duration.
        let converted = try FrameConverter().convert(frame, to: AV_PIX_FMT_YUV444P)
        #expect(converted.pts == frame.pts && converted.duration == 40 && converted.timeBase == frame.timeBase)
        #expect(converted.pixelFormatName == "yuv444p")
    }

    @Test func blendOutputsReuseBuffers() throws {
        let a = try VideoFrame.allocate(width: 96, height: 54, pixelFormat: AV_PIX_FMT_YUV420P)
        let b = try VideoFrame.allocate(width: 96, height: 54, pixelFormat: AV_PIX_FMT_YUV420P)
        var address: UnsafeMutablePointer<UInt8>?
        do {
            let first = try FrameBlender.blend(a, b, t: 0.5, pts: 0, timeBase: Rational(1, 25))
            address = kineto_frame_data(first.avFrame, 0)
            #expect(kineto_frame_linesize(first.avFrame, 0) % 64 == 0)
        }
        // The first output is gone: the next one gets its buffer back from the pool.
        let second = try FrameBlender.blend(a, b, t: 0.5, pts: 1, timeBase: Rational(1, 25))
        #expect(kineto_frame_data(second.avFrame, 0) == address)
        let third = try FrameBlender.blend(a, b, t: 0.5, pts: 2, timeBase: Rational(1, 25))
        #expect(kineto_frame_data(third.avFrame, 0) != kineto_frame_data(second.avFrame, 0))
    }

    @Test func tenBitBlendIsExactPerSample() throws {
        let a = try VideoFrame.allocate(width: 33, height: 17, pixelFormat: AV_PIX_FMT_YUV420P10LE)
        let b = try VideoFrame.allocate(width: 33, height: 17, pixelFormat: AV_PIX_FMT_YUV420P10LE)
        // Fill every plane with a ramp (a) and its mirror (b), 10-bit values.
        let chroma = [(33, 17), (17, 9), (17, 9)]
        for (plane, (w, h)) in chroma.enumerated() {
            for frame in [a, b] {
                let base = kineto_frame_data(frame.avFrame, Int32(plane))!
                let stride = Int(kineto_frame_linesize(frame.avFrame, Int32(plane)))
                for y in 0..<h {
                    let row = UnsafeMutableRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)
                    for x in 0..<w {
                        row[x] = UInt16(frame === a ? (x * 31 + y * 7) % 1024 : 1023 - (x * 13 + y * 5) % 1024)
                    }
                }
            }
        }
        let t = 0.3
        let mixed = try FrameBlender.blend(a, b, t: t, pts: 3, timeBase: Rational(1, 25))
        #expect(mixed.pixelFormat == AV_PIX_FMT_YUV420P10LE && mixed.pts == 3)
        var worst = 0.0
        for (plane, (w, h)) in chroma.enumerated() {
            func sample(_ f: VideoFrame, _ x: Int, _ y: Int) -> Double {
                let base = kineto_frame_data(f.avFrame, Int32(plane))!
                let stride = Int(kineto_frame_linesize(f.avFrame, Int32(plane)))
                return Double(UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt16.self)[x])
            }
            for y in 0..<h {
                for x in 0..<w {
                    let expected = (1 - t) * sample(a, x, y) + t * sample(b, x, y)
                    worst = max(worst, abs(sample(mixed, x, y) - expected))
                }
            }
        }
        // Weights are quantised to 1/32768: at most half a code value plus rounding.
        #expect(worst <= 0.52, "worst error \(worst) code values")
    }
}

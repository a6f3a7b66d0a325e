import KinetoMedia
import Testing

@Suite struct EncoderMemoryTests {
    private func settings(preset: String? = nil, threads: Int = 0) -> VideoEncoderSettings {
        VideoEncoderSettings(preset: preset, frameRate: Rational(24, 1), threads: threads)
    }

    @Test func x264KeepsItsDefaultsUpTo1440p() {
        #expect(settings().x264Parameters(width: 1920, height: 1080) == nil)
        #expect(settings().x264Parameters(width: 2560, height: 1440) == nil)
    }

    @Test func x264Above1440pHoldsFewerFrames() {
        #expect(settings().x264Parameters(width: 3840, height: 2160) == "rc-lookahead=10:sliced-threads=1")
        #expect(
            settings(preset: "veryslow").x264Parameters(width: 4096, height: 2160) == "rc-lookahead=10:sliced-threads=1"
        )
        // A preset with a shorter lookahead keeps it: the parameters only ever lower it.
        #expect(
            settings(preset: "ultrafast").x264Parameters(width: 3840, height: 2160) == "rc-lookahead=0:sliced-threads=1"
        )
        // Threads the user asked for stay frame threads.
        #expect(settings(threads: 4).x264Parameters(width: 3840, height: 2160) == "rc-lookahead=10")
    }
}

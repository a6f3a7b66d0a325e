import Foundation
import KinetoTestSupport
import Testing

@Suite struct SlowmoCommandTests {
    @Test func slowsARangeWithItsAudio() throws {
        let scratch = try Scratch()
        try Tool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3", "-f", "lavfi", "-i", "sine=duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", scratch.path("in.mp4"),
        ])
        let result = try KinetoProcess.run(
            [
                "slowmo", "in.mp4", "out.mp4", "--factor", "3", "--from", "0:01", "--to", "2",
                "--audio", "stretch", "--model", "blend", "--preset", "ultrafast", "--quiet",
            ],
            in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("out.mp4: 125 frames at 25 fps"))  // 1 + 3 + 1 = 5 s
        let streams = try Tool.streams(scratch.path("out.mp4"))
        let audio = try #require(streams.first { $0.type == "audio" })
        #expect(abs(try #require(audio.duration) - 5) < 0.06)
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let scratch = try Scratch()
        try Tool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "libx264", scratch.path("in.mp4"),
        ])
        for arguments in [
            ["--factor", "0.5"], ["--factor", "fast"], ["--factor", "2", "--from", "2", "--to", "1"],
            ["--factor", "2", "--from", "1:75"], ["--factor", "2", "--audio", "loud"],
        ] {
            let result = try KinetoProcess.run(
                ["slowmo", "in.mp4", "out.mp4", "--model", "blend"] + arguments, in: scratch.directory)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("out.mp4")))
        }
    }
}

@Suite struct LiveStreamTests {
    /// UDP in, UDP out, on loopback: RIFE cannot make 30 new 640×360 frames a second on this CPU, so
    /// the job must step down (coarser RIFE, then blend, …) and stay near real time; a receiver records
    /// what Kineto sends.
    @Test func fallsBackWhenBehindAndStreamsOut() throws {
        let scratch = try Scratch()
        let inPort = 20_000 + Int.random(in: 0..<20_000)
        let outPort = inPort + 1
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        receiver.arguments = [
            "-nostdin", "-loglevel", "error", "-y", "-i", "udp://127.0.0.1:\(outPort)",
            "-c", "copy", scratch.path("received.ts"),
        ]
        receiver.standardInput = FileHandle.nullDevice
        receiver.standardOutput = FileHandle.nullDevice
        receiver.standardError = FileHandle.nullDevice
        try Tool.withProcess(receiver) { _ in
            let result = try KinetoProcess.withStarted(
                [
                    "interpolate", "udp://127.0.0.1:\(inPort)", "udp://127.0.0.1:\(outPort)?pkt_size=1316", "--fps",
                    "60", "--model", "rife", "--preset", "ultrafast", "--network-timeout", "2", "--quiet",
                ], in: scratch.directory, timeout: 40
            ) { _ in
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline && !(UDPPorts.isBound(inPort) && UDPPorts.isBound(outPort)) {
                    Thread.sleep(forTimeInterval: 0.01)
                }
                #expect(UDPPorts.isBound(inPort))
                try LoopbackSender.send(
                    to: inPort, size: "640x360", rate: 30, seconds: 8, keyframeInterval: 15, timeout: 20)
            }
            #expect(!result.timedOut)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(
                result.stderr.contains("behind real time: making frames with rife at scale 0.5 instead of rife"),
                "\(result.stderr)")
            // Latency stays bounded: the quality ladder ends in repeating frames, which costs nothing.
            let summary = try #require(
                result.stdout.range(of: #"at most ([0-9.]+) s behind"#, options: .regularExpression))
            let lag = Double(result.stdout[summary].split(separator: " ")[2]) ?? 99
            #expect(lag < 8, "\(result.stdout)")
            // The receiver got a 60 fps stream. UDP has no end, and MPEG-TS is written as it arrives: the
            // receiver's file is read as it stands, then the receiver is ended.
            Thread.sleep(forTimeInterval: 1)
            let text = try Tool.execute(
                "/usr/bin/ffprobe",
                [
                    "-v", "quiet", "-select_streams", "v:0", "-count_frames", "-show_entries",
                    "stream=nb_read_frames,r_frame_rate", "-of", "csv=p=0", scratch.path("received.ts"),
                ]
            ).stdout
            let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
            #expect(fields.first == "60/1", "received: \(text)")
            #expect((fields.last.flatMap { Int($0) } ?? 0) >= 300, "received: \(text)")
        }
    }
}

@Suite struct BoundedMemoryTests {
    private func peakMemory(_ output: String) -> Int? {
        guard let range = output.range(of: #"peak memory [0-9]+ MB"#, options: .regularExpression) else { return nil }
        return Int(output[range].split(separator: " ")[2])
    }

    /// Frames flow through bounded queues: a job 20 times longer needs no more memory.
    @Test func aLongInputNeedsNoMoreMemoryThanAShortOne() throws {
        let scratch = try Scratch()
        for (name, seconds) in [("short.mp4", 3), ("long.mp4", 60)] {
            try Tool.ffmpeg([
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=\(seconds)", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", scratch.path(name),
            ])
        }
        var peaks: [Int] = []
        for name in ["short.mp4", "long.mp4"] {
            let result = try KinetoProcess.run(
                [
                    "interpolate", name, "out-" + name, "--fps", "2x", "--model", "blend",
                    "--preset", "ultrafast", "--quiet",
                ], in: scratch.directory, timeout: 120)
            #expect(result.status == 0, "\(result.stderr)")
            peaks.append(try #require(peakMemory(result.stdout), "\(result.stdout)"))
        }
        // 3600 output frames against 180: the peak may differ by allocator noise, not by the length.
        #expect(peaks[1] <= peaks[0] + 24, "peak memory \(peaks[0]) MB for 3 s, \(peaks[1]) MB for 60 s")
    }

    /// The peak a job reports is its own: Linux carries `ru_maxrss` across exec from the spawning process, so a
    /// job started by a big parent (this test holds 768 MB) must not report the parent's memory.
    @Test func theReportedPeakIsTheJobsOwnNotItsParents() throws {
        let scratch = try Scratch()
        try Tool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=1", "-c:v", "libx264",
            "-preset", "ultrafast", "-pix_fmt", "yuv420p", scratch.path("clip.mp4"),
        ])
        let ballast = UnsafeMutableRawPointer.allocate(byteCount: 768 << 20, alignment: 4096)
        defer { ballast.deallocate() }
        for page in stride(from: 0, to: 768 << 20, by: 4096) {
            ballast.storeBytes(of: UInt8(1), toByteOffset: page, as: UInt8.self)
        }
        let result = try KinetoProcess.run(
            [
                "interpolate", "clip.mp4", "out.mp4", "--fps", "2x", "--model", "blend",
                "--preset", "ultrafast", "--quiet",
            ], in: scratch.directory, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        let peak = try #require(peakMemory(result.stdout), "\(result.stdout)")
        #expect(peak < 400, "a 320×240 blend job reported \(peak) MB")
    }
}

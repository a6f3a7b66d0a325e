import KinetoPipeline
import Testing

/// Runs a whole input through a schedule: `pts` in ticks of `timeBase`, the last frame ending at `endPTS`.
private func schedule(
    pts: [Int64], endPTS: Int64?, timeBase: (Int64, Int64), rate: FrameRate,
    policy: TimestepPolicy = .arbitrary
) -> [ScheduledFrame] {
    var schedule = FrameSchedule(
        timeBaseNumerator: timeBase.0, timeBaseDenominator: timeBase.1,
        rate: rate, policy: policy)!
    var out: [ScheduledFrame] = []
    for p in pts { out += schedule.push(pts: p) }
    out += schedule.finish(endPTS: endPTS)
    return out
}

/// The fractional part of `x`, for the expected timesteps.
private func fraction(_ x: Double) -> Double { x - x.rounded(.down) }

@Suite struct FrameScheduleTests {
    @Test func film24To60() {
        let out = schedule(pts: Array(0..<48), endPTS: 48, timeBase: (1, 24), rate: FrameRate(frames: 60)!)
        #expect(out.count == 120)
        #expect(out.map(\.pts) == Array(0..<120))
        for frame in out {
            let inputPosition = Double(frame.index) * 24 / 60
            let ordinal = Int64(inputPosition.rounded(.down))
            if frame.index % 5 == 0 {
                #expect(frame.source == .input(ordinal: ordinal))
            } else if frame.index >= 118 {
                // After the last input frame (t = 47): held.
                #expect(frame.source == .input(ordinal: 47))
            } else {
                guard case .between(let o, let t, nil) = frame.source else {
                    Issue.record("\(frame)")
                    continue
                }
                #expect(o == ordinal)
                #expect(abs(t - fraction(inputPosition)) < 1e-12)
            }
        }
    }

    @Test func pal25To50() {
        let out = schedule(pts: Array(0..<100), endPTS: 100, timeBase: (1, 25), rate: FrameRate(frames: 50)!)
        #expect(out.count == 200)
        #expect(out.map(\.pts) == Array(0..<200))
        #expect(out[0].source == .input(ordinal: 0))
        #expect(out[1].source == .between(ordinal: 0, t: 0.5, dyadic: nil))
        #expect(out[198].source == .input(ordinal: 99))
        #expect(out[199].source == .input(ordinal: 99))  // the last frame's second half, held
        #expect(out.filter { if case .input = $0.source { return true } else { return false } }.count == 101)
    }

    @Test func ntsc30To60() {
        // 300 frames of 30000/1001 fps = 10.01 s → ceil(10.01 × 60) = 601 output frames.
        let out = schedule(pts: Array(0..<300), endPTS: 300, timeBase: (1001, 30000), rate: FrameRate(frames: 60)!)
        #expect(out.count == 601)
        #expect(out.last!.pts == 600)
        // Output k is at k/60 s = k × 30000/(60 × 1001) input frames.
        for frame in out where frame.index < 598 {
            let position = Double(frame.index) * 500 / 1001
            let ordinal = Int64(position.rounded(.down))
            if frame.index == 0 {
                #expect(frame.source == .input(ordinal: 0))
                continue
            }
            guard case .between(let o, let t, _) = frame.source else {
                Issue.record("\(frame)")
                continue
            }
            #expect(o == ordinal)
            #expect(abs(t - fraction(position)) < 1e-9)
        }
    }

    @Test func down60To24() {
        let out = schedule(pts: Array(0..<60), endPTS: 60, timeBase: (1, 60), rate: FrameRate(frames: 24)!)
        #expect(out.count == 24)
        for frame in out {
            let position = Double(frame.index) * 2.5
            if frame.index % 2 == 0 {
                #expect(frame.source == .input(ordinal: Int64(position)))
            } else {
                #expect(frame.source == .between(ordinal: Int64(position.rounded(.down)), t: 0.5, dyadic: nil))
            }
        }
    }

    @Test func variableFrameRateTo30() {
        // Millisecond timestamps with uneven gaps; the last frame ends at 233 ms.
        let out = schedule(
            pts: [0, 40, 50, 100, 180, 200], endPTS: 233, timeBase: (1, 1000), rate: FrameRate(frames: 30)!)
        #expect(out.count == 7)  // outputs at 0, 33.3, 66.7, 100, 133.3, 166.7, 200 ms
        #expect(out.map(\.pts) == Array(0..<7))
        func between(_ frame: ScheduledFrame) -> (Int64, Double)? {
            if case .between(let o, let t, _) = frame.source { return (o, t) } else { return nil }
        }
        #expect(out[0].source == .input(ordinal: 0))
        #expect(between(out[1])!.0 == 0 && abs(between(out[1])!.1 - 100.0 / 3 / 40) < 1e-12)
        #expect(between(out[2])!.0 == 2 && abs(between(out[2])!.1 - (200.0 / 3 - 50) / 50) < 1e-12)
        #expect(out[3].source == .input(ordinal: 3))
        #expect(between(out[4])!.0 == 3 && abs(between(out[4])!.1 - (100.0 / 3) / 80) < 1e-12)
        #expect(between(out[5])!.0 == 3 && abs(between(out[5])!.1 - (200.0 / 3) / 80) < 1e-12)
        #expect(out[6].source == .input(ordinal: 5))
    }

    @Test func multiplierRates() throws {
        let input = FrameRate(frames: 24000, seconds: 1001)!
        let double = try TargetRate(parsing: "2x").resolved(inputRate: input)!
        let out2 = schedule(pts: Array(0..<24), endPTS: 24, timeBase: (1001, 24000), rate: double)
        #expect(out2.count == 48)
        // The last output (k = 47) falls after the last input frame: it holds that frame.
        #expect(out2.last!.source == .input(ordinal: 23))
        #expect(
            out2.dropLast().enumerated().allSatisfy { k, f in
                k % 2 == 0
                    ? f.source == .input(ordinal: Int64(k / 2))
                    : f.source == .between(ordinal: Int64(k / 2), t: 0.5, dyadic: nil)
            })
        let twoAndHalf = try TargetRate(parsing: "2.5x").resolved(inputRate: input)!
        let out25 = schedule(pts: Array(0..<24), endPTS: 24, timeBase: (1001, 24000), rate: twoAndHalf)
        #expect(out25.count == 60)
        // Every 5th output is on an input frame (12), plus two holding the last frame (k = 58, 59).
        #expect(out25.filter { if case .input = $0.source { return true } else { return false } }.count == 14)
    }

    @Test func startOffsetIsKeptOnTheGrid() {
        // Input starting at 1.5 s (pts 36 at 1/24): outputs start at tick round(1.5 × 60) = 90.
        let out = schedule(pts: Array(36..<48), endPTS: 48, timeBase: (1, 24), rate: FrameRate(frames: 60)!)
        #expect(out.count == 30)
        #expect(out.first!.pts == 90)
        #expect(out.last!.pts == 119)
    }

    @Test func midpointOnlyModelsGetNearestDyadicTimes() {
        let out = schedule(
            pts: Array(0..<4), endPTS: 4, timeBase: (1, 24), rate: FrameRate(frames: 60)!,
            policy: .dyadic(maxDepth: 3))
        #expect(out.count == 10)
        // t = 0.4, 0.8, 0.2, 0.6 round to 3/8, 3/4, 1/4, 5/8.
        #expect(out[1].source == .between(ordinal: 0, t: 0.375, dyadic: DyadicTime(numerator: 3, depth: 3)))
        #expect(out[2].source == .between(ordinal: 0, t: 0.75, dyadic: DyadicTime(numerator: 3, depth: 2)))
        #expect(out[3].source == .between(ordinal: 1, t: 0.25, dyadic: DyadicTime(numerator: 1, depth: 2)))
        #expect(out[4].source == .between(ordinal: 1, t: 0.625, dyadic: DyadicTime(numerator: 5, depth: 3)))
        // Depth 1 only has 0.5: t = 0.2 rounds down to the input frame, t = 0.8 up to the next one.
        let coarse = schedule(
            pts: Array(0..<4), endPTS: 4, timeBase: (1, 24), rate: FrameRate(frames: 60)!,
            policy: .dyadic(maxDepth: 1))
        #expect(coarse[2].source == .input(ordinal: 1))
        #expect(coarse[3].source == .input(ordinal: 1))
        #expect(coarse[4].source == .between(ordinal: 1, t: 0.5, dyadic: DyadicTime(numerator: 1, depth: 1)))
    }

    @Test func noDriftOverHours() {
        // Three hours of 29.97 fps at a 90 kHz time base (3003 ticks a frame) to 60 fps, streamed.
        var s = FrameSchedule(timeBaseNumerator: 1, timeBaseDenominator: 90000, rate: FrameRate(frames: 60)!)!
        let frames: Int64 = 3 * 3600 * 30000 / 1001
        var count: Int64 = 0
        for i in 0..<frames { count += Int64(s.push(pts: 3003 * i).count) }
        let tail = s.finish(endPTS: 3003 * frames)
        count += Int64(tail.count)
        // End = frames × 1001/30000 s; outputs = ceil(end × 60).
        let expected = (frames * 1001 * 60 + 29999) / 30000
        #expect(count == expected)
        #expect(tail.last!.pts == expected - 1)
        // Output k at k/60 s sits exactly on input frame k × 30000/(60 × 1001) whenever that is whole:
        // k = 1001 × m is input frame 500 × m, passed through untouched.
        var probe = FrameSchedule(timeBaseNumerator: 1, timeBaseDenominator: 90000, rate: FrameRate(frames: 60)!)!
        var passthrough: [Int64: Int64] = [:]
        for i in 0..<Int64(2001) {
            for f in probe.push(pts: 3003 * i) { if case .input(let o) = f.source { passthrough[f.index] = o } }
        }
        #expect(passthrough == [0: 0, 1001: 500, 2002: 1000, 3003: 1500])
    }

    @Test func millisecondTimestampsSnapToTheOutputGrid() {
        // 30 fps stored in milliseconds (Matroska): 0, 33, 67, 100, …; to 60 fps every other output is an input frame.
        let pts = (0..<30).map { Int64((Double($0) * 1000 / 30).rounded()) }
        let out = schedule(pts: pts, endPTS: 1000, timeBase: (1, 1000), rate: FrameRate(frames: 60)!)
        #expect(out.count == 60)
        for frame in out where frame.index % 2 == 0 {
            #expect(frame.source == .input(ordinal: frame.index / 2))
        }
        #expect(out.filter { if case .between = $0.source { return true } else { return false } }.count == 29)
        // A clock of one tick per frame is exact: no snapping (24 → 60 keeps t = 0.4).
        let film = schedule(pts: [0, 1], endPTS: 2, timeBase: (1, 24), rate: FrameRate(frames: 60)!)
        #expect(film[1].source == .between(ordinal: 0, t: 0.4, dyadic: nil))
    }

    @Test func rejectsNonIncreasingTimestamps() {
        var s = FrameSchedule(timeBaseNumerator: 1, timeBaseDenominator: 25, rate: FrameRate(frames: 50)!)!
        _ = s.push(pts: 0)
        _ = s.push(pts: 1)
        #expect(!s.accepts(pts: 1))
        #expect(!s.accepts(pts: 0))
        #expect(s.push(pts: 1).isEmpty)
        #expect(s.inputCount == 2)
        #expect(s.push(pts: 2).count == 2)
    }

    @Test func singleFrameAndEmptyInputs() {
        #expect(schedule(pts: [], endPTS: nil, timeBase: (1, 25), rate: FrameRate(frames: 50)!).isEmpty)
        #expect(schedule(pts: [7], endPTS: nil, timeBase: (1, 25), rate: FrameRate(frames: 50)!).count == 1)
        #expect(schedule(pts: [7], endPTS: 8, timeBase: (1, 25), rate: FrameRate(frames: 50)!).count == 2)
        // Without an end, the last frame lasts as long as the gap before it.
        #expect(schedule(pts: [0, 2], endPTS: nil, timeBase: (1, 25), rate: FrameRate(frames: 50)!).count == 8)
    }

    @Test func expectedCountMatchesTheSchedule() {
        let s = FrameSchedule(timeBaseNumerator: 1001, timeBaseDenominator: 30000, rate: FrameRate(frames: 60)!)!
        #expect(s.expectedOutputCount(startPTS: 0, endPTS: 300) == 601)
        #expect(s.outputTimeBase == (1, 60))
    }
}

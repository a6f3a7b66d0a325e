import KinetoPipeline
import Testing

@Suite struct TargetRateTests {
    @Test(
        arguments: [
            ("60", 60, 1), ("60000/1001", 60000, 1001), ("29.97", 30000, 1001), ("23.976", 24000, 1001),
            ("59.94", 60000, 1001), ("12.5", 25, 2), ("30.0", 30, 1), ("120/2", 60, 1), (" 25 ", 25, 1),
        ] as [(String, Int64, Int64)])
    func fixedRates(text: String, frames: Int64, seconds: Int64) throws {
        let rate = try TargetRate(parsing: text)
        #expect(rate == .fixed(FrameRate(frames: frames, seconds: seconds)!))
    }

    @Test func multipliersResolveAgainstTheInputRate() throws {
        let ntscFilm = FrameRate(frames: 24000, seconds: 1001)!
        #expect(try TargetRate(parsing: "2x").resolved(inputRate: ntscFilm) == FrameRate(frames: 48000, seconds: 1001))
        #expect(
            try TargetRate(parsing: "2.5x").resolved(inputRate: ntscFilm) == FrameRate(frames: 60000, seconds: 1001))
        #expect(try TargetRate(parsing: "0.5X").resolved(inputRate: FrameRate(frames: 30)!) == FrameRate(frames: 15))
        #expect(try TargetRate(parsing: "60").resolved(inputRate: ntscFilm) == FrameRate(frames: 60))
    }

    @Test(arguments: ["", "x", "0", "-5", "abc", "1/0", "0/1", "2xx", "1.2.3", "60fps", "1e3", "１２"])
    func rejectsNonsense(text: String) {
        #expect(throws: PipelineError.self) { try TargetRate(parsing: text) }
        do { _ = try TargetRate(parsing: text) } catch let error as PipelineError {
            #expect(error.code == .usage)
            #expect(error.message.contains("'\(text)'"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

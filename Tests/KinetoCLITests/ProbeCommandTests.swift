import Foundation
import KinetoTestSupport
import Testing

@Suite struct ProbeCommandTests {
    @Test func describesTheSample() throws {
        let scratch = try Scratch()
        let result = try KinetoProcess.run(["probe", Fixtures.sample("Megamind.avi")], in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("video #0: mpeg4"))
        #expect(result.stdout.contains("720×528"))
        #expect(result.stdout.contains("23.976 fps (2997/125)"))
        #expect(result.stdout.contains("audio #1: ac3, 48000 Hz"))
    }

    @Test func printsJSON() throws {
        let scratch = try Scratch()
        let result = try KinetoProcess.run(["probe", "--json", Fixtures.sample("Megamind.avi")], in: scratch.directory)
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let video = try #require(object["video"] as? [String: Any])
        #expect(video["width"] as? Int == 720)
        #expect(video["height"] as? Int == 528)
        #expect(video["codec"] as? String == "mpeg4")
        #expect((object["audio"] as? [[String: Any]])?.first?["codec"] as? String == "ac3")
    }

    @Test func missingAndNonVideoInputs() throws {
        let scratch = try Scratch()
        let missing = try KinetoProcess.run(["probe", "nothing-here.mkv"], in: scratch.directory)
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("nothing-here.mkv"))
        #expect(missing.stderr.contains("no such file"))
        try "hello\n".write(toFile: scratch.path("text.mp4"), atomically: true, encoding: .utf8)
        let text = try KinetoProcess.run(["probe", "text.mp4"], in: scratch.directory)
        #expect(text.status == 65)
        #expect(text.stderr.contains("text.mp4"))
    }
}

import Foundation
import KinetoDaemon
import KinetoModels
import KinetoTestSupport
import Testing

/// `scale` in a `[[watch]]`: RIFE's scale for that watch's jobs (0.5 for a 4K folder), checked when the config loads.
@Suite struct WatchModelOptionTests {
    func parse(_ lines: String) throws -> DaemonConfig {
        let fixture = try DaemonFixture()
        return try DaemonConfig.parse(
            """
            [[watch]]
            input = "\(fixture.input)"
            output = "\(fixture.output)"
            \(lines)
            """)
    }

    @Test func aRIFEWatchTakesAScale() throws {
        let watch = try #require(try parse("model = \"rife\"\nscale = 0.5").watches.first)
        #expect(watch.rifeScale == RIFEScale(0.5))
        let whole = try #require(try parse("scale = 2").watches.first)
        #expect(whole.model == "rife" && whole.rifeScale == RIFEScale(2))
        #expect(try parse("model = \"rife\"").watches.first?.rifeScale == nil)
    }

    @Test(arguments: [
        ("model = \"rife\"\nscale = 3", "scale = 3.0 is not one of 0.25, 0.5, 1, 2, 4"),
        ("model = \"blend\"\nscale = 0.5", "scale applies to model = \"rife\" only, not to \"blend\""),
        ("scale = \"half\"", "scale in [[watch]] #1 must be a number"),
    ])
    func wrongScalesAreNamedWithTheirLine(lines: String, message: String) {
        do {
            _ = try parse(lines)
            Issue.record("accepted: \(lines)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}

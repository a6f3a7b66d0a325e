import Foundation
import KinetoDaemon
import KinetoTestSupport
import Testing

@Suite struct ConfigTests {
    @Test func parsesTheDocumentedExample() throws {
        // The shipped example, pointed at folders that exist here.
        let fixture = try DaemonFixture()
        var text = try String(
            contentsOf: Fixtures.packageRoot.appendingPathComponent("Config/kineto.toml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "/srv/kineto/in", with: fixture.input)
            .replacingOccurrences(of: "/srv/kineto/out", with: fixture.output)
            .replacingOccurrences(of: "/srv/kineto/failed", with: fixture.quarantine)
            .replacingOccurrences(of: "/var/lib/kineto", with: fixture.state)
        let config = try DaemonConfig.parse(text, file: "kineto.toml")
        #expect(config.watches.count == 1)
        let watch = try #require(config.watches.first)
        #expect(watch.name == "to-60fps")
        #expect(watch.afterSuccess == .keep)
        #expect(watch.stableSeconds == 10)
        #expect(config.http == HTTPAddress(host: "127.0.0.1", port: 8750))
        #expect(config.concurrency == 1)
    }

    @Test func defaultsApply() throws {
        let fixture = try DaemonFixture()
        let config = try DaemonConfig.parse(
            """
            [[watch]]
            input = "\(fixture.input)"
            output = "\(fixture.output)"
            """)
        let watch = try #require(config.watches.first)
        #expect(config.stateDirectory == "/var/lib/kineto")
        #expect(config.http.port == 8750 && config.http.isLoopback)
        #expect(watch.name == "in")
        #expect(watch.stableSeconds == 10)
        #expect(watch.afterSuccess == .keep)
        #expect(watch.quarantine == "/var/lib/kineto/quarantine/in")
        #expect(watch.patterns.contains("*.mp4"))
        #expect(watch.accepts(fileName: "Holiday.MOV"))
        #expect(!watch.accepts(fileName: "notes.txt"))
    }

    @Test func unknownKeyIsNamedWithItsLine() throws {
        let fixture = try DaemonFixture()
        let text = """
            [daemon]
            state_dir = "\(fixture.state)"

            [[watch]]
            input = "\(fixture.input)"
            output = "\(fixture.output)"
            stable_secnds = 5
            """
        let error = try #require(throws: ConfigError.self) { try DaemonConfig.parse(text, file: "k.toml") }
        #expect(error.problems.count == 1)
        #expect(error.problems[0].line == 7)
        #expect(error.description.contains("k.toml:7: unknown key 'stable_secnds'"))
        #expect(error.description.contains("did you mean 'stable_seconds'"))
    }

    @Test func outputInsideOrEqualToAWatchedFolderIsRefused() throws {
        let fixture = try DaemonFixture()
        try FileManager.default.createDirectory(atPath: fixture.input + "/done", withIntermediateDirectories: true)
        for output in [fixture.input, fixture.input + "/done", fixture.input + "/./done/.."] {
            let error = try #require(throws: ConfigError.self) {
                try DaemonConfig.parse(
                    """
                    [daemon]
                    state_dir = "\(fixture.state)"
                    [[watch]]
                    input = "\(fixture.input)"
                    output = "\(output)"
                    """)
            }
            #expect(error.description.contains("results would be taken as new jobs"), "\(output): \(error)")
        }
    }

    @Test func quarantineInsideInputAndOtherMistakesAreAllReported() throws {
        let fixture = try DaemonFixture()
        let text = """
            [daemon]
            state_dir = "\(fixture.state)"
            http = "0.0.0.0:8750"
            [[watch]]
            input = "\(fixture.input)"
            output = "\(fixture.output)"
            quarantine = "\(fixture.input)/failed"
            fps = "fast"
            after_success = "move"
            [[watch]]
            name = "second"
            input = "\(fixture.root)/missing"
            output = "\(fixture.output)"
            """
        let error = try #require(throws: ConfigError.self) { try DaemonConfig.parse(text, file: "k.toml") }
        let text2 = error.description
        // Type and value problems are found first, all at once.
        #expect(text2.contains("k.toml:8: fps = \"fast\" is not a frame rate"))
        #expect(text2.contains("k.toml:9: after_success = \"move\" needs move_to"))

        let fixed = text.replacingOccurrences(of: "fps = \"fast\"", with: "fps = \"60000/1001\"")
            .replacingOccurrences(of: "after_success = \"move\"", with: "")
        let error2 = try #require(throws: ConfigError.self) { try DaemonConfig.parse(fixed, file: "k.toml") }
        let description = error2.description
        #expect(description.contains("k.toml:3: http = \"0.0.0.0:8750\" is reachable from other machines: set token"))
        #expect(description.contains("quarantine \(fixture.input)/failed is inside its own input"))
        #expect(description.contains("input folder \(fixture.root)/missing does not exist"))
    }

    @Test func tokenMakesANonLoopbackAddressAcceptable() throws {
        let fixture = try DaemonFixture()
        let config = try DaemonConfig.parse(
            """
            [daemon]
            state_dir = "\(fixture.state)"
            http = "[::]:9000"
            token = "secret"
            [[watch]]
            input = "\(fixture.input)"
            output = "\(fixture.output)"
            fps = "60"
            after_success = "delete"
            """)
        #expect(config.http == HTTPAddress(host: "::", port: 9000))
        #expect(config.token == "secret")
        #expect(config.watches[0].afterSuccess == .delete)
    }

    @Test func invalidTOMLNamesTheLine() throws {
        let error = try #require(throws: ConfigError.self) {
            try DaemonConfig.parse("[daemon]\nconcurrency = = 2\n", file: "k.toml")
        }
        #expect(error.problems.first?.line == 2)
        #expect(error.description.hasPrefix("k.toml:2: not valid TOML"))
    }

    @Test func ignoredFileNames() {
        for name in [
            ".hidden.mp4", "movie.mp4.part", "a.tmp", "b.mp4.crdownload", ".movie.mp4.kineto-partial-abc123",
            ".movie.kineto-partial.job3.mp4", "clip.mp4.error.json", "~lock.mp4",
        ] {
            #expect(FileNameFilter.isIgnored(name), "\(name)")
        }
        for name in ["movie.mp4", "My Clip (1).MKV"] { #expect(!FileNameFilter.isIgnored(name), "\(name)") }
        #expect(Glob.matches("*.mkv", "My Clip (1).MKV", caseInsensitive: true))
        #expect(!Glob.matches("*.mkv", "My Clip (1).MKV"))
    }

    @Test func httpAddresses() {
        #expect(HTTPAddress(parsing: "127.0.0.1:8750")?.isLoopback == true)
        #expect(HTTPAddress(parsing: "[::1]:80")?.isLoopback == true)
        #expect(HTTPAddress(parsing: "localhost:1")?.isLoopback == true)
        #expect(HTTPAddress(parsing: "192.168.1.2:8750")?.isLoopback == false)
        #expect(HTTPAddress(parsing: "8750") == nil)
        #expect(HTTPAddress(parsing: "host:99999") == nil)
    }
}

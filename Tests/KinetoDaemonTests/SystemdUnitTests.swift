import Foundation
import KinetoTestSupport
import Testing

/// `systemd/kineto.service` and `systemd/kineto-worker.service` pass `systemd-analyze verify` and their
/// exposure scores stay ≤ 2.5.
/// Skipped (with nothing asserted) where systemd-analyze is not installed.
@Suite struct SystemdUnitTests {
    static let analyzer = "/usr/bin/systemd-analyze"

    /// The unit with ExecStart pointing at a binary that exists here (verify checks it is executable).
    static let units = ["kineto.service": "kineto.toml", "kineto-worker.service": "worker.toml"]

    func unitCopy(_ fixture: DaemonFixture, unit: String = "kineto.service") throws -> String {
        var text = try String(
            contentsOf: Fixtures.packageRoot.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/local/bin/kineto daemon --config /etc/kineto/\(Self.units[unit] ?? "")"))
        text = text.replacingOccurrences(of: "/usr/local/bin/kineto", with: "/bin/true")
        let path = fixture.root + "/" + unit
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outcome = try Tool.execute(Self.analyzer, arguments)
        return (outcome.status, outcome.stdout + outcome.stderr)
    }

    @Test(arguments: ["kineto.service", "kineto-worker.service"]) func unitVerifies(unit: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.analyzer) else { return }
        let fixture = try DaemonFixture()
        let (status, output) = try run(["verify", try unitCopy(fixture, unit: unit)])
        #expect(status == 0, "\(output)")
        #expect(!output.contains("Unknown key"), "\(output)")
    }

    @Test(arguments: ["kineto.service", "kineto-worker.service"]) func exposureIsAtMost2Point5(unit: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.analyzer) else { return }
        let fixture = try DaemonFixture()
        let (_, output) = try run(["security", "--offline=yes", try unitCopy(fixture, unit: unit)])
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 2.5, "\(line)")
    }
}

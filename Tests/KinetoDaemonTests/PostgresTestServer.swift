import Foundation
import Glibc
import KinetoDaemon
import KinetoTestSupport

/// The PostgreSQL server that `scripts/test` starts (`scripts/test-postgres`): its address comes in
/// `KINETO_TEST_POSTGRES` (HOST:PORT), the `kineto` superuser's password in `KINETO_TEST_POSTGRES_PASSWORD`.
/// Each test gets a database of its own, dropped at the end.
enum PostgresTestServer {
    static let environment = ProcessInfo.processInfo.environment
    static var available: Bool { environment["KINETO_TEST_POSTGRES"] != nil }
    static var address: String { environment["KINETO_TEST_POSTGRES"] ?? "127.0.0.1:5432" }
    static var host: String { String(address.split(separator: ":").first ?? "127.0.0.1") }
    static var port: Int { Int(address.split(separator: ":").last ?? "5432") ?? 5432 }
    static var password: String { environment["KINETO_TEST_POSTGRES_PASSWORD"] ?? "" }
    static var directory: String? { environment["KINETO_TEST_POSTGRES_DIR"] }

    /// Runs SQL through psql against `database`.
    @discardableResult
    static func psql(_ sql: String, database: String = "postgres") throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        let output = try Tool.run(
            "/usr/bin/psql",
            ["-h", host, "-p", "\(port)", "-U", "kineto", "-d", database, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql],
            environment: environment)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server, waits `seconds`, starts it again on the same port (scripts/test-postgres restart).
    /// Runs on a thread of its own with system(3): Foundation's Process wait, called there while the test
    /// also has daemon children, was seen never to return.
    static func restart(downFor seconds: Double) async throws {
        guard let directory else { throw TestError("KINETO_TEST_POSTGRES_DIR is not set: cannot restart the server") }
        let script = Fixtures.packageRoot.appendingPathComponent("scripts/test-postgres").path
        let command = "'\(script)' restart '\(directory)' \(seconds) >/dev/null 2>&1"
        let status = LockedStatus()
        let thread = Thread { status.set(system(command)) }
        thread.start()
        while status.get() == nil { try await Task.sleep(nanoseconds: 50_000_000) }
        guard status.get() == 0 else { throw TestError("\(command) failed: status \(status.get() ?? -1)") }
    }
}

final class LockedStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int32?
    func set(_ new: Int32) { lock.withLock { value = new } }
    func get() -> Int32? { lock.withLock { value } }
}

/// A fresh database on the test server, dropped when released.
final class TestDatabase: @unchecked Sendable {
    let name: String

    init() throws {
        name = "kineto_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try PostgresTestServer.psql("CREATE DATABASE \(name)")
    }

    deinit {
        _ = try? PostgresTestServer.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    var url: String { "postgres://kineto@\(PostgresTestServer.host):\(PostgresTestServer.port)/\(name)" }

    func location(password: String? = PostgresTestServer.password) throws -> PostgresLocation {
        try PostgresLocation(url: url, password: password)
    }

    func store(worker: String, lease: Double = 60) throws -> PostgresJobStore {
        try PostgresJobStore(location: try location(), workerID: worker, leaseSeconds: lease)
    }

    func sql(_ text: String) throws -> String { try PostgresTestServer.psql(text, database: name) }
}

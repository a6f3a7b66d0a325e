import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Where the shared job store is: `postgres://USER@HOST[:PORT]/DATABASE`, the password given apart
/// (a file or the environment) so that it never appears in a configuration dump or a log line.
public struct PostgresLocation: Sendable, Equatable {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var password: String?

    /// Parses the URL; throws with the reason when it is not one (or carries a password).
    public init(url text: String, password: String?) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw DaemonError("store = \"\(text)\" is not postgres://USER@HOST[:PORT]/DATABASE")
        }
        if components.password != nil {
            throw DaemonError(
                "store names a password in its URL; put it in store_password_file or the KINETO_STORE_PASSWORD environment variable instead (it would be shown in logs)"
            )
        }
        guard let user = components.user, !user.isEmpty else {
            throw DaemonError("store URL needs a user: postgres://USER@HOST/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DaemonError("store URL needs a host: postgres://USER@HOST/DATABASE")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw DaemonError("store URL needs a database: postgres://USER@HOST/DATABASE") }
        self.user = user
        self.host = host
        self.port = components.port ?? 5432
        self.database = database
        self.password = password
    }

    /// The URL without the password, for logs.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// One connection to PostgreSQL, used by one thread at a time, reopened after the server went away.
///
/// Calls block their thread (the daemon's job threads and the scheduler call the store synchronously,
/// as with SQLite): the connection works on its own event loop, never on Swift's cooperative pool. While
/// the server is unreachable, reconnection is tried at most once per backoff step (0.25 s doubling to
/// 5 s); calls in between fail at once with the last error.
final class PostgresSession: @unchecked Sendable {
    let location: PostgresLocation
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var nextAttempt = 0.0
    private var backoff = 0.25
    private var lastFailure: String?
    private var outageStarted: Double?
    private var connectionCount = 0

    init(location: PostgresLocation, logger: Logger) {
        self.location = location
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit {
        try? connection?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Nil while the server answers; else since when (monotonic seconds) and why not.
    var outage: (since: Double, reason: String)? {
        lock.withLock { outageStarted.map { ($0, lastFailure ?? "unknown") } }
    }

    /// Runs `query` and returns its rows; throws `DaemonError` with a message naming the problem.
    func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try lock.withLock {
            let connection = try connectLocked()
            do {
                let result = try connection.query(query, logger: logger).wait()
                return result
            } catch {
                let message = Self.describe(error, location: location)
                if Self.isConnectionLoss(error) {
                    self.connection = nil
                    try? connection.close().wait()
                    noteFailureLocked(message)
                }
                throw DaemonError(message)
            }
        }
    }

    /// Several statements in one transaction on the one connection.
    func transaction<T>(_ body: (_ run: (PostgresQuery) throws -> PostgresQueryResult) throws -> T) throws -> T {
        try lock.withLock {
            let connection = try connectLocked()
            func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
                do {
                    return try connection.query(query, logger: logger).wait()
                } catch {
                    let message = Self.describe(error, location: location)
                    if Self.isConnectionLoss(error) {
                        self.connection = nil
                        try? connection.close().wait()
                        noteFailureLocked(message)
                    }
                    throw DaemonError(message)
                }
            }
            _ = try run("BEGIN")
            do {
                let value = try body(run)
                _ = try run("COMMIT")
                return value
            } catch {
                if self.connection != nil { _ = try? run("ROLLBACK") }
                throw error
            }
        }
    }

    private func connectLocked() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        let now = ActivityMonitor.now()
        if now < nextAttempt, let lastFailure { throw DaemonError(lastFailure) }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: location.password, database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        connectionCount += 1
        do {
            let opened = try PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: connectionCount,
                logger: logger
            ).wait()
            connection = opened
            if let since = outageStarted {
                logger.notice(
                    "job store reachable again",
                    metadata: [
                        "store": "\(location.description)",
                        "outage_seconds": "\(String(format: "%.1f", now - since))",
                    ])
            }
            outageStarted = nil
            lastFailure = nil
            backoff = 0.25
            return opened
        } catch {
            let message = Self.describe(error, location: location)
            noteFailureLocked(message)
            throw DaemonError(message)
        }
    }

    private func noteFailureLocked(_ message: String) {
        let now = ActivityMonitor.now()
        if outageStarted == nil {
            outageStarted = now
            logger.error("job store outage, retrying with backoff: \(message)")
        }
        lastFailure = message
        nextAttempt = now + backoff
        backoff = min(backoff * 2, 5)
    }

    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return true }
        return error.code == .serverClosedConnection || error.code == .clientClosedConnection
            || error.code == .connectionError
            || error.code == .uncleanShutdown
    }

    /// What went wrong, in words an operator can act on (PSQLError's own text hides the details).
    static func describe(_ error: any Error, location: PostgresLocation) -> String {
        guard let error = error as? PSQLError else { return "job store \(location.description): \(error)" }
        if error.code == .server, let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "server error"
            switch state {
            case "28P01", "28000":
                return
                    "job store \(location.description): authentication failed for user \(location.user) (wrong password or not allowed): \(message)"
            case "3D000":
                return "job store \(location.description): the database does not exist: \(message)"
            default:
                return "job store \(location.description): \(message) (SQLSTATE \(state))"
            }
        }
        if error.code == .connectionError {
            let cause = error.underlying.map { "\($0)" } ?? "no answer"
            return "job store \(location.description) is unreachable: \(cause)"
        }
        if error.code == .authMechanismRequiresPassword {
            return
                "job store \(location.description): the server asks for a password; set store_password_file or KINETO_STORE_PASSWORD"
        }
        return "job store \(location.description): connection problem (\(error.code))"
    }
}

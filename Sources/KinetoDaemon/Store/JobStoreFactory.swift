import Foundation
import Logging

/// Opens the store a configuration names.
public enum JobStoreFactory {
    /// SQLite in the state folder, or the PostgreSQL queue of `store = "postgres://…"`. Throws a
    /// message naming the problem: unreadable password file, unreachable server, wrong password,
    /// schema from a newer Kineto.
    public static func open(
        _ config: DaemonConfig, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any JobStore {
        let worker = config.workerID ?? WorkerIdentity.defaultID
        guard let url = config.store else {
            return try SQLiteJobStore(
                directory: config.stateDirectory, workerID: worker, leaseSeconds: config.leaseSeconds)
        }
        var password: String?
        if let file = config.storePasswordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw DaemonError("cannot read store_password_file \(file) (missing or not readable by this user)")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        } else if let value = environment["KINETO_STORE_PASSWORD"] {
            password = value
        }
        let location = try PostgresLocation(url: url, password: password)
        return try PostgresJobStore(
            location: location, workerID: worker, leaseSeconds: config.leaseSeconds, logger: logger)
    }
}

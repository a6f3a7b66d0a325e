import Foundation
import KinetoDaemon
import Logging
import Testing

/// The shared store against a real PostgreSQL server (scripts/test starts one): schema, start-up
/// errors, claiming without double processing, leases, one job per file for several watchers.
@Suite(
    .serialized, .enabled(if: PostgresTestServer.available, "needs KINETO_TEST_POSTGRES (scripts/test starts a server)")
)
struct PostgresStoreTests {
    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    @Test func badConfigurationIsAClearErrorAtStart() throws {
        let database = try TestDatabase()
        // Wrong password.
        #expect {
            _ = try PostgresJobStore(location: try database.location(password: "not-the-password"), workerID: "w")
        } throws: { "\($0)".contains("authentication failed") }
        // Nothing listens there.
        let nowhere = try PostgresLocation(url: "postgres://kineto@127.0.0.1:9/\(database.name)", password: "x")
        #expect {
            _ = try PostgresJobStore(location: nowhere, workerID: "w")
        } throws: { "\($0)".contains("unreachable") }
        // A password in the URL is refused (it would end up in logs).
        #expect(throws: (any Error).self) {
            _ = try PostgresLocation(url: "postgres://kineto:secret@127.0.0.1/db", password: nil)
        }
        // A schema from a newer Kineto.
        let store = try database.store(worker: "w")
        #expect(try store.schemaVersionInDatabase() == PostgresJobStore.schemaVersion)
        _ = try database.sql("UPDATE kineto_schema SET version = 99")
        #expect {
            _ = try database.store(worker: "w")
        } throws: { "\($0)".contains("schema version 99") && "\($0)".contains("newer Kineto") }
    }

    @Test func schemaMigrationIsIdempotentAndConcurrent() async throws {
        let database = try TestDatabase()
        // Three hosts starting at once: one migrates, the others find the schema in place.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<3 {
                group.addTask { try database.store(worker: "w\(index)").schemaVersionInDatabase() }
            }
            for try await version in group { #expect(version == PostgresJobStore.schemaVersion) }
        }
        #expect(try database.sql("SELECT count(*) FROM kineto_schema") == "1")
    }

    @Test func threeWorkersClaimEachJobExactlyOnce() throws {
        let database = try TestDatabase()
        let setup = try database.store(worker: "setup")
        for index in 0..<100 {
            let identity = FileIdentity(size: 1000 + Int64(index), mtimeNanoseconds: 1, inode: Int64(index), device: 1)
            try setup.enqueue(watch: "w", source: "/in/\(index).mp4", relativePath: "\(index).mp4", identity: identity)
        }
        let stores = try (0..<3).map { try database.store(worker: "worker\($0)") }
        let tally = ClaimTally()
        let threads = stores.map { store in
            Thread {
                while true {
                    do {
                        guard let job = try store.claimNext(watches: ["w"]) else { break }
                        tally.claimed(job.id!, by: store.workerID)
                        #expect(job.worker == store.workerID && job.run == 1)
                        #expect(try store.heartbeat(id: job.id!, run: job.run, now: 0))
                        #expect(try store.claimPlacement(id: job.id!, run: job.run, takeOver: false))
                        try store.markDone(
                            id: job.id!, run: job.run, output: "/out/\(job.id!).mp4", framesOut: 1, framesPerSecond: 1)
                    } catch {
                        tally.failed("\(error)")
                        break
                    }
                }
            }
        }
        for thread in threads { thread.start() }
        let deadline = Date().addingTimeInterval(60)
        while threads.contains(where: { !$0.isFinished }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let (claimedBy, errors) = tally.snapshot
        #expect(errors.isEmpty, "\(errors)")
        #expect(claimedBy.count == 100)
        #expect(claimedBy.values.allSatisfy { $0.count == 1 }, "\(claimedBy.filter { $0.value.count > 1 })")
        // Every worker got some (the queue is shared, not taken by the first).
        #expect(Set(claimedBy.values.flatMap { $0 }).count >= 2)
        #expect(try setup.countsByState()[.done] == 100)
    }

    @Test func anExpiredLeaseReturnsTheJobAndFencesTheOldWorker() throws {
        let database = try TestDatabase()
        let frozen = try database.store(worker: "frozen", lease: 1)
        let healthy = try database.store(worker: "healthy", lease: 1)
        let (queued, _) = try frozen.enqueue(
            watch: "w", source: "/in/a.mp4", relativePath: "a.mp4",
            identity: FileIdentity(size: 5, mtimeNanoseconds: 7, inode: 1, device: 1))
        let id = try #require(queued.id)
        let first = try #require(try frozen.claimNext(watches: ["w"]))
        #expect(first.run == 1 && first.worker == "frozen")
        // Not expired yet: nothing to recover, nothing to claim.
        #expect(try healthy.recoverExpiredLeases(interruptionLimit: 10, now: 0).isEmpty)
        #expect(try healthy.claimNext(watches: ["w"]) == nil)
        Thread.sleep(forTimeInterval: 1.3)
        let recovered = try healthy.recoverExpiredLeases(interruptionLimit: 10, now: 0)
        #expect(recovered.map(\.id) == [id])
        #expect(recovered.first?.state == .queued && recovered.first?.interruptions == 1)
        let second = try #require(try healthy.claimNext(watches: ["w"]))
        #expect(second.run == 2 && second.worker == "healthy")
        // The frozen worker wakes up: its heartbeat, progress, placement and result change nothing.
        #expect(try !frozen.heartbeat(id: id, run: 1, now: 0))
        #expect(try !frozen.claimPlacement(id: id, run: 1, takeOver: true))
        try frozen.markDone(id: id, run: 1, output: "/out/a (1).mp4", framesOut: 1, framesPerSecond: 1)
        try frozen.requeue(id: id, run: 1)
        let stale = try #require(try frozen.markFailed(id: id, run: 1, error: "late", retryAt: nil, now: 0))
        #expect(stale.run == 2 && stale.attempts == 0 && stale.error == nil)
        #expect(try healthy.job(id: id)?.state == .running)
        #expect(try healthy.claimPlacement(id: id, run: 2, takeOver: false))
        try healthy.markDone(id: id, run: 2, output: "/out/a.mp4", framesOut: 24, framesPerSecond: 3)
        let done = try #require(try healthy.job(id: id))
        #expect(done.state == .done && done.output == "/out/a.mp4" && done.interruptions == 1 && done.placedRun == 2)
    }

    @Test func aHeartbeatKeepsTheLease() throws {
        let database = try TestDatabase()
        let worker = try database.store(worker: "busy", lease: 1)
        let other = try database.store(worker: "other", lease: 1)
        try worker.enqueue(
            watch: "w", source: "/in/b.mp4", relativePath: "b.mp4",
            identity: FileIdentity(size: 1, mtimeNanoseconds: 1, inode: 1, device: 1))
        let job = try #require(try worker.claimNext(watches: ["w"]))
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.4)
            #expect(try worker.heartbeat(id: job.id!, run: job.run, now: 0))
            #expect(try other.recoverExpiredLeases(interruptionLimit: 10, now: 0).isEmpty)
        }
    }

    @Test func ownLeasesAreReleasedAtStartAndTooManyInterruptionsFail() throws {
        let database = try TestDatabase()
        let first = try database.store(worker: "host-a")
        try first.enqueue(
            watch: "w", source: "/in/c.mp4", relativePath: "c.mp4",
            identity: FileIdentity(size: 1, mtimeNanoseconds: 1, inode: 1, device: 1))
        _ = try #require(try first.claimNext(watches: ["w"]))
        // Another worker's running job is not touched; the restarted host-a releases its own at once.
        #expect(try database.store(worker: "host-b").releaseOwnLeases(interruptionLimit: 10, now: 0).isEmpty)
        let restarted = try database.store(worker: "host-a")
        #expect(try restarted.releaseOwnLeases(interruptionLimit: 2, now: 0).first?.state == .queued)
        _ = try #require(try restarted.claimNext(watches: ["w"]))
        let failed = try restarted.releaseOwnLeases(interruptionLimit: 2, now: 0)
        #expect(failed.first?.state == .failed && failed.first?.interruptions == 2)
    }

    @Test func threeWatchersOnOneSharedFolderQueueEachFileOnce() async throws {
        let database = try TestDatabase()
        let fixture = try DaemonFixture()
        // Host 2 and 3 mount the share elsewhere (here: symlinks to the same folder).
        for index in 2...3 {
            try FileManager.default.createSymbolicLink(
                atPath: fixture.root + "/mnt\(index)", withDestinationPath: fixture.input)
        }
        for index in 0..<100 {
            try Data(repeating: UInt8(index), count: 100 + index).write(
                to: URL(fileURLWithPath: fixture.input + "/clip\(index).mp4"))
        }
        let roots = [fixture.input, fixture.root + "/mnt2", fixture.root + "/mnt3"]
        let watchers = try roots.enumerated().map { index, root in
            let text = fixture.config(stableSeconds: 0.2, rescanSeconds: 0.1).replacingOccurrences(
                of: "input = \"\(fixture.input)\"", with: "input = \"\(root)\"")
            let config = try DaemonConfig.parse(text, validate: false)
            return FolderWatcher(
                config: ConfigBox(config), store: try database.store(worker: "host\(index)"), logger: Self.quietLogger)
        }
        let lock = NSLock()
        var queued: [JobRecord] = []
        await withTaskGroup(of: Void.self) { group in
            for watcher in watchers {
                group.addTask {
                    let deadline = Date().addingTimeInterval(6)
                    while Date() < deadline {
                        let jobs = watcher.poll(now: ActivityMonitor.now())
                        lock.withLock { queued += jobs }
                        try? await Task.sleep(nanoseconds: 50_000_000)
                    }
                }
            }
        }
        #expect(queued.count == 100, "\(queued.count) jobs queued for 100 files")
        #expect(Set(queued.compactMap(\.relativePath)).count == 100)
        #expect(try database.sql("SELECT count(*) FROM job") == "100")
        // Each host finds the file under its own root.
        let job = try #require(queued.first)
        for root in roots { #expect(FileManager.default.fileExists(atPath: job.localSource(watchInput: root))) }
    }
}

/// Which worker claimed which job, from several threads.
final class ClaimTally: @unchecked Sendable {
    private let lock = NSLock()
    private var claims: [Int64: [String]] = [:]
    private var errors: [String] = []
    func claimed(_ id: Int64, by worker: String) { lock.withLock { claims[id, default: []].append(worker) } }
    func failed(_ message: String) { lock.withLock { errors.append(message) } }
    var snapshot: ([Int64: [String]], [String]) { lock.withLock { (claims, errors) } }
}

import Foundation
import Glibc
import KinetoDaemon
import Logging
import Testing

@Suite struct WatcherTests {
    func makeWatcher(_ fixture: DaemonFixture, stable: Double) throws -> (FolderWatcher, any JobStore) {
        let config = try DaemonConfig.parse(fixture.config(stableSeconds: stable, rescanSeconds: 0.1))
        let store = try SQLiteJobStore(directory: fixture.state)
        return (FolderWatcher(config: ConfigBox(config), store: store, logger: Logger(label: "test")), store)
    }

    @Test func aFileCopiedSlowlyIsNotTakenBeforeItIsComplete() async throws {
        let fixture = try DaemonFixture()
        let (watcher, store) = try makeWatcher(fixture, stable: 3)
        let path = fixture.input + "/slow.mp4"
        // A slow copy: 12 chunks, 0.3 s apart (each pause far shorter than the stable window), the file
        // closed between chunks so only the size and time checks can tell. The copy runs on a thread of
        // its own: on a loaded machine a task of the cooperative pool can be held back for seconds, and a
        // held-back writer would truly leave the file unchanged for the whole window.
        let copier = SlowCopier(path: path, chunks: 12, pause: 0.3)
        copier.start()
        var queuedWhileWriting: [JobRecord] = []
        while !copier.isFinished {
            queuedWhileWriting += watcher.poll(now: ActivityMonitor.now())
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(copier.longestPause < 3, "the copier itself paused \(copier.longestPause) s")
        #expect(queuedWhileWriting.isEmpty)
        var queued: [JobRecord] = []
        let taken = try await eventually(10) {
            queued += watcher.poll(now: ActivityMonitor.now())
            return !queued.isEmpty
        }
        #expect(taken)
        #expect(queued.count == 1)
        #expect(queued.first?.size == Int64(12 * 4096))
        #expect(try store.countsByState()[.queued] == 1)
    }

    @Test func aFileOpenForWritingIsNotTaken() async throws {
        let fixture = try DaemonFixture()
        let (watcher, _) = try makeWatcher(fixture, stable: 0.2)
        let path = fixture.input + "/open.mp4"
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        _ = write(fd, "x", 1)
        // Unchanged for longer than the window, but a writer still holds it open.
        if WriterDetector.isOpenForWriting(path) == true {
            var queued: [JobRecord] = []
            for _ in 0..<10 {
                queued += watcher.poll(now: ActivityMonitor.now())
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            #expect(queued.isEmpty)
        }
        close(fd)
        #expect(WriterDetector.isOpenForWriting(path) != true)
        let taken = try await eventually(3) { !watcher.poll(now: ActivityMonitor.now()).isEmpty }
        #expect(taken)
    }

    @Test func manyFilesDroppedAtOnceAreEachQueuedOnce() async throws {
        let fixture = try DaemonFixture()
        let (watcher, store) = try makeWatcher(fixture, stable: 0.2)
        for i in 0..<40 {
            FileManager.default.createFile(
                atPath: fixture.input + "/clip\(i).mkv", contents: Data(repeating: UInt8(i), count: 100 + i))
        }
        var queued: [JobRecord] = []
        for _ in 0..<15 {
            queued += watcher.poll(now: ActivityMonitor.now())
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(queued.count == 40)
        #expect(Set(queued.map(\.source)).count == 40)
        // A restarted watcher (empty memory) does not queue them again.
        let (again, _) = try makeWatcher(fixture, stable: 0.2)
        var requeued: [JobRecord] = []
        for _ in 0..<8 {
            requeued += again.poll(now: ActivityMonitor.now())
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(requeued.isEmpty)
        #expect(try store.countsByState()[.queued] == 40)
    }

    @Test func outputsPartialsAndHiddenFilesNeverBecomeJobs() async throws {
        let fixture = try DaemonFixture()
        let (watcher, _) = try makeWatcher(fixture, stable: 0.1)
        for name in ["done.mp4", ".done.kineto-partial.job1.mp4"] {
            FileManager.default.createFile(atPath: fixture.output + "/" + name, contents: Data([1, 2, 3]))
        }
        FileManager.default.createFile(atPath: fixture.quarantine + "/bad.mp4.error.json", contents: Data("{}".utf8))
        for name in [
            ".hidden.mp4", "movie.mp4.part", "movie.tmp", "movie.mp4.crdownload", ".x.mp4.kineto-partial-abcd",
            "notes.txt",
        ] {
            FileManager.default.createFile(atPath: fixture.input + "/" + name, contents: Data([1, 2, 3]))
        }
        var queued: [JobRecord] = []
        for _ in 0..<8 {
            queued += watcher.poll(now: ActivityMonitor.now())
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(queued.isEmpty, "\(queued.map(\.source))")
    }
}

/// Appends chunks to a file from a thread of its own, `pause` seconds apart, closing it in between.
final class SlowCopier: @unchecked Sendable {
    let path: String
    let chunks: Int
    let pause: Double
    private let lock = NSLock()
    private var finished = false
    private var longest = 0.0

    init(path: String, chunks: Int, pause: Double) {
        self.path = path
        self.chunks = chunks
        self.pause = pause
    }

    var isFinished: Bool { lock.withLock { finished } }
    /// The longest time between two writes, as it happened.
    var longestPause: Double { lock.withLock { longest } }

    func start() {
        let thread = Thread { [self] in
            let chunk = [UInt8](repeating: 7, count: 4096)
            var last = ActivityMonitor.now()
            for index in 0..<chunks {
                if index > 0 { Thread.sleep(forTimeInterval: pause) }
                let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                let now = ActivityMonitor.now()
                lock.withLock { longest = max(longest, now - last) }
                last = now
            }
            lock.withLock { finished = true }
        }
        thread.start()
    }
}

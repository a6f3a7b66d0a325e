import Foundation
import KinetoDaemon
import Testing

@Suite struct JobStoreTests {
    @Test func sameFileIsOneJobAndAChangedFileIsANewOne() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state)
        #expect(try store.journalMode() == "wal")
        let path = fixture.input + "/a.mp4"
        FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 100))
        let identity = try #require(FileIdentity(path: path))
        let (first, inserted) = try store.enqueue(watch: "w", source: path, identity: identity)
        let (again, insertedAgain) = try store.enqueue(watch: "w", source: path, identity: identity)
        #expect(inserted && !insertedAgain)
        #expect(first.id == again.id)
        #expect(try store.contains(source: path, identity: identity))

        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([2]))
        try handle.close()
        let changed = try #require(FileIdentity(path: path))
        #expect(changed != identity)
        let (second, insertedChanged) = try store.enqueue(watch: "w", source: path, identity: changed)
        #expect(insertedChanged && second.id != first.id)
        #expect(try store.countsByState()[.queued] == 2)
    }

    @Test func crashLeftoversGoBackToTheQueue() throws {
        let fixture = try DaemonFixture()
        do {
            let store = try SQLiteJobStore(directory: fixture.state)
            _ = try store.enqueue(
                watch: "w", source: "/x/a.mp4",
                identity: FileIdentity(size: 1, mtimeNanoseconds: 1, inode: 1, device: 1))
            let claimed = try #require(try store.claimNext())
            #expect(claimed.state == .running)
            #expect(try store.claimNext() == nil)
        }
        // A new store on the same folder, as after kill -9.
        let store = try SQLiteJobStore(directory: fixture.state)
        let recovered = try store.recoverInterruptedJobs()
        #expect(recovered.count == 1)
        #expect(recovered[0].state == .queued && recovered[0].interruptions == 1)
        #expect(try store.claimNext()?.source == "/x/a.mp4")
    }

    @Test func retriesWaitForTheirBackoffAndQuarantineIsFinal() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state)
        let (job, _) = try store.enqueue(watch: "w", source: "/x/b.mp4", identity: nil, now: 100)
        let id = try #require(job.id)
        _ = try store.claimNext(now: 100)
        let failed = try #require(try store.markFailed(id: id, error: "boom", retryAt: 160, now: 100))
        #expect(failed.state == .queued && failed.attempts == 1 && failed.error == "boom")
        #expect(try store.claimNext(now: 150) == nil)
        #expect(try store.secondsUntilNextRetry(now: 150) == 10)
        #expect(try store.claimNext(now: 161)?.id == id)
        let final = try #require(try store.markFailed(id: id, error: "boom again", retryAt: nil, now: 170))
        #expect(final.state == .failed && final.attempts == 2)
        #expect(try store.claimNext(now: 1000) == nil)
        let retried = try #require(try store.retry(id: id))
        #expect(retried.state == .queued && retried.attempts == 0)
        #expect(try store.cancel(id: id)?.state == .cancelled)
        #expect(try store.claimNext(now: 2000) == nil)
    }

    @Test func claimsOnlyConfiguredWatches() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state)
        _ = try store.enqueue(watch: "gone", source: "/x/1.mp4", identity: nil)
        _ = try store.enqueue(watch: "here", source: "/x/2.mp4", identity: nil)
        #expect(try store.claimNext(watches: ["here"])?.source == "/x/2.mp4")
        #expect(try store.claimNext(watches: ["here"]) == nil)
    }
}

@Suite struct PlacedOutputRecoveryTests {
    @Test func anOutputPlacedJustBeforeACrashIsRecordedNotRedone() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state)
        let (job, _) = try store.enqueue(watch: "w", source: fixture.input + "/a.mp4", identity: nil)
        let id = try #require(job.id)
        _ = try store.claimNext()
        // The crash came after the final link and before the job was recorded as done.
        let staging = JobProcessor.stagingPath(folder: fixture.output, stem: "a", extension: "mp4", jobID: id)
        FileManager.default.createFile(atPath: staging, contents: Data([1, 2, 3]))
        let placed = try OutputPlacer.place(
            staging: staging, folder: fixture.output, stem: "a", extension: "mp4", keepStaging: true)
        // An unrelated interrupted staging file (one link) is left for the cleaner.
        let other = JobProcessor.stagingPath(folder: fixture.output, stem: "b", extension: "mp4", jobID: id + 1)
        FileManager.default.createFile(atPath: other, contents: Data([4]))

        #expect(PlacedOutputRecovery.recover(store: store, folders: [fixture.output]) == [id])
        #expect(try store.job(id: id)?.state == .done)
        #expect(try store.job(id: id)?.output == placed)
        #expect(try store.recoverInterruptedJobs().isEmpty)
        #expect(TemporaryFileCleaner.clean(folder: fixture.output) == [other])
        #expect(fixture.names(fixture.output) == ["a.mp4"])
    }
}

import Foundation
import KinetoDaemon
import Logging
import Testing

/// Running a farm: leases on the embedded store, labels, time windows, drain, worker-only hosts,
/// job reports, the new configuration keys.
@Suite struct OperatingTests {
    @Test func timeWindowsWrapOverMidnight() throws {
        let night = try #require(TimeWindow(parsing: "22:00-07:00"))
        #expect(
            night.contains(minuteOfDay: 22 * 60) && night.contains(minuteOfDay: 3 * 60)
                && night.contains(minuteOfDay: 6 * 60 + 59))
        #expect(
            !night.contains(minuteOfDay: 7 * 60) && !night.contains(minuteOfDay: 12 * 60)
                && !night.contains(minuteOfDay: 21 * 60 + 59))
        let day = try #require(TimeWindow(parsing: "09:00-17:30"))
        #expect(
            day.contains(minuteOfDay: 9 * 60) && day.contains(minuteOfDay: 17 * 60 + 29)
                && !day.contains(minuteOfDay: 17 * 60 + 30))
        #expect(day.description == "09:00-17:30")
        for bad in ["", "22:00", "25:00-01:00", "10:00-10:00", "9-17", "10:5-11:00"] {
            #expect(TimeWindow(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func farmKeysAreParsedAndCheckedWithTheirLine() throws {
        let fixture = try DaemonFixture()
        let text =
            fixture.config().replacingOccurrences(
                of: "\n[[watch]]",
                with: """
                    store = "postgres://kineto@db.example:5433/farm"
                    store_password_file = "/etc/kineto/pw"
                    worker = "render-1"
                    lease_seconds = 20
                    labels = ["big-ram", "night"]
                    hours = "22:00-07:00"
                    watch_folders = false
                    report_days = 7

                    [[watch]]
                    """) + "\nworkers = [\"big-ram\"]\nhours = \"01:00-05:00\"\n"
        let config = try DaemonConfig.parse(text)
        #expect(
            config.store == "postgres://kineto@db.example:5433/farm" && config.storePasswordFile == "/etc/kineto/pw")
        #expect(config.workerID == "render-1" && config.leaseSeconds == 20 && config.labels == ["big-ram", "night"])
        #expect(config.hours == TimeWindow(parsing: "22:00-07:00") && !config.watchFolders && config.reportDays == 7)
        #expect(
            config.watches[0].requiredLabels == ["big-ram"]
                && config.watches[0].hours == TimeWindow(parsing: "01:00-05:00"))

        let bad = fixture.config().replacingOccurrences(
            of: "\n[[watch]]",
            with: """
                store = "postgres://kineto:secret@db/farm"
                hours = "late"

                [[watch]]
                """)
        #expect {
            try DaemonConfig.parse(bad)
        } throws: { error in
            let text = "\(error)"
            return text.contains("store names a password") && text.contains("not a daily window")
                && text.contains("<string>:")
        }
        #expect(throws: (any Error).self) {
            try DaemonConfig.parse(
                fixture.config().replacingOccurrences(of: "\n[[watch]]", with: "store = \"mysql://x/y\"\n\n[[watch]]"))
        }
    }

    @Test func labelsAndHoursDecideWhichWatchesAWorkerServes() throws {
        let fixture = try DaemonFixture()
        var watch = try WatchConfig(
            name: "4k", input: fixture.input, output: fixture.output, quarantine: fixture.quarantine)
        watch.requiredLabels = ["big-ram"]
        #expect(
            !watch.admits(labels: []) && !watch.admits(labels: ["gpu"]) && watch.admits(labels: ["gpu", "big-ram"]))
        let noon = Calendar.current.date(bySettingHour: 12, minute: 0, second: 0, of: Date())!
        let night = Calendar.current.date(bySettingHour: 23, minute: 30, second: 0, of: Date())!
        watch.hours = TimeWindow(parsing: "22:00-07:00")
        #expect(!watch.admits(labels: ["big-ram"], at: noon) && watch.admits(labels: ["big-ram"], at: night))
    }

    @Test func aWorkerWithoutTheLabelLeavesTheJobQueued() async throws {
        let harness = try SchedulerHarness(watchExtra: "workers = [\"big-ram\"]")
        let id = try harness.submit("big.avi")
        harness.start()
        try await Task.sleep(nanoseconds: 600_000_000)
        #expect(try harness.state(id) == .queued)
        try await harness.stop()

        let labelled = try SchedulerHarness(
            daemonExtra: "labels = [\"big-ram\"]", watchExtra: "workers = [\"big-ram\"]")
        let other = try labelled.submit("big.avi")
        labelled.start()
        #expect(try await eventually(10) { try labelled.state(other) == .done })
        try await labelled.stop()
    }

    @Test func aDrainedWorkerFinishesItsJobAndTakesNoNewOne() async throws {
        let harness = try SchedulerHarness()
        let first = try harness.submit("slow-one.avi")
        harness.start()
        #expect(try await eventually(5) { try harness.state(first) == .running })
        harness.scheduler.drain()
        let second = try harness.submit("two.avi")
        #expect(try await eventually(10) { try harness.state(first) == .done })
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(try harness.state(second) == .queued)
        #expect(harness.scheduler.workerRecord().draining)
        harness.scheduler.drain(false)
        #expect(try await eventually(10) { try harness.state(second) == .done })
        try await harness.stop()
        // The report names the worker and the run of each step.
        let events = try harness.store.events(jobID: first)
        #expect(events.map(\.kind) == ["started", "done"], "\(events)")
        #expect(events.allSatisfy { $0.worker == harness.store.workerID && $0.run == 1 })
    }

    @Test func sqliteLeasesExpireAndFenceLikeTheSharedStore() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state, workerID: "solo", leaseSeconds: 10)
        let (queued, _) = try store.enqueue(
            watch: "w", source: "/in/a.mp4", identity: FileIdentity(size: 1, mtimeNanoseconds: 1, inode: 1, device: 1),
            now: 0)
        let id = try #require(queued.id)
        let first = try #require(try store.claimNext(now: 100, watches: nil))
        #expect(first.run == 1 && first.worker == "solo" && first.leaseExpiresAt == 110)
        #expect(try store.heartbeat(id: id, run: 1, now: 105))
        #expect(try store.recoverExpiredLeases(interruptionLimit: 10, now: 114).isEmpty)
        let expired = try store.recoverExpiredLeases(interruptionLimit: 10, now: 116)
        #expect(expired.map(\.id) == [id] && expired.first?.interruptions == 1 && expired.first?.state == .queued)
        let second = try #require(try store.claimNext(now: 117, watches: nil))
        #expect(second.run == 2)
        #expect(try !store.heartbeat(id: id, run: 1, now: 118))
        #expect(try !store.claimPlacement(id: id, run: 1, takeOver: true))
        try store.markDone(id: id, run: 1, output: "/out/wrong.mp4", framesOut: 1, framesPerSecond: 1)
        #expect(try store.job(id: id)?.state == .running)
        // The old run's failure is not counted against the job either.
        let stale = try #require(try store.markFailed(id: id, run: 1, error: "late", retryAt: nil, now: 119))
        #expect(stale.run == 2 && stale.attempts == 0 && stale.state == .running && stale.error == nil)
        #expect(try store.claimPlacement(id: id, run: 2, takeOver: false))
        try store.markDone(id: id, run: 2, output: "/out/a.mp4", framesOut: 1, framesPerSecond: 1)
        #expect(try store.job(id: id)?.output == "/out/a.mp4")
    }

    @Test func reportsOlderThanTheirDaysArePurged() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state)
        try store.addEvent(JobEvent(jobID: 1, at: 1000, worker: "w", run: 1, kind: "started", message: "old"))
        try store.addEvent(JobEvent(jobID: 1, at: 5000, worker: "w", run: 1, kind: "done", message: "new"))
        #expect(try store.purgeEvents(before: 2000) == 1)
        #expect(try store.events(jobID: 1).map(\.message) == ["new"])
    }

    @Test func aWorkerOnlyHostQueuesNothing() throws {
        let fixture = try DaemonFixture()
        try DaemonFixture.makeClip(fixture.input + "/a.mp4")
        let config = try DaemonConfig.parse(
            fixture.config(stableSeconds: 0, rescanSeconds: 0.1)
                .replacingOccurrences(of: "\n[[watch]]", with: "watch_folders = false\n\n[[watch]]"))
        let store = try SQLiteJobStore(directory: fixture.state)
        let watcher = FolderWatcher(config: ConfigBox(config), store: store, logger: Logger(label: "test"))
        for _ in 0..<3 { #expect(watcher.poll(now: ActivityMonitor.now() + 100).isEmpty) }
        #expect(try store.jobs().isEmpty)
    }
}

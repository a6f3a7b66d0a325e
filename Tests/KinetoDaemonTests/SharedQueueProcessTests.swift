import Foundation
import Glibc
import KinetoDaemon
import KinetoTestSupport
import Testing

/// Three real `kineto daemon` processes of the built binary share one PostgreSQL queue and one watched
/// folder: each file is processed once, a killed or frozen worker's job is finished by another after its
/// lease ends, and a database restart loses nothing.
@Suite(
    .serialized, .enabled(if: PostgresTestServer.available, "needs KINETO_TEST_POSTGRES (scripts/test starts a server)")
)
struct SharedQueueProcessTests {
    /// Three workers over one fixture; every process is killed when this goes away, whatever happened.
    final class Farm: @unchecked Sendable {
        let fixture: DaemonFixture
        let database: TestDatabase
        var processes: [Process] = []
        var logs: [String] = []

        init(workers: Int = 3, lease: Double = 2, extraWatch: String = "") throws {
            fixture = try DaemonFixture()
            database = try TestDatabase()
            let passwordFile = fixture.root + "/pgpass"
            try PostgresTestServer.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
            for index in 0..<workers {
                let state = fixture.root + "/state\(index)"
                let text = fixture.config(stableSeconds: 0.3, rescanSeconds: 0.3, extraWatch: extraWatch)
                    .replacingOccurrences(
                        of: "state_dir = \"\(fixture.state)\"",
                        with: """
                            state_dir = "\(state)"
                            store = "\(database.url)"
                            store_password_file = "\(passwordFile)"
                            worker = "w\(index)"
                            lease_seconds = \(lease)
                            """)
                let configPath = fixture.root + "/kineto\(index).toml"
                try text.write(toFile: configPath, atomically: true, encoding: .utf8)
                let log = fixture.root + "/w\(index).log"
                FileManager.default.createFile(atPath: log, contents: nil)
                let process = Process()
                process.executableURL = Self.executable
                process.arguments = ["daemon", "--config", configPath]
                process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                process.standardInput = FileHandle.nullDevice
                try process.run()
                processes.append(process)
                logs.append(log)
            }
        }

        deinit {
            for process in processes { Tool.end(process, grace: 0) }
        }

        static var executable: URL {
            let testBinary = URL(
                fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                    ?? CommandLine.arguments[0])
            return testBinary.deletingLastPathComponent().appendingPathComponent("kineto")
        }

        func log(_ index: Int) -> String { (try? String(contentsOfFile: logs[index], encoding: .utf8)) ?? "" }

        /// The HTTP port worker `index` listens on (from its "listening" log line).
        func port(_ index: Int) -> Int? {
            guard let range = log(index).range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
                return nil
            }
            return Int(log(index)[range].split(separator: ":").last ?? "")
        }

        func query(_ sql: String) -> String { (try? database.sql(sql)) ?? "" }

        /// Visible (not hidden) files in out/, with their sizes.
        func outputs() -> [String: Int64] {
            var result: [String: Int64] = [:]
            for name in fixture.names(fixture.output) where !name.hasPrefix(".") {
                result[name] = FileIdentity(path: fixture.output + "/" + name)?.size ?? -1
            }
            return result
        }
    }

    /// A clip of `frames` frames copied under each name into in/ at once (a rename each, so no half file is seen).
    static func drop(_ names: [String], into farm: Farm, frames: Int = 12, size: String = "64x48") throws {
        let master = farm.fixture.root + "/master-\(frames).mp4"
        if !FileManager.default.fileExists(atPath: master) {
            try DaemonFixture.makeClip(master, frames: frames, size: size)
        }
        for name in names {
            let temporary = farm.fixture.root + "/." + name
            try FileManager.default.copyItem(atPath: master, toPath: temporary)
            guard rename(temporary, farm.fixture.input + "/" + name) == 0 else {
                throw TestError("cannot move \(name) into in/")
            }
        }
    }

    @Test func hundredFilesDroppedAtOnceAreEachProcessedOnce() async throws {
        let farm = try Farm()
        let names = (0..<100).map { "clip\($0).mp4" }
        try Self.drop(names, into: farm)
        let sizes = Dictionary(
            uniqueKeysWithValues: names.map { ($0, FileIdentity(path: farm.fixture.input + "/" + $0)!.size) })
        let finished = await eventually(240) { farm.query("SELECT count(*) FROM job WHERE state = 'done'") == "100" }
        #expect(
            finished,
            "done: \(farm.query("SELECT state, count(*) FROM job GROUP BY state"))\n\(farm.log(0).suffix(2000))")
        #expect(farm.query("SELECT count(*) FROM job") == "100")
        // Exactly one output per file, under its own name; no duplicate (`clip1 (1).mp4`), no leftovers.
        try await Task.sleep(nanoseconds: 500_000_000)
        let outputs = farm.outputs()
        #expect(Set(outputs.keys) == Set(names), "\(outputs.keys.sorted().prefix(10))")
        #expect(farm.fixture.names(farm.fixture.output).filter { $0.hasPrefix(".") }.isEmpty)
        // Sources untouched.
        for name in names { #expect(FileIdentity(path: farm.fixture.input + "/" + name)?.size == sizes[name]) }
        // The work was shared.
        let workers = farm.query("SELECT count(DISTINCT worker) FROM job")
        #expect(Int(workers) ?? 0 >= 2, "workers used: \(workers)")
    }

    @Test func aKilledAndAFrozenWorkersJobsAreFinishedElsewhereOnce() async throws {
        let farm = try Farm(lease: 2)
        // Long enough that the job is still running when the worker is hit (a quiet Zen 4 blends 360
        // frames of 320×240 in 0.2 s, before its first progress is even stored).
        try Self.drop(["long1.mp4"], into: farm, frames: 1200, size: "640x480")
        var seenSizes: [String: Set<Int64>] = [:]
        func watchOutputs() { for (name, size) in farm.outputs() { seenSizes[name, default: []].insert(size) } }

        // kill -9 of the worker running the first job.
        var victim: Int?
        _ = await eventually(60) {
            watchOutputs()
            let worker = farm.query("SELECT worker FROM job WHERE state = 'running' AND frames_out > 0")
            victim = worker.hasPrefix("w") ? Int(worker.dropFirst()) : nil
            return victim != nil
        }
        let killed = try #require(victim, "no job ran: \(farm.log(0).suffix(1500))")
        kill(farm.processes[killed].processIdentifier, SIGKILL)
        let recovered = await eventually(90) {
            watchOutputs()
            return farm.query("SELECT state FROM job WHERE relative_path = 'long1.mp4'") == "done"
        }
        #expect(recovered, "\(farm.query("SELECT state, worker, run, interruptions FROM job"))")
        #expect(farm.query("SELECT worker FROM job WHERE relative_path = 'long1.mp4'") != "w\(killed)")
        #expect(Int(farm.query("SELECT interruptions FROM job WHERE relative_path = 'long1.mp4'")) ?? 0 >= 1)

        // SIGSTOP of the worker running the second job: a frozen host.
        try Self.drop(["long2.mp4"], into: farm, frames: 1200, size: "640x480")
        var frozenIndex: Int?
        _ = await eventually(60) {
            watchOutputs()
            let worker = farm.query(
                "SELECT worker FROM job WHERE relative_path = 'long2.mp4' AND state = 'running' AND frames_out > 0")
            frozenIndex = worker.hasPrefix("w") ? Int(worker.dropFirst()) : nil
            return frozenIndex != nil
        }
        let frozen = try #require(frozenIndex)
        kill(farm.processes[frozen].processIdentifier, SIGSTOP)
        let finishedElsewhere = await eventually(90) {
            watchOutputs()
            return farm.query("SELECT state FROM job WHERE relative_path = 'long2.mp4'") == "done"
        }
        #expect(finishedElsewhere, "\(farm.query("SELECT state, worker, run FROM job"))")
        #expect(farm.query("SELECT worker FROM job WHERE relative_path = 'long2.mp4'") != "w\(frozen)")
        // The frozen worker wakes up: it learns its lease is gone and places nothing.
        kill(farm.processes[frozen].processIdentifier, SIGCONT)
        // It either hears at its next heartbeat that the lease is gone, or (if its frames were done)
        // finds at placement that the output is already in place.
        let gaveUp = {
            farm.log(frozen).contains("lease lost")
                || farm.log(frozen).contains("another worker placed this job's output")
        }
        _ = await eventually(10) { gaveUp() }
        try await Task.sleep(nanoseconds: 3_000_000_000)
        watchOutputs()
        #expect(Set(farm.outputs().keys) == ["long1.mp4", "long2.mp4"], "\(farm.outputs())")
        // No partial output was ever visible: each name only ever had its final size.
        for (name, sizes) in seenSizes { #expect(sizes.count == 1, "\(name) seen with sizes \(sizes)") }
        #expect(gaveUp(), "\(farm.log(frozen).suffix(2000))")
    }

    @Test func aDatabaseRestartLosesNoJob() async throws {
        let farm = try Farm(lease: 3)
        let names = (0..<20).map { "r\($0).mp4" }
        try Self.drop(names, into: farm, frames: 48, size: "160x120")
        _ = await eventually(60) { (Int(farm.query("SELECT count(*) FROM job WHERE state = 'done'")) ?? 0) >= 3 }
        let port = try #require(farm.port(0))
        // Down for 3 s while /healthz is watched.
        let restart = Task { try await PostgresTestServer.restart(downFor: 3) }
        var sawOutage = false
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline && !sawOutage {
            if let answer = try? await HTTPClient(port: port).request("GET", "/healthz"), answer.status == 503,
                String(decoding: answer.body, as: UTF8.self).contains("store unreachable")
            {
                sawOutage = true
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        try await restart.value
        let finished = await eventually(180) { farm.query("SELECT count(*) FROM job WHERE state = 'done'") == "20" }
        #expect(finished, "\(farm.query("SELECT state, count(*) FROM job GROUP BY state"))")
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(Set(farm.outputs().keys) == Set(names), "\(farm.outputs().keys.sorted())")
        #expect(sawOutage, "/healthz never reported the outage")
        let logs = (0..<3).map(farm.log).joined()
        #expect(logs.contains("job store outage") && logs.contains("cannot reach the job queue"))
        #expect(logs.contains("job store reachable again") && logs.contains("the job queue answers again"))
    }
}

import ArgumentParser
import Foundation
import KinetoDaemon

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `kineto workers [list|drain|resume]`: the workers that share the daemon's job store.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List the workers sharing the job queue, or drain one (it finishes its jobs, takes no new ones).",
        subcommands: [List.self, Drain.self, Resume.self, BenchStore.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Every worker seen in the last hour.")
        @OptionGroup var options: JobsCommand.ServerOptions
        @Flag(help: "Print the JSON the API returns.")
        var json = false

        func run() async throws {
            let data = try await options.client().request("GET", "/api/workers")
            if json {
                print(String(decoding: data, as: UTF8.self), terminator: "")
                return
            }
            let workers = try JSONDecoder().decode([WorkerRecord].self, from: data)
            if workers.isEmpty {
                print("no workers")
                return
            }
            let now = Date().timeIntervalSince1970
            for worker in workers { print(WorkersCommand.line(worker, now: now)) }
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drain", abstract: "The daemon at --server finishes its jobs and takes no new ones.")
        @OptionGroup var options: JobsCommand.ServerOptions

        func run() async throws { try await WorkersCommand.post("/api/drain", options) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "A drained daemon takes jobs again.")
        @OptionGroup var options: JobsCommand.ServerOptions

        func run() async throws { try await WorkersCommand.post("/api/drain?resume=1", options) }
    }

    /// Posts to the daemon's drain endpoint and prints the worker as it now stands.
    static func post(_ path: String, _ options: JobsCommand.ServerOptions) async throws {
        let data = try await options.client().request("POST", path)
        print(line(try JSONDecoder().decode(WorkerRecord.self, from: data), now: Date().timeIntervalSince1970))
    }

    /// The store's own cost per job, as a worker pays it: claim, heartbeats, placement, completion.
    struct BenchStore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-store",
            abstract: "Time the job store's statements per job (claim, heartbeats, placement, done), in ms.",
            discussion: "The PostgreSQL password comes from KINETO_STORE_PASSWORD. Used by scripts/bench-queue.")
        @Option(
            help: "sqlite:FOLDER or postgres://USER@HOST[:PORT]/DATABASE (an empty database or folder: jobs are added)."
        )
        var store: String
        @Option(help: "Jobs to queue and run through.") var jobs: Int = 200
        @Option(help: "Heartbeats per job (a job of N leases/3 seconds sends N).") var heartbeats: Int = 3

        func run() throws {
            let opened: any JobStore
            if store.hasPrefix("sqlite:") {
                opened = try SQLiteJobStore(directory: String(store.dropFirst("sqlite:".count)), workerID: "bench")
            } else {
                let location = try PostgresLocation(
                    url: store, password: ProcessInfo.processInfo.environment["KINETO_STORE_PASSWORD"])
                opened = try PostgresJobStore(location: location, workerID: "bench")
            }
            let run = UUID().uuidString.prefix(8)
            for index in 0..<jobs {
                try opened.enqueue(
                    watch: "bench", source: "/bench/\(run)/\(index).mp4", relativePath: "\(run)/\(index).mp4",
                    identity: FileIdentity(size: Int64(index), mtimeNanoseconds: 1, inode: Int64(index), device: 1))
            }
            var perJob: [Double] = []
            while true {
                let start = DispatchTime.now().uptimeNanoseconds
                guard let job = try opened.claimNext(watches: ["bench"]), let id = job.id else { break }
                for _ in 0..<heartbeats {
                    _ = try opened.heartbeat(id: id, run: job.run, now: Date().timeIntervalSince1970)
                }
                _ = try opened.claimPlacement(id: id, run: job.run, takeOver: false)
                try opened.markDone(id: id, run: job.run, output: "/out/\(id).mp4", framesOut: 1, framesPerSecond: 1)
                perJob.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            perJob.sort()
            guard !perJob.isEmpty else { throw ValidationError("no job was claimed") }
            let median = perJob[perJob.count / 2]
            let p90 = perJob[min(perJob.count - 1, perJob.count * 9 / 10)]
            print(
                String(
                    format: "%@\tjobs %d\theartbeats %d\tmedian %.3f ms\tp90 %.3f ms\tmean %.3f ms",
                    opened.location.hasPrefix("sqlite") ? "sqlite" : "postgres", perJob.count, heartbeats,
                    median, p90, perJob.reduce(0, +) / Double(perJob.count)))
        }
    }

    static func line(_ worker: WorkerRecord, now: Double) -> String {
        let seen = max(0, now - worker.lastSeen)
        let state = worker.draining ? "draining" : (worker.runningJobs.isEmpty ? "idle" : "busy")
        let jobs = worker.runningJobs.isEmpty ? "-" : worker.runningJobs.map(String.init).joined(separator: ",")
        let labels = worker.labels.isEmpty ? "" : "  labels \(worker.labels.joined(separator: ","))"
        return "\(worker.id)  \(worker.host)  v\(worker.version)  \(state)  jobs \(jobs)  done \(worker.jobsDone)  "
            + "\(String(format: "%.1f", worker.framesPerSecond)) fps  seen \(Int(seen)) s ago\(labels)"
    }
}

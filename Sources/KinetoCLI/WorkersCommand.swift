import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KinetoDaemon

/// `kineto workers [list|drain|resume]`: the workers that share the daemon's job store.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List the workers sharing the job queue, or drain one (it finishes its jobs, takes no new ones).",
        subcommands: [List.self, Drain.self, Resume.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every worker seen in the last hour.")
        @OptionGroup var options: JobsCommand.ServerOptions
        @Flag(help: "Print the JSON the API returns.")
        var json = false

        func run() async throws {
            let data = try await options.client().request("GET", "/api/workers")
            if json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
            let workers = try JSONDecoder().decode([WorkerRecord].self, from: data)
            if workers.isEmpty { print("no workers"); return }
            let now = Date().timeIntervalSince1970
            for worker in workers { print(WorkersCommand.line(worker, now: now)) }
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "drain", abstract: "The daemon at --server finishes its jobs and takes no new ones.")
        @OptionGroup var options: JobsCommand.ServerOptions

        func run() async throws {
            let data = try await options.client().request("POST", "/api/drain")
            print(WorkersCommand.line(try JSONDecoder().decode(WorkerRecord.self, from: data), now: Date().timeIntervalSince1970))
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "A drained daemon takes jobs again.")
        @OptionGroup var options: JobsCommand.ServerOptions

        func run() async throws {
            let data = try await options.client().request("POST", "/api/drain?resume=1")
            print(WorkersCommand.line(try JSONDecoder().decode(WorkerRecord.self, from: data), now: Date().timeIntervalSince1970))
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

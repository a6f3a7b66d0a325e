import ArgumentParser
import Foundation
import KinetoDaemon

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `kineto jobs [list|submit|retry|cancel|report]`: the daemon's job queue, through its HTTP API.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, submit, retry or cancel the daemon's jobs, or show one's report (through its HTTP API).",
        subcommands: [List.self, Submit.self, Retry.self, Cancel.self, Report.self],
        defaultSubcommand: List.self
    )

    struct ServerOptions: ParsableArguments {
        @Option(help: "The daemon's address.")
        var server: String = "http://127.0.0.1:8750"

        @Option(help: "Bearer token (default: $KINETO_TOKEN).")
        var token: String?

        func client() throws -> APIClient {
            guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--server must be an http:// or https:// URL")
            }
            return APIClient(base: url, token: token ?? ProcessInfo.processInfo.environment["KINETO_TOKEN"])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first.")
        @OptionGroup var options: ServerOptions
        @Option(help: "Only jobs in this state: queued, running, done, failed, cancelled.")
        var state: String?
        @Flag(help: "Print the JSON the API returns.")
        var json = false

        func run() async throws {
            let query = state.map { "?state=\($0)" } ?? ""
            let data = try await options.client().request("GET", "/api/jobs\(query)")
            if json {
                print(String(decoding: data, as: UTF8.self), terminator: "")
                return
            }
            let jobs = try JSONDecoder().decode([JobView].self, from: data)
            if jobs.isEmpty {
                print("no jobs")
                return
            }
            for job in jobs { print(JobsCommand.line(job)) }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit", abstract: "Queue a file (absolute path) or a stream URL.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "Absolute path the daemon can read, or a stream URL.")
        var source: String
        @Option(help: "The [[watch]] whose settings and output folder to use (default: the first).")
        var watch: String?

        func run() async throws {
            var source = source
            if !source.contains("://") && !source.hasPrefix("/") {
                source = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(source)
            }
            let body = try JSONEncoder().encode(SubmitRequest(source: source, watch: watch))
            let data = try await options.client().request("POST", "/api/jobs", body: body)
            print(JobsCommand.line(try JSONDecoder().decode(JobView.self, from: data)))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry", abstract: "Queue a failed or cancelled job again.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "Job id.") var id: Int64

        func run() async throws {
            let data = try await options.client().request("POST", "/api/jobs/\(id)/retry")
            print(JobsCommand.line(try JSONDecoder().decode(JobView.self, from: data)))
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel a queued or running job.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "Job id.") var id: Int64

        func run() async throws {
            let data = try await options.client().request("POST", "/api/jobs/\(id)/cancel")
            print(JobsCommand.line(try JSONDecoder().decode(JobView.self, from: data)))
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "A job's report: every claim, attempt, warning and ending, with its worker.")
        @OptionGroup var options: ServerOptions
        @Argument(help: "Job id.") var id: Int64

        func run() async throws {
            let data = try await options.client().request("GET", "/api/jobs/\(id)/report")
            let report = try JSONDecoder().decode(JobReport.self, from: data)
            print(JobsCommand.line(report.job))
            let format = DateFormatter()
            format.dateFormat = "yyyy-MM-dd HH:mm:ss"
            for event in report.events {
                print(
                    "\(format.string(from: Date(timeIntervalSince1970: event.at)))  \(event.worker) run \(event.run)  \(event.kind)  \(event.message)"
                )
            }
        }
    }

    static func line(_ job: JobView) -> String {
        var text = "\(job.id)\t\(job.state.rawValue)\t\(job.watch)\t\(job.source)"
        if let worker = job.worker { text += "\t[\(worker)]" }
        if let chunk = job.chunk, let parent = job.parent { text += "\tchunk \(chunk) of #\(parent)" }
        if let chunks = job.chunks, job.state == .queued {
            text += "\t" + String(format: "%.0f%%, chunks %d/%d done", job.progress * 100, job.chunksDone ?? 0, chunks)
        }
        if job.state == .running {
            text += "\t" + String(format: "%.0f%% %.1f fps", job.progress * 100, job.framesPerSecond)
        }
        if let output = job.output { text += "\t→ \(output)" }
        if let error = job.error, job.state != .done { text += "\t(\(error))" }
        return text
    }
}

/// A minimal client of the daemon's API; errors are printed as the daemon words them.
struct APIClient {
    let base: URL
    let token: String?

    func request(_ method: String, _ path: String, body: Data? = nil) async throws -> Data {
        guard let url = URL(string: path, relativeTo: base) else { throw ValidationError("bad path \(path)") }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            CommandFailure.printError(
                "kineto: cannot reach the daemon at \(base.absoluteString): \(error.localizedDescription)")
            throw ExitCode(69)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let message =
                (try? JSONSerialization.jsonObject(with: data) as? [String: Any]).flatMap {
                    ($0["error"] as? [String: Any])?["message"] as? String
                }
                ?? String(decoding: data, as: UTF8.self)
            CommandFailure.printError("kineto: \(status): \(message)")
            throw ExitCode(status == 404 ? 66 : 1)
        }
        return data
    }
}

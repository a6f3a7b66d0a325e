import Foundation
import Hummingbird
import NIOCore

/// The status API and dashboard: `GET /api/jobs`, `GET /api/jobs/{id}`, `POST /api/jobs`,
/// `POST /api/jobs/{id}/retry`, `POST /api/jobs/{id}/cancel`, thumbnails, `/healthz`, `/metrics`, `/`.
public struct StatusAPI: Sendable {
    let config: ConfigBox
    let store: any JobStore
    let scheduler: JobScheduler
    let metrics: DaemonMetrics
    let activity: ActivityMonitor
    let thumbnailDirectory: String
    /// Token in force (read at start; a reload cannot change who may connect).
    let token: String?

    public init(
        config: ConfigBox, store: any JobStore, scheduler: JobScheduler, metrics: DaemonMetrics,
        activity: ActivityMonitor, thumbnailDirectory: String
    ) {
        self.config = config
        self.store = store
        self.scheduler = scheduler
        self.metrics = metrics
        self.activity = activity
        self.thumbnailDirectory = thumbnailDirectory
        self.token = config.current.token
    }

    /// Stream URL schemes a job may name (no `file:`, `concat:` or other FFmpeg pseudo-protocols).
    static let streamSchemes: Set<String> = ["http", "https", "udp", "tcp", "rtp", "rtsp", "rtmp", "srt"]

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: BearerTokenMiddleware(token: token))
        router.get("/") { _, _ in Self.html(Dashboard.page) }
        router.get("/healthz") { _, _ in healthz() }
        router.get("/metrics") { _, _ in
            metrics.update(counts: (try? store.countsByState()) ?? [:])
            if let workers = try? store.workers(withinSeconds: 60) { metrics.update(workers: workers) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/api/jobs") { request, _ in
            let state = try request.uri.queryParameters.get("state").map { text -> JobState in
                guard let state = JobState(rawValue: text) else {
                    throw HTTPError(
                        .badRequest,
                        message: "state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return state
            }
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 200, 1), 5000)
            return try json(try store.jobs(state: state, limit: limit).map(view))
        }
        router.get("/api/jobs/:id") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let job = try store.job(id: id) else { throw notFound(id) }
            return try json(view(job))
        }
        router.post("/api/jobs") { request, context in
            let body = try await request.decode(as: SubmitRequest.self, context: context)
            let (job, inserted) = try submit(body)
            return try json(view(job), status: inserted ? .created : .ok)
        }
        router.post("/api/jobs/:id/retry") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let job = try store.retry(id: id) else { throw notFound(id) }
            guard job.state == .queued else {
                throw HTTPError(
                    .conflict,
                    message: "job \(id) is \(job.state.rawValue); only failed or cancelled jobs can be retried")
            }
            return try json(view(job))
        }
        router.post("/api/jobs/:id/cancel") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let job = try scheduler.cancel(id: id) else { throw notFound(id) }
            guard job.state == .cancelled else {
                throw HTTPError(
                    .conflict,
                    message: "job \(id) is \(job.state.rawValue); only queued or running jobs can be cancelled")
            }
            return try json(view(job))
        }
        router.get("/api/jobs/:id/report") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let job = try store.job(id: id) else { throw notFound(id) }
            return try json(JobReport(job: view(job), events: try store.events(jobID: id)))
        }
        router.get("/api/workers") { request, _ in
            let within = request.uri.queryParameters.get("within", as: Double.self) ?? 3600
            return try json(try store.workers(withinSeconds: within))
        }
        router.post("/api/drain") { request, _ in
            scheduler.drain(request.uri.queryParameters.get("resume") == nil)
            return try json(scheduler.workerRecord())
        }
        router.get("/api/jobs/:id/thumbnail/:which") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let which = try context.parameters.require("which")
            guard which == "before" || which == "after",
                let data = FileManager.default.contents(atPath: thumbnailPath(id, which))
            else {
                throw HTTPError(.notFound, message: "no \(which) thumbnail for job \(id)")
            }
            return Response(
                status: .ok, headers: [.contentType: "image/png", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return router
    }

    // MARK: - Handlers

    func healthz() -> Response {
        if let trouble = scheduler.storeTrouble {
            let body = "{\"status\":\"store unreachable\",\"reason\":\(Self.quoted(trouble))}\n"
            return Response(
                status: .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let stall = activity.stallReason(stallSeconds: config.current.stallSeconds)
        let body = stall.map { "{\"status\":\"stalled\",\"reason\":\(Self.quoted($0))}\n" } ?? "{\"status\":\"ok\"}\n"
        return Response(
            status: stall == nil ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func submit(_ body: SubmitRequest) throws -> (JobRecord, Bool) {
        let current = config.current
        guard let watch = body.watch.map({ current.watch(named: $0) }) ?? current.watches.first else {
            throw HTTPError(
                .badRequest,
                message:
                    "unknown watch '\(body.watch ?? "")'; configured: \(current.watches.map(\.name).joined(separator: ", "))"
            )
        }
        let source = body.source.trimmingCharacters(in: .whitespaces)
        if let range = source.range(of: "://") {
            let scheme = source[..<range.lowerBound].lowercased()
            guard Self.streamSchemes.contains(scheme) else {
                throw HTTPError(
                    .badRequest,
                    message: "stream URLs must use one of \(Self.streamSchemes.sorted().joined(separator: ", "))")
            }
            // Each submission of a stream is a new job: a stream has no identity to compare.
            let stamp = FileIdentity(
                size: 0, mtimeNanoseconds: Int64(Date().timeIntervalSince1970 * 1e9), inode: 0, device: 0)
            return try store.enqueue(watch: watch.name, source: source, identity: stamp)
        }
        guard source.hasPrefix("/") else {
            throw HTTPError(.badRequest, message: "source must be an absolute path or a stream URL")
        }
        let path = (source as NSString).standardizingPath
        guard let identity = FileIdentity(path: path) else {
            throw HTTPError(.badRequest, message: "\(path) is not a regular file the daemon can see")
        }
        guard access(path, R_OK) == 0 else {
            throw HTTPError(.forbidden, message: "\(path) is not readable by the daemon's user")
        }
        return try store.enqueue(watch: watch.name, source: path, identity: identity)
    }

    func view(_ job: JobRecord) -> JobView {
        var thumbnails: [String: String] = [:]
        if let id = job.id {
            for which in ["before", "after"] where FileManager.default.fileExists(atPath: thumbnailPath(id, which)) {
                thumbnails[which] = "/api/jobs/\(id)/thumbnail/\(which)"
            }
        }
        var view = JobView(job, thumbnails: thumbnails)
        // A split job waiting for its chunks shows how far they are, all of them together.
        if let id = job.id, job.chunkCount != nil, job.state == .queued, let chunks = try? store.chunks(of: id) {
            view.showChunks(chunks)
        }
        return view
    }

    func thumbnailPath(_ id: Int64, _ which: String) -> String {
        (thumbnailDirectory as NSString).appendingPathComponent("\(id)-\(which).png")
    }

    func notFound(_ id: Int64) -> HTTPError { HTTPError(.notFound, message: "no job \(id)") }

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func html(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy:
                    "default-src 'self'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

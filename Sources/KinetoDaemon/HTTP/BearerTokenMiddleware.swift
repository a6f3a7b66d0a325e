import Hummingbird

/// Requires `Authorization: Bearer TOKEN` (or `?token=TOKEN`, for the dashboard opened in a browser)
/// on every route but `/healthz`, when a token is configured.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let token, !token.isEmpty, request.uri.path != "/healthz" else { return try await next(request, context) }
        var given: String?
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            given = String(header.dropFirst("Bearer ".count))
        } else {
            given = request.uri.queryParameters.get("token")
        }
        guard let given, Self.constantTimeEquals(given, token) else {
            throw HTTPError(
                .unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a valid bearer token is required")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing tells nothing about the token.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Loopback requests to a daemon under test.
struct HTTPClient {
    let port: Int
    var token: String?

    func request(_ method: String, _ path: String, json: String? = nil) async throws -> (
        status: Int, body: Data, type: String
    ) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 10)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http?.value(forHTTPHeaderField: "Content-Type") ?? "")
    }

    func text(_ path: String) async throws -> String {
        String(decoding: try await request("GET", path).body, as: UTF8.self)
    }
}

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HTTP requests through Foundation's URLSession (libcurl on Linux), never a hand-written parser.
public enum HTTPClient {
    /// Makes one request; any answer (also 500) is a response, only no answer is an error.
    public static func request(url: String, method: String, timeout: Double, host: String, hostHeader: String? = nil) async throws(TransportError)
        -> HTTPResponse
    {
        guard let target = URL(string: url), target.scheme == "http" || target.scheme == "https" else {
            throw TransportError(.http, host: host, "`\(url)` is not an http(s) URL")
        }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        if let hostHeader { request.setValue(hostHeader, forHTTPHeaderField: "Host") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return HTTPResponse(status: status, body: String(decoding: data.prefix(1 << 20), as: UTF8.self))
        } catch {
            throw TransportError(.http, host: host, "\(method) \(url): \(error.localizedDescription)")
        }
    }
}

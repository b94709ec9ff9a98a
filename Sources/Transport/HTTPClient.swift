import CRunbookSystem
import Foundation

/// HTTP requests through the system's libcurl (loaded on first use), never a hand-written parser.
public enum HTTPClient {
    /// Redirects followed within one origin; a check's URL that redirects further is a misconfiguration, not a hop.
    static let maxRedirects = 10
    /// The body a check reads; the rest is not downloaded.
    static let maxBody = 1 << 20

    /// Makes one request; any answer (also 500) is a response, only no answer is an error. A redirect
    /// to the same scheme, host and port is followed; one to another origin is the answer, so a check
    /// never reaches a machine its URL did not name. With `tunnel` (the local end of an SSH forward to
    /// the URL's host and port) every hop goes through the tunnel with the URL's own Host header.
    /// `timeout` bounds each request of the redirects (at most 11), as curl's and URLSession's do.
    public static func request(url: String, method: String, timeout: Double, host: String, tunnel: (host: String, port: Int)? = nil)
        async throws(TransportError) -> HTTPResponse
    {
        guard let target = URL(string: url), target.scheme == "http" || target.scheme == "https", target.host != nil else {
            throw TransportError(.http, host: host, "`\(url)` is not an http(s) URL")
        }
        var current = target
        var method = method
        for _ in 0...maxRedirects {
            var sent = current.absoluteString
            var hostHeader: String?
            if let tunnel, var components = URLComponents(url: current, resolvingAgainstBaseURL: false), let name = components.host {
                hostHeader = components.port.map { "\(name):\($0)" } ?? name
                components.host = tunnel.host
                components.port = tunnel.port
                sent = components.string ?? sent
            }
            let answer = await perform(url: sent, method: method, hostHeader: hostHeader, timeout: timeout)
            guard answer.code == 0 else { throw TransportError(.http, host: host, "\(method) \(current.absoluteString): \(answer.error)") }
            // Through a tunnel curl resolves a relative Location against the tunnel's end: resolve it against the URL instead.
            let location = answer.location.flatMap { URL(string: $0, relativeTo: current)?.absoluteURL }
            guard (300..<400).contains(answer.status), let next = location, sameOrigin(next, current) else {
                return HTTPResponse(status: answer.status, body: String(decoding: answer.body, as: UTF8.self))
            }
            // As browsers and URLSession do: a 303, and a 301/302 of a POST, are followed with GET.
            if answer.status == 303 || (method == "POST" && (answer.status == 301 || answer.status == 302)) { method = "GET" }
            current = next
        }
        throw TransportError(.http, host: host, "\(method) \(url): more than \(maxRedirects) redirects")
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme == "https" ? 443 : url.scheme == "http" ? 80 : nil) }
        return a.scheme == b.scheme && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }

    struct Answer: Sendable {
        var code: Int32
        var status: Int
        var body: [UInt8]
        var location: String?
        var error: String
    }

    /// A flag libcurl's progress callback reads: set when the task waiting for the answer is cancelled.
    final class CancelFlag: @unchecked Sendable {
        let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        init() { pointer.initialize(to: 0) }
        func cancel() { rb_http_cancel(pointer) }
        deinit { pointer.deallocate() }
    }

    /// Runs the blocking request on a thread of its own, off the cooperative pool other hosts need;
    /// cancelling the task (Ctrl-C) ends it within a second.
    static func perform(url: String, method: String, hostHeader: String?, timeout: Double) async -> Answer {
        let milliseconds = max(1, Int(timeout * 1000))
        let flag = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A thread of its own, not GCD's pool: that pool is bounded, and other blocked work can hold it.
                Thread {
                    var raw = rb_http_answer()
                    let code = rb_http_request(url, method, hostHeader, milliseconds, maxBody, flag.pointer, &raw)
                    defer { rb_http_free(&raw) }
                    let body = raw.body.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.body_length)) } ?? []
                    let error = withUnsafeBytes(of: raw.error) { bytes in
                        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                    }
                    continuation.resume(
                        returning: Answer(code: code, status: raw.status, body: body, location: raw.location.map { String(cString: $0) }, error: error))
                }.start()
            }
        } onCancel: {
            flag.cancel()
        }
    }
}

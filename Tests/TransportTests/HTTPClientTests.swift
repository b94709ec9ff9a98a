import Foundation
import TestSupport
import Testing

@testable import Transport

/// The HTTP client (the system's libcurl, loaded on first use) against a real web server
/// (Tests/Fixtures/http/server.py), directly and through an SSH tunnel to a real sshd.
@Suite struct HTTPClientTests {
    final class Web: Sendable {
        let port: Int
        let process: BackgroundProcess

        init() throws {
            port = freePort()
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "Fixtures/http/server.py")
            process = try BackgroundProcess(["/usr/bin/python3", script.path, String(port)])
            waitUntilListening(port, seconds: 30)
        }

        deinit { process.stop() }
    }

    @Test func aRedirectWithinTheOriginIsFollowedAndOneElsewhereIsTheAnswer() async throws {
        let web = try Web()
        let base = "http://127.0.0.1:\(web.port)"
        let relative = try await HTTPClient.request(url: "\(base)/relative", method: "GET", timeout: 30, host: "h")
        #expect(relative.status == 200 && relative.body == "final GET 127.0.0.1:\(web.port)")
        let absolute = try await HTTPClient.request(url: "\(base)/absolute", method: "GET", timeout: 30, host: "h")
        #expect(absolute.status == 200 && absolute.body.hasPrefix("final GET"))
        // 127.0.0.2 is another origin: never contacted, the redirect itself is the answer.
        let elsewhere = try await HTTPClient.request(url: "\(base)/elsewhere", method: "GET", timeout: 30, host: "h")
        #expect(elsewhere.status == 302)
        let seeOther = try await HTTPClient.request(url: "\(base)/see-other", method: "POST", timeout: 30, host: "h")
        #expect(seeOther.status == 200 && seeOther.body.hasPrefix("final GET"))
        await #expect(throws: TransportError.self) { try await HTTPClient.request(url: "\(base)/loop", method: "GET", timeout: 30, host: "h") }
    }

    @Test func headAnswersAtOnceAndAnEndlessBodyIsCut() async throws {
        let web = try Web()
        let base = "http://127.0.0.1:\(web.port)"
        let head = try await HTTPClient.request(url: "\(base)/final", method: "HEAD", timeout: 30, host: "h")
        #expect(head.status == 200 && head.body.isEmpty)
        let endless = try await HTTPClient.request(url: "\(base)/endless", method: "GET", timeout: 30, host: "h")
        #expect(endless.status == 200 && endless.body.utf8.count == HTTPClient.maxBody)
    }

    @Test func aCancelledRequestEnds() async throws {
        let web = try Web()
        let request = Task { try await HTTPClient.request(url: "http://127.0.0.1:\(web.port)/silent", method: "GET", timeout: 600, host: "h") }
        try await Task.sleep(for: .milliseconds(300))
        request.cancel()
        // Not timed (a loaded test pool starves tests for tens of seconds): the server answers 200 after
        // 300 s and the request's limit is 600 s, so only the cancellation makes it throw now.
        await #expect(throws: TransportError.self) { try await request.value }
    }

    @Test func noAnswerIsAnErrorNamingTheURL() async throws {
        let url = "http://127.0.0.1:\(freePort())/health"
        do {
            _ = try await HTTPClient.request(url: url, method: "GET", timeout: 2, host: "h")
            Issue.record("a closed port answered")
        } catch {
            #expect(error.message.contains("GET \(url)"))
        }
        await #expect(throws: TransportError.self) { try await HTTPClient.request(url: "ftp://127.0.0.1/x", method: "GET", timeout: 2, host: "h") }
    }

    @Test func throughTheTunnelRedirectsStayOnTheHost() async throws {
        let server = try TestSSHServer()
        let web = try Web()
        let transport = SSHTransport(settings: settings(for: server))
        defer { Task { await transport.close() } }
        // The host's own origin, absolute or relative, goes through the tunnel with the URL's Host header.
        for path in ["relative", "absolute"] {
            let answer = try await transport.http(url: "http://127.0.0.1:\(web.port)/\(path)", method: "GET", timeout: 30)
            #expect(answer.status == 200 && answer.body == "final GET 127.0.0.1:\(web.port)", "\(path)")
        }
        let elsewhere = try await transport.http(url: "http://127.0.0.1:\(web.port)/elsewhere", method: "GET", timeout: 30)
        #expect(elsewhere.status == 302)
    }
}

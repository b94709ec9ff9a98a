import Foundation
import TestSupport
import Testing

@testable import Transport

/// The HTTP client against a hostile web server (Tests/Fixtures/http/server.py): Location headers
/// meant to reach another origin, endless headers, a gzip bomb.
@Suite struct HTTPClientAttackTests {
    /// Locations that another URL parser could read as another origin (the evil server's port `Q`)
    /// while naming this one (`P`), or the other way round: none of them reaches the evil server.
    @Test func noLocationReachesAnotherOrigin() async throws {
        let web = try HTTPClientTests.Web()
        let evil = try HTTPClientTests.Web()
        let (p, q) = (web.port, evil.port)
        let locations = [
            "http://127.0.0.1:\(p)@127.0.0.1:\(q)/whoami", "//127.0.0.1:\(q)/whoami", "http://127.0.0.1:\(q)\\@127.0.0.1:\(p)/whoami",
            "http://127.0.0.1:\(p)\\@127.0.0.1:\(q)/whoami", "/\\127.0.0.1:\(q)/whoami", "\\\\127.0.0.1:\(q)/whoami",
            "http:\\\\127.0.0.1:\(q)\\whoami", "http:127.0.0.1:\(q)/whoami", "HTTP://127.0.0.1:\(q)/whoami",
            "http://127.0.0.1:\(p)#@127.0.0.1:\(q)/whoami", "http://127.0.0.1:\(p)?@127.0.0.1:\(q)/whoami",
            "http://[::ffff:127.0.0.1]:\(q)/whoami", "http://127.0.0.1:\(p)\0@127.0.0.1:\(q)/whoami",
            "http://127.0.0.1:\(p)\t@127.0.0.1:\(q)/whoami", "  http://127.0.0.1:\(q)/whoami", "http://127.0.0.1:\(p):\(q)/whoami",
            "http://127.0.0.1:\(p)%40127.0.0.1:\(q)/whoami", "http://127.0.0.1:\(p);@127.0.0.1:\(q)/whoami",
            "http://127.0.0.1:\(p)\r\nLocation: http://127.0.0.1:\(q)/whoami", "http://127.0.0.1:\(p)/x\r\n http://127.0.0.1:\(q)/whoami",
            "http://127.0.0.1:0\(q)/whoami", "http://127.0.0.1:\(q)%2f@127.0.0.1:\(p)/whoami", "http://127.1:\(q)/whoami",
            "http://127.0.0.1:\(p)/../../..//127.0.0.1:\(q)/whoami", "http://user@127.0.0.1:\(q)/whoami",
        ]
        for location in locations {
            let encoded = location.utf8.map { String(format: "%%%02X", $0) }.joined()
            do {
                let answer = try await HTTPClient.request(url: "http://127.0.0.1:\(p)/to?\(encoded)", method: "GET", timeout: 30, host: "h")
                #expect(answer.body != "port \(q)", "\(location.debugDescription) reached the other origin")
            } catch {
                // An error is fine: the other origin was not answered.
            }
        }
    }

    /// Endless headers and a body that inflates to 64 MB end with an error or the first MB, in bounded memory.
    @Test func endlessHeadersAndAGzipBombAreBounded() async throws {
        let web = try HTTPClientTests.Web()
        let base = "http://127.0.0.1:\(web.port)"
        await #expect(throws: TransportError.self) { try await HTTPClient.request(url: "\(base)/headers", method: "GET", timeout: 30, host: "h") }
        let bomb = try await HTTPClient.request(url: "\(base)/bomb", method: "GET", timeout: 30, host: "h")
        #expect(bomb.status == 200 && bomb.body.utf8.count == HTTPClient.maxBody)
    }
}

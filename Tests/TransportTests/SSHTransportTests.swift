import Foundation
import TestSupport
import Testing

@testable import Transport

func settings(for server: TestSSHServer, name: String = "h1", key: String? = nil, accept: Bool = false, knownHosts: String? = nil)
    -> SSHSettings
{
    SSHSettings(
        name: name, address: "127.0.0.1", port: server.port, user: server.user, identityFiles: [key ?? server.clientKey],
        knownHostsFiles: [knownHosts ?? server.knownHosts], acceptNewHostKeys: accept, connectTimeout: 5, home: server.directory)
}

/// Collects output lines from another thread.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [OutputLine] = []
    func add(_ line: OutputLine) { lock.withLock { items.append(line) } }
    var all: [OutputLine] { lock.withLock { items } }
}

@Suite(.serialized) struct SSHTransportTests {
    @Test func execReportsOutputAndExitStatus() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        try await transport.connect()
        let lines = Lines()
        let result = try await transport.exec("echo out; echo err >&2; exit 3", timeout: nil) { lines.add($0) }
        #expect(result.exitStatus == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(Set(lines.all) == [OutputLine(stream: .stdout, text: "out"), OutputLine(stream: .stderr, text: "err")])
        let ok = try await transport.exec("true", timeout: nil, output: nil)
        #expect(ok.succeeded)
        await transport.close()
    }
}

import Foundation
import TestSupport
import Testing

@testable import Transport

/// known_hosts decisions against OpenSSH's own: for each file of Tests/Fixtures/known-hosts, runbook
/// connects to a real sshd if and only if `ssh -o StrictHostKeyChecking=yes` does, and finds the
/// lines `ssh-keygen -F` finds. Placeholders: {NAME} `[127.0.0.1]:port`, {PORT}, {KEY} the server's
/// key, {OTHER} another ed25519 key, {ECDSA} an ecdsa key, {LONG} a 5 KB bogus key, {HASH:text}
/// the name hashed by `ssh-keygen -H`.
@Suite(.serialized) struct KnownHostsOracleTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/known-hosts")
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()

    /// One server and the keys the placeholders stand for, shared by every case.
    final class Fixture: @unchecked Sendable {
        let server: TestSSHServer
        let values: [String: String]

        init() throws {
            server = try TestSSHServer()
            let directory = server.directory
            try shell("ssh-keygen -q -t ed25519 -N '' -f \(directory)/other && ssh-keygen -q -t ecdsa -N '' -f \(directory)/ecdsa")
            func key(_ path: String) throws -> String {
                try shell("cut -d' ' -f1,2 \(path)").trimmingCharacters(in: .whitespacesAndNewlines)
            }
            values = [
                "{NAME}": "[127.0.0.1]:\(server.port)", "{PORT}": String(server.port), "{KEY}": try key("\(directory)/host_ed25519.pub"),
                "{OTHER}": try key("\(directory)/other.pub"), "{ECDSA}": try key("\(directory)/ecdsa.pub"),
                "{LONG}": "ssh-ed25519 " + String(repeating: "A", count: 5000),
            ]
        }

        /// The corpus file with its placeholders filled in, written beside the server.
        func file(_ name: String) throws -> String {
            var text = try String(contentsOf: KnownHostsOracleTests.corpus.appendingPathComponent(name), encoding: .utf8)
            for (placeholder, value) in values { text = text.replacingOccurrences(of: placeholder, with: value) }
            while let start = text.range(of: "{HASH:"), let end = text[start.upperBound...].firstIndex(of: "}") {
                let plain = String(text[start.upperBound..<end])
                let scratch = server.directory + "/hash-scratch"
                try "\(plain) \(values["{KEY}"] ?? "")\n".write(toFile: scratch, atomically: true, encoding: .utf8)
                let hashed = try shell("ssh-keygen -q -H -f \(scratch) >/dev/null 2>&1; cut -d' ' -f1 \(scratch); rm -f \(scratch) \(scratch).old")
                text.replaceSubrange(start.lowerBound...end, with: hashed.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let path = server.directory + "/kh-" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static let fixture = Result { try Fixture() }

    @Test(arguments: cases) func connectsExactlyWhenOpenSSHDoes(_ name: String) async throws {
        let fixture = try Self.fixture.get()
        let server = fixture.server
        let file = try fixture.file(name)
        let ssh = try runProcess([
            "/usr/bin/ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(file)",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", server.clientKey, "-p",
            String(server.port), "\(server.user)@127.0.0.1", "true",
        ])
        var settings = settings(for: server, knownHosts: file)
        settings.globalKnownHostsFiles = []
        let error = await connectError(settings)
        #expect((ssh.status == 0) == (error == nil), "\(name): ssh exit \(ssh.status) \(ssh.stderr); runbook: \(error?.message ?? "connected")")
        if let error { #expect(error.kind == .hostKey, "\(name): \(error.message)") }
    }

    @Test(arguments: cases) func findsTheLinesSSHKeygenFinds(_ name: String) throws {
        let fixture = try Self.fixture.get()
        let file = try fixture.file(name)
        let (entries, warnings) = KnownHosts.read([file])
        // ssh-keygen -F reads only host and key type, so it also lists lines whose key is unreadable;
        // runbook (like ssh connecting) skips those with a warning.
        let skipped = Set(warnings.compactMap { Int($0.dropFirst(file.count + 1).prefix { $0.isNumber }) })
        for host in [fixture.values["{NAME}"] ?? "", "otherhost", "127.0.0.1", "[127.0.0.2]:\(fixture.server.port)", "third"] {
            let output = try runProcess(["/usr/bin/ssh-keygen", "-F", host, "-f", file])
            let expected = output.stdout.split(separator: "\n").compactMap { line -> Int? in
                guard line.hasPrefix("# Host "), let range = line.range(of: " found: line ") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            let found = entries.filter { KnownHosts.matches($0, name: host) }.map(\.line)
            #expect(found == expected.filter { !skipped.contains($0) }, "\(name) \(host)")
        }
    }

    @Test func runbookHashesAsSSHKeygenDoes() throws {
        let fixture = try Self.fixture.get()
        let name = fixture.values["{NAME}"] ?? ""
        let salt = [UInt8](repeating: 7, count: 20)
        let path = fixture.server.directory + "/own-hash"
        try "\(KnownHosts.hashed(name, salt: salt)) \(fixture.values["{KEY}"] ?? "")\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try runProcess(["/usr/bin/ssh-keygen", "-F", name, "-f", path]).stdout.contains("found: line 1"))
    }
}

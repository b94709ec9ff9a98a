import Foundation
import TestSupport
import Testing

@testable import Transport

@Suite(.serialized) struct KnownHostsTests {
    @Test func badLinesAreSkippedWithTheirFileAndLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        try "garbage\n\nhost ssh-ed25519 \(key)\n@x host ssh-ed25519 \(key)\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (entries, warnings) = KnownHosts.read([path])
        #expect(entries.map(\.line) == [3])
        #expect(warnings.count == 2)
        #expect(warnings.first?.hasPrefix("\(path):1: ") == true)
        #expect(warnings.last?.hasPrefix("\(path):4: unknown marker @x") == true)
    }

    /// Random known_hosts lines: each is read or skipped with a warning, never a crash.
    @Test func randomLinesAreReadOrSkipped() throws {
        let pieces = [
            "@revoked", "@cert-authority", "@", "|1|", "|", "[", "]", ":", "*", "?", "!", ",", " ", "\t", "#", "ssh-ed25519", "ecdsa-sha2-nistp256",
            "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", "AAAA", "=", "host", "127.0.0.1", "\u{0}", "é", "\r",
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kh-fuzz-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = SystemRandomNumberGenerator()
        let lines = (0..<3000).map { _ in
            (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let (entries, warnings) = KnownHosts.read([path])
        #expect(entries.count + warnings.count <= lines.count)
        for entry in entries.prefix(200) { _ = KnownHosts.matches(entry, name: "[127.0.0.1]:2222") }
    }

    /// Six connections recording six new hosts into one file at once: every line arrives whole.
    @Test func parallelAcceptNewLosesNoLine() async throws {
        let servers = try (0..<6).map { _ in try TestSSHServer() }
        let file = servers[0].directory + "/shared_known_hosts"
        await withTaskGroup(of: Void.self) { group in
            for server in servers {
                group.addTask {
                    var accepting = settings(for: server, accept: true, knownHosts: file)
                    accepting.hashKnownHosts = true
                    _ = await connectError(accepting)
                }
            }
        }
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.allSatisfy { $0.hasPrefix("|1|") })
        for server in servers {
            // OpenSSH finds each hashed name and accepts the recorded key.
            #expect(try runProcess(["/usr/bin/ssh-keygen", "-F", "[127.0.0.1]:\(server.port)", "-f", file]).stdout.contains("found: line"))
            #expect(await connectError(settings(for: server, knownHosts: file)) == nil)
        }
    }
}

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

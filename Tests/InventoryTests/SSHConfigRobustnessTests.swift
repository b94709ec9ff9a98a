import Foundation
import Testing
import Wire

@testable import Inventory

/// Random ssh_config text built from the pieces the lexer and the resolver care about: every input
/// is either read or refused with a located error, never a crash or a hang.
@Suite struct SSHConfigRobustnessTests {
    static let pieces = [
        "Host", "Match", "Include", "HostName", "User", "Port", "ProxyJump", "ProxyCommand", "IdentityFile", "UserKnownHostsFile",
        "IgnoreUnknown", "host", "exec", "all", "final", "canonical", "originalhost", "user", "localuser", "!", "*", "?", "=", "\"", "'", "\\",
        "#", " ", "\t", "%h", "%", "%%", "${HOME}", "${", "}", ",", "@", ":", "[", "]", "ssh://", "a", "b.example", "22", "99999", "none",
        "true", "\n", "\n  ", "\r\n", "\u{0}", "é",
    ]

    @Test func randomConfigsAreReadOrRefusedWithALocation() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let count = Int.random(in: 1...40, using: &generator)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &generator) ?? "" }.joined()
            do {
                // `exec` criteria run `true`-like words only: the pieces hold no command that changes anything.
                let config = try SSHConfig.parse(text.replacingOccurrences(of: "exec", with: "exec true"), path: "fuzz", home: "/nonexistent", localUser: "u")
                let resolved = config.settings(for: "a", user: nil, port: nil)
                _ = config.jumpHosts(of: resolved)
            } catch {
                #expect("\(error)".hasPrefix("fuzz:"), "\(error)")
            }
        }
    }

    @Test func patternsWithManyStarsStayFast() {
        let start = Date()
        #expect(SSHPattern.matches(String(repeating: "a", count: 60), String(repeating: "*a", count: 12) + "b") == false)
        #expect(Date().timeIntervalSince(start) < 5)
    }
}

import Foundation
import Testing

@testable import Inventory

@Suite struct SSHConfigTests {
    static let text = """
        # Global defaults come first in many files, and then win over later blocks.
        ConnectTimeout 5

        Host web* !web-legacy
          User deploy
          IdentityFile ~/.ssh/web_%h_%r
          Port=2222

        Host web1
          HostName 10.0.0.11
          User ignored-because-first-wins
          IdentityFile ~/.ssh/second

        Host bastioned
          ProxyJump jump.example.com
          ProxyCommand ignored-because-proxyjump-came-first

        Host netns-*
          ProxyCommand ip netns exec %n nc 127.0.0.1 %p
          StrictHostKeyChecking accept-new
          UserKnownHostsFile "/tmp/known hosts" /tmp/other

        Host *
          User fallback
          ServerAliveInterval 15
          ConnectTimeout 30
        """

    static let config = (try? SSHConfig.parse(text, path: "config", home: "/home/me", localUser: "me")) ?? .empty

    @Test func firstValueWinsAcrossMatchingBlocks() {
        let web1 = Self.config.settings(for: "web1")
        #expect(web1.user == "deploy")
        #expect(web1.port == 2222)
        #expect(web1.hostName == "10.0.0.11")
        #expect(web1.connectTimeout == 5)
        #expect(web1.serverAliveInterval == 15)
    }

    @Test func identityFilesAccumulateAndExpandTokens() {
        let web1 = Self.config.settings(for: "web1")
        #expect(web1.identityFiles == ["/home/me/.ssh/web_10.0.0.11_deploy", "/home/me/.ssh/second"])
    }

    @Test func negatedPatternCancelsTheWholeHostLine() {
        let legacy = Self.config.settings(for: "web-legacy")
        #expect(legacy.user == "fallback")
        #expect(legacy.port == nil)
    }

    @Test func firstOfProxyJumpAndProxyCommandWins() {
        let host = Self.config.settings(for: "bastioned")
        #expect(host.proxyJump == "jump.example.com")
        #expect(host.proxyCommand == nil)
    }

    @Test func proxyCommandAndKnownHosts() {
        let host = Self.config.settings(for: "netns-h1")
        #expect(host.proxyCommand == "ip netns exec netns-h1 nc 127.0.0.1 22")
        #expect(host.strictHostKeyChecking == "accept-new")
        #expect(host.userKnownHostsFiles == ["/tmp/known hosts", "/tmp/other"])
    }

    @Test func keywordsAreCaseInsensitive() throws {
        let config = try SSHConfig.parse("HOST a\n  hostname b\n  PORT 2\n", path: "c", home: "/h", localUser: "u")
        #expect(config.settings(for: "a").hostName == "b")
        #expect(config.settings(for: "a").port == 2)
    }

    @Test func includeSplicesFilesInPlace() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sshcfg-\(UUID().uuidString)")
        let sshDir = home.appendingPathComponent(".ssh/conf.d")
        try FileManager.default.createDirectory(at: sshDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try "Host inc\n  User included\n".write(to: sshDir.appendingPathComponent("a.conf"), atomically: true, encoding: .utf8)
        let config = try SSHConfig.parse("Include conf.d/*.conf\nHost *\n  User later\n", path: "c", home: home.path, localUser: "u")
        #expect(config.settings(for: "inc").user == "included")
        #expect(config.settings(for: "other").user == "later")
    }

    @Test func connectionMergesInventoryOverSSHConfigOverDefaults() {
        let connection = HostConnection.resolve(
            name: "web1", variables: ["ansible_user": .string("ops")], sshConfig: Self.config, home: "/home/me", localUser: "me")
        #expect(connection.address == "10.0.0.11")
        #expect(connection.user == "ops")
        #expect(connection.port == 2222)
        #expect(connection.identityFiles.first == "/home/me/.ssh/web_10.0.0.11_ops")
        #expect(connection.knownHostsFiles == ["/home/me/.ssh/known_hosts"])
        let plain = HostConnection.resolve(name: "x", variables: ["ansible_host": .string("10.9.9.9")], sshConfig: .empty, home: "/h", localUser: "me")
        #expect(plain.summary == "me@10.9.9.9:22")
    }
}

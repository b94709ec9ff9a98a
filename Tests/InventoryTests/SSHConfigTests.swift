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
        #expect(connection.knownHostsFiles == ["/home/me/.ssh/known_hosts", "/home/me/.ssh/known_hosts2"])
        #expect(connection.serverAliveInterval == 15)
        let plain = HostConnection.resolve(name: "x", variables: ["ansible_host": .string("10.9.9.9")], sshConfig: .empty, home: "/h", localUser: "me")
        #expect(plain.summary == "me@10.9.9.9:22")
    }

    @Test func errorsNameFileAndLine() {
        for (text, message) in [
            ("Host a\n  Bogus yes\n", "Bad configuration option: bogus"), ("Port 99999\n", "Bad port"), ("User \"open\n", "invalid quotes"),
            ("Match host\n", "Missing Match criteria"), ("Match nothing x\n", "Unsupported Match attribute"),
            ("HostName %x\n", "unknown token %x"), ("ProxyJump @bad\n", "Invalid ProxyJump"), ("User\n", "no argument after keyword"),
            ("User a b\n", "extra arguments"), ("ConnectTimeout 5x\n", "invalid time value"),
        ] {
            #expect(throws: (any Error).self) { try SSHConfig.parse(text, path: "cfg", home: "/h", localUser: "u") }
            do {
                _ = try SSHConfig.parse("# first\n" + text, path: "cfg", home: "/h", localUser: "u")
            } catch {
                #expect("\(error)".hasPrefix("cfg:2:1: error:") || "\(error)".hasPrefix("cfg:3:1: error:"), "\(error)")
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        #expect((try? SSHConfig.parse("IgnoreUnknown bog*\nBogus 1\n", path: "c", home: "/h", localUser: "u")) != nil)
    }

    @Test func jumpHostsFollowAliasesListsAndTheirOwnJumps() throws {
        let text = """
            Host target
              ProxyJump mid,last
            Host mid
              HostName 10.0.0.2
              User midUser
              ProxyJump outer
            Host last
              HostName 10.0.0.3
              Port 2203
              ProxyJump ignored-for-a-later-hop
            Host outer
              HostName 10.0.0.1
              IdentityFile /keys/outer
            Host loop1
              ProxyJump loop2
            Host loop2
              ProxyJump loop1
            """
        let config = try SSHConfig.parse(text, path: "c", home: "/h", localUser: "me")
        let (hops, problem) = config.jumpHosts(of: config.settings(for: "target"))
        #expect(problem == nil)
        #expect(hops.map { $0.hostName ?? "" } == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        #expect(hops.map { $0.user ?? "me" } == ["me", "midUser", "me"])
        #expect(hops.map { $0.port ?? 22 } == [22, 22, 2203])
        #expect(hops[0].identityFiles == ["/keys/outer"])
        let connection = HostConnection.resolve(name: "target", variables: [:], sshConfig: config, home: "/h", localUser: "me")
        #expect(connection.jumpHosts.map(\.address) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        let loop = config.jumpHosts(of: config.settings(for: "loop1"))
        #expect(loop.problem?.contains("loop") == true)
    }
}

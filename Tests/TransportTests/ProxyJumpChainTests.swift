import Execution
import Foundation
import Inventory
import TestSupport
import Testing

@testable import Transport

/// ProxyJump as ssh follows it, through real sshd hops on loopback: aliases of the same config, every
/// hop of a list, and a jump host's own ProxyJump.
@Suite(.serialized) struct ProxyJumpChainTests {
    /// One ssh_config naming each server by an alias, with its key, and one known_hosts for all.
    static func config(_ servers: [(String, TestSSHServer)], extra: String) throws -> (SSHConfig, String) {
        let directory = try shell("mktemp -d /tmp/runbook-jump-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        var knownHosts = ""
        var text = extra + "\n"
        for (alias, server) in servers {
            knownHosts += try String(contentsOfFile: server.knownHosts, encoding: .utf8)
            text += "Host \(alias)\n  HostName 127.0.0.1\n  Port \(server.port)\n  IdentityFile \(server.clientKey)\n"
        }
        text += "Host *\n  User \(TestUser.name)\n  UserKnownHostsFile \(directory)/known_hosts\n  StrictHostKeyChecking yes\n"
        try knownHosts.write(toFile: directory + "/known_hosts", atomically: true, encoding: .utf8)
        try text.write(toFile: directory + "/config", atomically: true, encoding: .utf8)
        return (try SSHConfig.load(path: directory + "/config", home: directory, localUser: TestUser.name), directory)
    }

    static func transport(_ name: String, _ config: SSHConfig, home: String) -> any Transport {
        let connection = HostConnection.resolve(name: name, variables: [:], sshConfig: config, home: home, localUser: TestUser.name)
        return TransportFactory(acceptNewHostKeys: false, home: home, environment: [:]).transport(host: name, connection: connection)
    }

    /// True when the server has a session process (a connection through it is open).
    static func inUse(_ server: TestSSHServer) -> Bool { !server.descendants(of: server.pid).isEmpty }

    @Test func listOfTwoHopsThenTheTarget() async throws {
        let (first, second, target) = (try TestSSHServer(), try TestSSHServer(), try TestSSHServer())
        let (config, directory) = try Self.config(
            [("first", first), ("second", second), ("target", target)], extra: "Host target\n  ProxyJump first,second\nHost second\n  ProxyJump nowhere-ignored"
        )
        defer { _ = try? shell("rm -rf \(directory)") }
        let transport = Self.transport("target", config, home: directory)
        #expect(try await transport.exec("echo three-hops", timeout: 20, output: nil).stdout == "three-hops\n")
        #expect(Self.inUse(first) && Self.inUse(second) && Self.inUse(target))
        await transport.close()
    }

    @Test func aJumpHostsOwnProxyJumpIsFollowed() async throws {
        let (outer, inner, target) = (try TestSSHServer(), try TestSSHServer(), try TestSSHServer())
        let (config, directory) = try Self.config(
            [("outer", outer), ("inner", inner), ("target", target)], extra: "Host target\n  ProxyJump inner\nHost inner\n  ProxyJump outer")
        defer { _ = try? shell("rm -rf \(directory)") }
        #expect(!Self.inUse(outer))
        let transport = Self.transport("target", config, home: directory)
        #expect(try await transport.exec("echo nested", timeout: 20, output: nil).stdout == "nested\n")
        #expect(Self.inUse(outer) && Self.inUse(inner))
        await transport.close()
    }

    @Test func twoHopsThroughAnAlias() async throws {
        let (bastion, target) = (try TestSSHServer(), try TestSSHServer())
        let (config, directory) = try Self.config([("bastion", bastion), ("target", target)], extra: "Host target\n  ProxyJump bastion")
        defer { _ = try? shell("rm -rf \(directory)") }
        let transport = Self.transport("target", config, home: directory)
        #expect(try await transport.exec("echo two-hops", timeout: 20, output: nil).stdout == "two-hops\n")
        #expect(Self.inUse(bastion))
        await transport.close()
    }

    @Test func aLoopIsAnErrorNotAHang() async throws {
        let config = try SSHConfig.parse("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n", path: "c", home: "/tmp", localUser: "u")
        let transport = Self.transport("a", config, home: "/tmp")
        do {
            try await transport.connect()
            Issue.record("connected through a loop")
        } catch {
            #expect(error.message.contains("loop"))
        }
    }
}

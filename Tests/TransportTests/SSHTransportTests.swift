import Foundation
import TestSupport
import Testing

@testable import Transport

func settings(
    for server: TestSSHServer, name: String = "h1", key: String? = nil, accept: Bool = false, knownHosts: String? = nil,
    timeout: Double = 5
) -> SSHSettings {
    SSHSettings(
        name: name, address: "127.0.0.1", port: server.port, user: server.user, identityFiles: [key ?? server.clientKey],
        knownHostsFiles: [knownHosts ?? server.knownHosts], acceptNewHostKeys: accept, connectTimeout: timeout, home: server.directory)
}

/// Collects output lines from another thread.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [OutputLine] = []
    func add(_ line: OutputLine) { lock.withLock { items.append(line) } }
    var all: [OutputLine] { lock.withLock { items } }
}

func connectError(_ settings: SSHSettings) async -> TransportError? {
    let transport = SSHTransport(settings: settings)
    defer { Task { await transport.close() } }
    do {
        try await transport.connect()
        return nil
    } catch {
        return error
    }
}

@Suite(.serialized) struct SSHExecTests {
    @Test func outputAndExitStatus() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        try await transport.connect()
        let lines = Lines()
        let result = try await transport.exec("echo out; echo err >&2; exit 3", timeout: nil) { lines.add($0) }
        #expect(result.exitStatus == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(Set(lines.all) == [OutputLine(stream: .stdout, text: "out"), OutputLine(stream: .stderr, text: "err")])
        #expect(try await transport.exec("true", timeout: nil, output: nil).succeeded)
        await transport.close()
    }

    @Test func killedBySignalIsReportedAsSuch() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        // The starter runs the body in `sh -c`: a signal that kills it is reported as sh reports it, 128 + N.
        let result = try await transport.exec("kill -KILL $$", timeout: nil, output: nil)
        #expect(result.exitStatus == 137)
        #expect(result.killedBy == "KILL")
        #expect(!result.succeeded)
        await transport.close()
    }

    @Test func interleavedStreamsKeepTheirLinesInOrder() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        let lines = Lines()
        _ = try await transport.exec("for i in 1 2 3 4 5; do echo o$i; echo e$i >&2; done", timeout: nil) { lines.add($0) }
        #expect(lines.all.filter { $0.stream == .stdout }.map(\.text) == ["o1", "o2", "o3", "o4", "o5"])
        #expect(lines.all.filter { $0.stream == .stderr }.map(\.text) == ["e1", "e2", "e3", "e4", "e5"])
        await transport.close()
    }

    @Test func tenMegabytesOnBothStreamsDoNotDeadlock() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        let result = try await transport.exec(
            "head -c 10000000 /dev/zero | tr '\\0' a; head -c 10000000 /dev/zero | tr '\\0' b >&2; echo done", timeout: 60, output: nil)
        #expect(result.exitStatus == 0)
        #expect(result.stdout.utf8.count == 10_000_005)
        #expect(result.stderr.utf8.count == 10_000_000)
        await transport.close()
    }

    @Test func twentyConcurrentCommandsShareOneConnection() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        try await transport.connect()
        let start = Date()
        let results = try await withThrowingTaskGroup(of: (Int, ExecResult).self) { group in
            for index in 0..<20 {
                group.addTask { (index, try await transport.exec("sleep 1; echo $PPID-\(index)", timeout: nil, output: nil)) }
            }
            var all: [Int: ExecResult] = [:]
            for try await (index, result) in group { all[index] = result }
            return all
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(results.count == 20)
        #expect(results.values.allSatisfy { $0.succeeded })
        for (index, result) in results { #expect(result.stdout.hasSuffix("-\(index)\n")) }
        // Eight channels at a time (below MaxSessions 10): 20 one-second commands take three rounds (3 s),
        // not twenty (20 s); the bound leaves room for a loaded 2-core machine.
        #expect(elapsed < 12, "took \(elapsed)s")
        await transport.close()
    }

    @Test func aTimedOutCommandIsReallyGone() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        let marker = "runbook-timeout-\(UUID().uuidString.prefix(8))"
        let start = Date()
        let result = try await transport.exec("sleep 30; echo \(marker)", timeout: 1, output: nil)
        #expect(result.timedOut)
        #expect(!result.succeeded)
        #expect(Date().timeIntervalSince(start) < 10)
        try await Task.sleep(for: .milliseconds(500))
        let left = try await transport.exec("ps -eo args | grep -c '[s]leep 30; echo \(marker)' || true", timeout: nil, output: nil)
        #expect(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        await transport.close()
    }

    @Test func tenHostsAtOnce() async throws {
        let servers = try (0..<10).map { _ in try TestSSHServer() }
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for (index, server) in servers.enumerated() {
                group.addTask {
                    let transport = SSHTransport(settings: settings(for: server, name: "h\(index)"))
                    defer { Task { await transport.close() } }
                    return try await transport.exec("echo h\(index)", timeout: nil, output: nil).stdout
                }
            }
            var all: [String] = []
            for try await output in group { all.append(output) }
            return all
        }
        #expect(Set(results) == Set((0..<10).map { "h\($0)\n" }))
    }
}

@Suite(.serialized) struct SSHAuthenticationTests {
    @Test(arguments: ["ed25519", "ecdsa"])
    func userKeyTypes(type: String) async throws {
        let server = try TestSSHServer(userKeyType: type)
        let transport = SSHTransport(settings: settings(for: server))
        #expect(try await transport.exec("echo ok", timeout: nil, output: nil).stdout == "ok\n")
        await transport.close()
    }

    @Test func encryptedKeyWithPassphrase() async throws {
        let server = try TestSSHServer()
        let key = server.directory + "/encrypted"
        try shell("ssh-keygen -q -t ed25519 -N 'open sesame' -f \(key) && cat \(key).pub >> \(server.directory)/authorized_keys")
        var good = settings(for: server, key: key)
        good.passphrase = "open sesame"
        let transport = SSHTransport(settings: good)
        #expect(try await transport.exec("echo ok", timeout: nil, output: nil).stdout == "ok\n")
        await transport.close()
        var wrong = good
        wrong.passphrase = "nope"
        let error = await connectError(wrong)
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("cannot decrypt \(key): wrong passphrase (RUNBOOK_KEY_PASSPHRASE)") == true)
        var missing = good
        missing.passphrase = nil
        let missingError = await connectError(missing)
        #expect(missingError?.message.contains("is encrypted: set RUNBOOK_KEY_PASSPHRASE") == true)
    }

    @Test func agentAuthentication() async throws {
        let server = try TestSSHServer()
        let socket = server.directory + "/agent.sock"
        let output = try shell("ssh-agent -a \(socket)")
        let pid = output.split(separator: ";").first { $0.contains("SSH_AGENT_PID=") }.flatMap { Int32($0.split(separator: "=").last ?? "") }
        defer { if let pid { kill(pid, SIGTERM) } }
        try shell("ssh-add -q \(server.clientKey)", environment: ["SSH_AUTH_SOCK": socket])
        var agentOnly = settings(for: server, key: server.directory + "/no-such-key")
        agentOnly.agentSocket = socket
        let transport = SSHTransport(settings: agentOnly)
        #expect(try await transport.exec("echo agent", timeout: nil, output: nil).stdout == "agent\n")
        await transport.close()
    }

    @Test func rsaKeysAreRefusedWithAClearMessage() async throws {
        let server = try TestSSHServer(userKeyType: "rsa")
        let error = await connectError(settings(for: server))
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("libssh2 1.10 signs RSA keys only with SHA-1 `ssh-rsa`, which OpenSSH 8.8 and later refuse") == true)
        #expect(error?.message.contains("ssh-keygen -t ed25519") == true)
    }

    @Test func aKeyTheServerDoesNotKnowIsRefused() async throws {
        let server = try TestSSHServer()
        let stranger = server.directory + "/stranger"
        try shell("ssh-keygen -q -t ed25519 -N '' -f \(stranger)")
        let error = await connectError(settings(for: server, key: stranger))
        #expect(error?.kind == .authentication)
        #expect(error?.message == "\(server.user)@127.0.0.1 accepted none of: \(stranger)")
    }
}

@Suite(.serialized) struct SSHHostKeyTests {
    @Test func matchingKeyIsAccepted() async throws {
        let server = try TestSSHServer()
        #expect(await connectError(settings(for: server)) == nil)
    }

    @Test func changedKeyIsRefusedEvenWithAcceptNew() async throws {
        let server = try TestSSHServer()
        let other = server.directory + "/other"
        try shell("ssh-keygen -q -t ed25519 -N '' -f \(other)")
        let key = try shell("cut -d' ' -f1,2 \(other).pub").trimmingCharacters(in: .whitespacesAndNewlines)
        try "[127.0.0.1]:\(server.port) \(key)\n".write(toFile: server.knownHosts, atomically: true, encoding: .utf8)
        let error = await connectError(settings(for: server, accept: true))
        #expect(error?.kind == .hostKey)
        #expect(error?.message.contains("HAS CHANGED") == true)
        #expect(error?.message.contains("ssh-keygen -f \"\(server.knownHosts)\" -R \"[127.0.0.1]:\(server.port)\"") == true)
        let fingerprint = try shell("ssh-keygen -lf \(server.directory)/host_ed25519.pub | cut -d' ' -f2").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(error?.message.contains(fingerprint) == true)
    }

    @Test func unknownKeyIsRefusedWithItsFingerprint() async throws {
        let server = try TestSSHServer()
        try "".write(toFile: server.knownHosts, atomically: true, encoding: .utf8)
        let error = await connectError(settings(for: server))
        let fingerprint = try shell("ssh-keygen -lf \(server.directory)/host_ed25519.pub | cut -d' ' -f2").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(error?.kind == .hostKey)
        #expect(error?.message.contains("no ED25519 host key is known for [127.0.0.1]:\(server.port)") == true)
        #expect(error?.message.contains(fingerprint) == true)
    }

    @Test func acceptNewRecordsTheKeyAsOpenSSHWould() async throws {
        let server = try TestSSHServer()
        try "".write(toFile: server.knownHosts, atomically: true, encoding: .utf8)
        #expect(await connectError(settings(for: server, accept: true)) == nil)
        let recorded = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        #expect(recorded.hasPrefix("[127.0.0.1]:\(server.port) ssh-ed25519 "))
        // OpenSSH itself accepts what was recorded.
        try shell(
            "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\(server.knownHosts) -i \(server.clientKey) -p \(server.port) \(server.user)@127.0.0.1 true"
        )
        #expect(await connectError(settings(for: server)) == nil)
    }

    @Test func hashedEntriesMatch() async throws {
        let server = try TestSSHServer()
        try shell("ssh-keygen -q -H -f \(server.knownHosts) && rm -f \(server.knownHosts).old")
        let text = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        #expect(text.hasPrefix("|1|"))
        #expect(await connectError(settings(for: server)) == nil)
    }

    @Test func ed25519EntryMatchesAServerThatAlsoHasAnECDSAKey() async throws {
        // libssh2 prefers ecdsa; known_hosts usually holds ed25519 (trap 2 of the libssh2 notes).
        let server = try TestSSHServer(hostKeys: ["ecdsa", "ed25519"])
        #expect(await connectError(settings(for: server)) == nil)
        let ecdsaOnly = try TestSSHServer(hostKeys: ["ecdsa"])
        #expect(await connectError(settings(for: ecdsaOnly)) == nil)
    }
}

@Suite(.serialized) struct SSHConnectionFailureTests {
    @Test func connectionRefused() async throws {
        let port = freePort()
        let error = await connectError(
            SSHSettings(name: "gone", address: "127.0.0.1", port: port, user: "x", knownHostsFiles: [], connectTimeout: 2, home: "/tmp"))
        #expect(error?.kind == .connect)
        #expect(error?.message == "cannot connect to 127.0.0.1:\(port): Connection refused")
    }

    @Test func blackHoledServerFailsWithinConnectTimeoutWhileOthersFinish() async throws {
        let frozen = try TestSSHServer()
        let healthy = try TestSSHServer()
        frozen.freeze()
        defer { frozen.thaw() }
        let start = Date()
        async let stuck = connectError(settings(for: frozen, name: "frozen", timeout: 4))
        let fine = SSHTransport(settings: settings(for: healthy, name: "healthy"))
        let output = try await fine.exec("echo fine", timeout: nil, output: nil).stdout
        let healthyDone = Date().timeIntervalSince(start)
        let error = await stuck
        let elapsed = Date().timeIntervalSince(start)
        #expect(output == "fine\n")
        // The healthy host is done before the frozen one's timeout ends its wait: it never waited for it.
        #expect(healthyDone < elapsed - 0.5, "healthy after \(healthyDone)s, frozen after \(elapsed)s")
        #expect(error?.kind == .connect)
        #expect(error?.message.contains("within ConnectTimeout 4s") == true)
        #expect(elapsed >= 3.8 && elapsed < 20, "took \(elapsed)s")
        await fine.close()
    }

    @Test func aHostThatStopsAnsweringMidRunFailsWithinTheKeepaliveInterval() async throws {
        let server = try TestSSHServer()
        var keepalive = settings(for: server)
        keepalive.serverAliveInterval = 1
        keepalive.serverAliveCountMax = 2
        let transport = SSHTransport(settings: keepalive)
        try await transport.connect()
        let start = Date()
        async let result: Result<ExecResult, TransportError> = {
            do throws(TransportError) {
                return .success(try await transport.exec("sleep 20", timeout: nil, output: nil))
            } catch {
                return .failure(error)
            }
        }()
        try await Task.sleep(for: .milliseconds(300))
        // Freeze every sshd process of the server: the session's own children as well.
        server.freeze()
        defer { server.thaw() }
        let outcome = await result
        let elapsed = Date().timeIntervalSince(start)
        guard case .failure(let error) = outcome else {
            Issue.record("the command finished although the host was frozen")
            return
        }
        #expect(error.kind == .disconnected)
        #expect(error.message.contains("stopped answering"))
        // A few seconds when the machine is idle; a 2-core machine running the whole suite needs room.
        #expect(elapsed < 20, "took \(elapsed)s")
        await transport.close()
    }
}

@Suite(.serialized) struct SSHTransferAndTunnelTests {
    @Test func sftpUploadIsByteIdenticalWithItsMode() async throws {
        let server = try TestSSHServer()
        let local = server.directory + "/payload.bin"
        try shell("head -c 3000000 /dev/urandom > \(local)")
        let remote = server.directory + "/uploaded.bin"
        try shell("chmod 777 \(server.directory)")
        let transport = SSHTransport(settings: settings(for: server))
        try await transport.upload(localPath: local, remotePath: remote, mode: 0o640)
        #expect(try shell("cmp \(local) \(remote) && stat -c %a \(remote)").trimmingCharacters(in: .whitespacesAndNewlines) == "640")
        await transport.close()
    }

    @Test func httpThroughATunnelAsTheHostSeesIt() async throws {
        let server = try TestSSHServer()
        let port = freePort()
        let web = try BackgroundProcess(["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", server.directory])
        defer { web.stop() }
        try "healthy\n".write(toFile: server.directory + "/health", atomically: true, encoding: .utf8)
        waitUntilListening(port)
        let transport = SSHTransport(settings: settings(for: server))
        let ok = try await transport.http(url: "http://127.0.0.1:\(port)/health", method: "GET", timeout: 5)
        #expect(ok.status == 200)
        #expect(ok.body == "healthy\n")
        let missing = try await transport.http(url: "http://127.0.0.1:\(port)/nope", method: "GET", timeout: 5)
        #expect(missing.status == 404)
        await transport.close()
    }

    @Test func proxyCommand() async throws {
        let server = try TestSSHServer()
        var proxied = settings(for: server)
        proxied.address = "target-behind-proxy"
        proxied.proxyCommand = "nc 127.0.0.1 \(server.port)"
        try "[target-behind-proxy]:\(server.port) \(try shell("cut -d' ' -f1,2 \(server.directory)/host_ed25519.pub"))".write(
            toFile: server.knownHosts, atomically: true, encoding: .utf8)
        let transport = SSHTransport(settings: proxied)
        #expect(try await transport.exec("echo proxied", timeout: nil, output: nil).stdout == "proxied\n")
        await transport.close()
    }

    @Test func proxyJumpThroughASecondServer() async throws {
        let jump = try TestSSHServer()
        let target = try TestSSHServer()
        var settingsForTarget = settings(for: target)
        settingsForTarget.jump = .through(settings(for: jump, name: "jump"))
        let transport = SSHTransport(settings: settingsForTarget)
        #expect(try await transport.exec("echo via-jump", timeout: nil, output: nil).stdout == "via-jump\n")
        let big = try await transport.exec("head -c 3000000 /dev/zero | tr '\\0' x", timeout: 30, output: nil)
        #expect(big.stdout.utf8.count == 3_000_000)
        await transport.close()
    }
}

/// The exec behaviour again, against Dropbear: a second SSH server implementation.
@Suite(.serialized) struct DropbearExecTests {
    @Test func outputExitStatusAndSignal() async throws {
        let server = try TestSSHServer(.dropbear)
        let transport = SSHTransport(settings: settings(for: server))
        let lines = Lines()
        let result = try await transport.exec("echo out; echo err >&2; exit 3", timeout: nil) { lines.add($0) }
        #expect(result.exitStatus == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(Set(lines.all) == [OutputLine(stream: .stdout, text: "out"), OutputLine(stream: .stderr, text: "err")])
        let killed = try await transport.exec("kill -KILL $$", timeout: nil, output: nil)
        #expect(!killed.succeeded)
        #expect(killed.signal == "KILL" || killed.exitStatus == 137)
        await transport.close()
    }

    @Test func largeOutputsAndConcurrentChannels() async throws {
        let server = try TestSSHServer(.dropbear)
        let transport = SSHTransport(settings: settings(for: server))
        let big = try await transport.exec(
            "head -c 5000000 /dev/zero | tr '\\0' a; head -c 5000000 /dev/zero | tr '\\0' b >&2", timeout: 60, output: nil)
        #expect(big.stdout.utf8.count == 5_000_000)
        #expect(big.stderr.utf8.count == 5_000_000)
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<6 { group.addTask { try await transport.exec("echo c\(index)", timeout: nil, output: nil).stdout } }
            var all: [String] = []
            for try await output in group { all.append(output) }
            return all
        }
        #expect(Set(results) == Set((0..<6).map { "c\($0)\n" }))
        await transport.close()
    }

    @Test func timeoutAndUnknownHostKey() async throws {
        let server = try TestSSHServer(.dropbear)
        let transport = SSHTransport(settings: settings(for: server))
        let start = Date()
        let result = try await transport.exec("sleep 30", timeout: 1, output: nil)
        #expect(result.timedOut)
        #expect(Date().timeIntervalSince(start) < 10)
        await transport.close()
        try "".write(toFile: server.knownHosts, atomically: true, encoding: .utf8)
        let error = await connectError(settings(for: server))
        #expect(error?.kind == .hostKey)
    }
}

@Test(arguments: [
    ("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", 8), ("SSH-2.0-dropbear_2022.83", 1), ("SSH-2.0-dropbear_2024.85", 1),
    ("SSH-2.0-dropbear_2024.86", 8), ("SSH-2.0-dropbear_2020.81", 8), ("SSH-2.0-dropbear", 1),
])
func dropbearVersionsWithTheChannelCloseBugGetOneChannel(banner: String, limit: Int) {
    #expect(SSHConnection.channelLimit(banner: banner, configured: 8) == limit)
}

import Foundation
import TestSupport
import Testing

@testable import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the prompts a run would show.
final class Prompts: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var asked: [String] = []
    func answer(_ text: String) -> String? {
        lock.withLock { asked.append(text) }
        return "open sesame"
    }
}

@Suite(.serialized) struct PassphraseTests {
    /// One prompt per encrypted key file however many hosts use it; then every host connects.
    @Test func onePromptPerKeyFileNotPerHost() async throws {
        let servers = try [TestSSHServer(), TestSSHServer(), TestSSHServer()]
        let key = servers[0].directory + "/encrypted"
        try shell("ssh-keygen -q -t ed25519 -N 'open sesame' -f \(key)")
        for server in servers { try shell("cat \(key).pub >> \(server.directory)/authorized_keys") }
        let passphrases = KeyPassphrases()
        let prompts = Prompts()
        passphrases.prepare(files: [key, key, key, servers[0].clientKey], agentSocket: nil, prompt: prompts.answer)
        #expect(prompts.asked == ["Enter passphrase for key '\(key)': "])
        #expect(passphrases.passphrase(for: key) == "open sesame")
        KeyPassphrases.shared.prepare(files: [key], agentSocket: nil, prompt: prompts.answer)
        for server in servers {
            #expect(await connectError(settings(for: server, key: key)) == nil)
        }
    }

    @Test func noPromptWhenTheAgentHoldsTheKey() throws {
        let directory = try shell("mktemp -d /tmp/runbook-pass-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? shell("rm -rf \(directory)") }
        let key = directory + "/encrypted"
        try shell("ssh-keygen -q -t ed25519 -N 'open sesame' -f \(key)")
        let socket = directory + "/agent.sock"
        let output = try shell("ssh-agent -a \(socket)")
        let pid = output.split(separator: ";").first { $0.contains("SSH_AGENT_PID=") }.flatMap { Int32($0.split(separator: "=").last ?? "") }
        defer { if let pid { kill(pid, SIGTERM) } }
        try shell(
            "SSH_ASKPASS_REQUIRE=never ssh-keygen -q -p -P 'open sesame' -N '' -f \(key) >/dev/null && ssh-add -q \(key)",
            environment: ["SSH_AUTH_SOCK": socket])
        try shell("ssh-keygen -q -p -P '' -N 'open sesame' -f \(key) >/dev/null")
        let prompts = Prompts()
        KeyPassphrases().prepare(files: [key], agentSocket: socket, prompt: prompts.answer)
        #expect(prompts.asked.isEmpty)
        KeyPassphrases().prepare(files: [key], agentSocket: nil, prompt: prompts.answer)
        #expect(prompts.asked.count == 1)
    }
}

/// -vvv: runbook's own account of a connection (Debian's libssh2 has no trace output).
@Suite(.serialized) struct ConnectionDiagnosticsTests {
    @Test func negotiatedMethodsHostKeyAuthMethodsAndEachKey() async throws {
        let server = try TestSSHServer()
        let stranger = server.directory + "/stranger"
        try shell("ssh-keygen -q -t ed25519 -N '' -f \(stranger)")
        let lines = Prompts()
        let token = SSHNotices.addHandler { text in if text.contains("diag-host") { _ = lines.answer(text) } }
        SSHNotices.debug = true
        defer {
            SSHNotices.debug = false
            SSHNotices.removeHandler(token)
        }
        var twoKeys = settings(for: server, name: "diag-host")
        twoKeys.identityFiles = [stranger, server.clientKey]
        #expect(await connectError(twoKeys) == nil)
        let text = lines.asked.joined(separator: "\n")
        let fingerprint = try shell("ssh-keygen -lf \(server.directory)/host_ed25519.pub | cut -d' ' -f2").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.contains("kex curve25519-sha256"), "\(text)")
        #expect(text.contains("server host key ssh-ed25519 \(fingerprint)"))
        #expect(text.contains("authentication methods the server accepts for \(server.user): publickey"))
        #expect(text.contains("key \(stranger) (ssh-ed25519): refused"))
        #expect(text.contains("key \(server.clientKey) (ssh-ed25519): accepted"))
    }
}

import Foundation
import TestSupport
import Testing
import Transport
import Wire

/// The starter over a real sshd: secrets never in a process's arguments, and a command whose
/// connection goes away is killed with its whole process group.
@Suite struct StarterOverSSHTests {
    @Test func aSecretIsNeverInAnyProcesssArguments() async throws {
        let server = try TestSSHServer()
        let transport = SSHTransport(settings: settings(for: server))
        let secret = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        // The body checks the value without naming it (its own text is in `ps`, as a body's always is).
        let body = ShellCommand(
            script: "sleep 1.5; [ ${#RUNBOOK_SECRET_pw} -eq \(secret.count) ] && [ \"${RUNBOOK_SECRET_pw#s3cret-}\" != \"$RUNBOOK_SECRET_pw\" ]",
            display: "check ••••", secrets: ["pw"])
        async let result = transport.run(HostCommand(body, limit: 10), secrets: ["pw": secret])
        var seen: [String] = []
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(100))
            seen.append(try shell("ps -eo args"))
        }
        #expect(try await result.exitStatus == 0)
        #expect(!seen.contains { $0.contains(secret) })
        #expect(seen.contains { $0.contains("sleep 1.5") })
        await transport.close()
    }

    @Test func aCommandDiesWithItsConnection() async throws {
        let server = try TestSSHServer()
        let marker = try shell("mktemp -d").trimmingCharacters(in: .whitespacesAndNewlines) + "/late"
        let transport = SSHTransport(settings: settings(for: server))
        let command = HostCommand(ShellCommand("sleep 4 & sleep 5; touch \(marker)"), limit: 60)
        let running = Task { try? await transport.run(command, secrets: [:]) }
        func processes() -> [(pid: pid_t, args: String)] {
            server.descendants(of: server.pid).map { pid in
                (pid, ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(of: "\u{0}", with: " "))
            }
        }
        var body = processes().filter { $0.args.hasPrefix("sleep ") }
        for _ in 0..<100 where body.count < 2 {
            try await Task.sleep(for: .milliseconds(100))
            body = processes().filter { $0.args.hasPrefix("sleep ") }
        }
        #expect(body.count == 2, "\(processes())")
        // The connection goes away: sshd's process serving it dies (as when the network or the controller does).
        let starter = try #require(processes().first { $0.args.hasPrefix("sh -s") })
        let session = try #require(try? String(contentsOfFile: "/proc/\(starter.pid)/stat", encoding: .utf8)).split(separator: ")").last?
            .split(separator: " ").dropFirst().first.flatMap { pid_t($0) }
        kill(try #require(session), SIGKILL)
        try await Task.sleep(for: .seconds(3))
        for process in body { #expect(kill(process.pid, 0) != 0, "\(process.args) outlived its connection") }
        try await Task.sleep(for: .seconds(3))
        #expect(!FileManager.default.fileExists(atPath: marker))
        running.cancel()
        await transport.close()
    }

    /// A command the controller limits has no `timeout` on the host: at its limit (and the backstop
    /// after it) the controller closes the channel, and the starter kills what the command started.
    @Test func aCommandLimitedByTheControllerDiesAtItsLimit() async throws {
        let server = try TestSSHServer()
        let marker = try shell("mktemp -d").trimmingCharacters(in: .whitespacesAndNewlines) + "/late"
        let transport = SSHTransport(settings: settings(for: server))
        var command = HostCommand(ShellCommand("sleep 12; touch \(marker)"), limit: 1)
        command.limitedByController = true
        #expect(!(try command.message(secrets: [:]).stdin.contains("timeout -k")))
        try await transport.connect()
        let started = Date()
        let result = try await transport.run(command, secrets: [:])
        #expect(result.timedOut)
        #expect(Date().timeIntervalSince(started) < 10)
        try await Task.sleep(for: .seconds(3))
        let left = server.descendants(of: server.pid).filter { pid in
            ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").hasPrefix("sleep")
        }
        #expect(left.isEmpty, "the command outlived its limit")
        await transport.close()
        try await Task.sleep(for: .seconds(7))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}

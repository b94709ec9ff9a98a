import Foundation
import TestSupport
import Testing
import Wire

/// The starter, run by the login shells sshd may start (`SHELL -c REQUEST`, as sshd runs a command).
@Suite struct StarterTests {
    static let shells = ["/bin/sh", "/bin/bash", "/usr/bin/zsh", "/usr/bin/csh", "/usr/bin/tcsh", "/usr/bin/fish", "/usr/bin/busybox sh"]

    static func run(_ command: HostCommand, shell: String, secrets: [String: String] = [:], cut: Int? = nil) throws -> ProcessOutput {
        let message = try command.message(secrets: secrets)
        var input = message.stdin
        if let cut { input = String(decoding: Array(input.utf8).prefix(cut), as: UTF8.self) }
        // A payload is cut short only by a connection that went away: its input ends there.
        return try runProcess(shell.split(separator: " ").map(String.init) + ["-c", message.request], input: input, closeInput: cut != nil)
    }

    @Test(arguments: shells) func everyLoginShellRunsTheSameBody(_ shell: String) throws {
        let executable = String(shell.split(separator: " ")[0])
        try #require(FileManager.default.isExecutableFile(atPath: executable), "\(executable) is installed by scripts/install-deps")
        // sh syntax the login shell does not know (csh and fish would reject `[ ] &&`, `$(...)` and `'\''`).
        let body = ShellCommand(
            script: "[ -n \"$RUNBOOK_SECRET_token\" ] && printf '%s|%s|%s\\n' \"$(echo sub)\" 'it'\\''s' \"$RUNBOOK_SECRET_token\"; exit 7",
            display: "…", secrets: ["token"])
        let result = try Self.run(HostCommand(body, limit: 10), shell: shell, secrets: ["token": "a 'b' \"c\" $d"])
        #expect(result.stdout == "sub|it's|a 'b' \"c\" $d\n", "\(shell): \(result.stdout) \(result.stderr)")
        #expect(result.status == 7)
        #expect(result.stderr.isEmpty, "\(shell): \(result.stderr)")
    }

    @Test func aPayloadCutShortRunsNothing() throws {
        let dir = try shell("mktemp -d").trimmingCharacters(in: .whitespacesAndNewlines)
        let command = HostCommand(ShellCommand("touch \(dir)/ran"), limit: 10)
        let stdin = try command.message(secrets: [:]).stdin
        // Every cut before the group's closing brace (after it, everything the body needs has arrived).
        let full = stdin.utf8.count
        let closing = Array(stdin.utf8).lastIndex(of: UInt8(ascii: "}")) ?? full
        for cut in Array(stride(from: 0, to: closing, by: max(1, closing / 60))) + [closing - 1] {
            let result = try Self.run(command, shell: "/bin/sh", cut: cut)
            #expect(cut == 0 || result.status != 0, "cut at \(cut) of \(full): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/ran"), "a payload cut at \(cut) of \(full) bytes ran its body")
        }
    }

    @Test func theLimitStopsTheBodyAndIsReportedAsTimeout() throws {
        let message = try HostCommand(ShellCommand("sleep 5"), limit: 0.3).message(secrets: [:])
        let start = Date()
        let result = try runProcess(["/bin/sh", "-c", message.request], input: message.stdin)
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(message.timedOut(status: result.status))
    }

    @Test func theShownFormMasksSecretsAndInputs() {
        let command = HostCommand(
            ShellCommand(script: "use \"$RUNBOOK_SECRET_pw\" \"$RUNBOOK_PID\"", display: "use •••• pid", secrets: ["pw"]), inputs: ["RUNBOOK_PID"])
        let shown = command.shown
        #expect(shown.request == "exec sh -s")
        #expect(shown.stdin.contains("export RUNBOOK_SECRET_pw=••••"))
        #expect(shown.stdin.contains("export RUNBOOK_PID=<RUNBOOK_PID>"))
        #expect(HostCommand(ShellCommand("x"), sudo: true).shown.request == "exec sudo -n sh -s")
    }

    @Test func sha256MatchesSha256sum() throws {
        for text in ["", "abc", String(repeating: "a", count: 1000), "héllo\n\u{0}x", String(repeating: "0123456789", count: 7)] {
            let path = try shell("mktemp").trimmingCharacters(in: .whitespacesAndNewlines)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            let reference = try shell("sha256sum \(path)").split(separator: " ").first.map(String.init)
            #expect(SHA256.hex(text) == reference, "\(text.prefix(20))")
        }
    }
}

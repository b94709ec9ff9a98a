import Foundation
import TestSupport
import Testing

/// An encrypted key on a terminal (script(1)'s pseudo-terminal): one prompt for three hosts, before
/// the live display, and the passphrase typed is never echoed.
@Suite(.timeLimit(.minutes(3))) struct PassphrasePromptTests {
    @Test func oneUnechoedPromptForThreeHostsSharingAKey() throws {
        let folder = try workFolder("passphrase")
        let servers = try (0..<3).map { _ in try TestSSHServer() }
        let key = folder + "/encrypted"
        try shell("ssh-keygen -q -t ed25519 -N 'open sesame' -f \(key)")
        var inventory = "[fleet]\n"
        var knownHosts = ""
        for (index, server) in servers.enumerated() {
            try shell("cat \(key).pub >> \(server.directory)/authorized_keys")
            inventory +=
                "h\(index) ansible_host=127.0.0.1 ansible_port=\(server.port) ansible_user=\(server.user) ansible_ssh_private_key_file=\(key) runbook_lock_dir=\(folder)/locks\(index)\n"
            knownHosts += try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        }
        try inventory.write(toFile: "\(folder)/hosts.ini", atomically: true, encoding: .utf8)
        try knownHosts.write(toFile: "\(folder)/known_hosts", atomically: true, encoding: .utf8)
        try "Host *\n  UserKnownHostsFile \(folder)/known_hosts\n  IdentityAgent none\n".write(
            toFile: "\(folder)/ssh_config", atomically: true, encoding: .utf8)
        try "runbook \"hello\" do\n  step :hello do\n    run \"echo hello\"\n  end\nend\n".write(
            toFile: "\(folder)/hello.rb", atomically: true, encoding: .utf8)
        let command =
            "\(runbookBinary) apply \(folder)/hello.rb --hosts all -i \(folder)/hosts.ini --ssh-config \(folder)/ssh_config --journal \(folder)/journal"
        // The answer is typed a little later, as a person would: after the prompt has turned echo off.
        let result = try runProcess(
            ["/bin/sh", "-c", "(sleep 2; printf 'open sesame\\n') | /usr/bin/script -qec \"$0\" /dev/null", command],
            environment: ["TERM": "xterm"], unset: ["RUNBOOK_KEY_PASSPHRASE", "SSH_AUTH_SOCK"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "Enter passphrase for key '\(key)'").count == 2, "\(result.stdout)")
        #expect(!result.stdout.contains("open sesame"), "\(result.stdout)")
        // Asked before the live display draws anything.
        #expect(result.stdout.hasPrefix("Enter passphrase for key"), "\(result.stdout)")
        for index in 0..<3 { #expect(result.stdout.contains("h\(index)    ok"), "\(result.stdout)") }
    }
}

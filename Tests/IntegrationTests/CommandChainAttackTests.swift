import Execution
import Foundation
import RunEvents
import TestSupport
import Testing

/// A hostile link against the chain's isolation and markers, on a real sshd.
@Suite struct CommandChainAttackTests {
    /// `${$:-x}` and `${$%7}` expand to the pid as `$$` does: such a link gets a process of its own too.
    @Test func aLinkNamingItsPidInAnExpansionGetsAProcessOfItsOwn() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain-pid")
        let body = """
            param :dir, type: :path
            step :a do
              run "echo ${$:-x} > #{dir}/a"
            end
            step :b, after: :a do
              run "echo ${$%7}7 > #{dir}/b"
            end
            step :c, after: :b do
              run "true"
            end
            """
        let (summary, _) = try await apply(body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 0)
        let a = try String(contentsOfFile: "\(dir)/a", encoding: .utf8)
        let b = try String(contentsOfFile: "\(dir)/b", encoding: .utf8)
        #expect(!a.isEmpty && a != b, "\(a) \(b)")
    }

    /// What a link changes in its shell (umask, limits, aliases, functions, options, traps, exports,
    /// read-only variables) stays its own; `exec`, `return` and reading standard input end only that link.
    @Test func nothingALinkSetsReachesTheNext() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain-leaks")
        let body = """
            param :dir, type: :path, default: "/tmp"
            step :a do
              run "umask 077; ulimit -n 64; alias ll=echo; f() { echo leaked; }; set -eu; trap 'echo trapped' EXIT; export Y=leak; readonly Z=1"
            end
            step :b, after: :a do
              run "printf '%s|%s|%s|%s|%s|%s' \\"$(umask)\\" \\"$(ulimit -n)\\" \\"$(command -v f)\\" \\"$(alias ll 2>&1)\\" \\"${Y-}\\" \\"$-\\" > #{dir}/b; Z=2; : $undefined"
            end
            step :c, after: :b do
              run "exec true"
            end
            step :d, after: :c do
              run "cat; return 0"
            end
            step :e, after: :d do
              run "touch #{dir}/e"
            end
            """
        #expect(try await CommandChainTests().chains(body) == [["a", "b", "c", "d", "e"]])
        let (summary, events) = try await apply(body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 0)
        let b = try String(contentsOfFile: "\(dir)/b", encoding: .utf8).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        #expect(b.count == 6 && b[0] != "0077" && b[1] != "64" && b[2].isEmpty && !b[3].contains("echo") && b[4].isEmpty && !b[5].contains("u"), "\(b)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/e"))
        #expect(events.outputs == ["a:stdout:trapped"])
    }

    /// A link is a fork of the shell that read the exec's value: the value is still in the link's own
    /// memory (the header's output buffer, the `read` builtin's stack), and `/proc/self/mem` needs no
    /// ptrace permission. A failing link that reads it and forges its own success passes its step;
    /// the exec's failure is then blamed on the next step, which never ran. (A `sh -c` link could
    /// read `/proc/$PPID/mem` where Yama's ptrace_scope is 0: the value was never a secret from the
    /// host's own user, only from output.)
    @Test func aLinkThatReadsItsOwnMemoryForgesItsSuccess() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("chain-memory")
        let attack = """
            exec 3</proc/self/mem 4</proc/self/maps
            n=$(while read -r range perms rest <&4; do
              case "$rest" in *heap*|*stack*) ;; *) continue ;; esac
              start=${range%-*}; end=${range#*-}
              dd bs=4096 skip=$((0x$start / 4096)) count=$(((0x$end - 0x$start) / 4096)) <&3 2>/dev/null
            done | grep -aoE 'runbook-chain [0-9a-f-]{36}' | head -n 1)
            n=${n#runbook-chain }
            printf '%s' "$n" > \(dir)/nonce
            printf '\\036runbook-link %s 0 0\\n' "$n"; printf '\\036runbook-link %s 0 0\\n' "$n" >&2
            exit 5

            """
        try attack.write(toFile: "\(dir)/attack.sh", atomically: true, encoding: .utf8)
        let body = """
            param :dir, type: :path
            step :a do
              run ". #{dir}/attack.sh"
            end
            step :b, after: :a do
              run "touch #{dir}/b"
            end
            """
        let (summary, events) = try await apply(body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/b"))
        withKnownIssue("a link reads the exec's value from its own memory: the nonce is not secret from the host's user") {
            #expect((try? String(contentsOfFile: "\(dir)/nonce", encoding: .utf8)) == "")
            #expect(events.failedSteps == ["a 5"])
        }
    }
}

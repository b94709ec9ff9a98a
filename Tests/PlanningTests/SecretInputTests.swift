import Foundation
import TestSupport
import Testing

/// Secrets reach the controller without `--set`: from a file, the environment, or a prompt without echo.
@Suite struct SecretInputTests {
    /// Succeeds only when `pw` is exactly `hunter22` (without naming the value, so output cannot show it).
    static let runbook = """
        runbook "secret" do
          param :pw, secret: true
          lock false
          step :a do
            run "test \\"$(printf %s #{pw} | wc -c)\\" -eq 8 && test \\"$(printf %s #{pw} | cut -c1-6)\\" = hunter && echo value-ok"
          end
        end
        """

    private func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secret-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.runbook.write(to: folder.appendingPathComponent("s.rb"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func fromAFileWithoutItsTrailingNewline() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, contents) in ["hunter22\n", "hunter22\r\n", "hunter22"].enumerated() {
            let path = folder.appendingPathComponent("pw\(index)").path
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
            let run = try RunbookBinary.run(["apply", folder.path + "/s.rb", "--hosts", "local", "--set-file", "pw=\(path)", "--journal", folder.path + "/j"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("value-ok"))
        }
        let missing = try RunbookBinary.run(["apply", folder.path + "/s.rb", "--hosts", "local", "--set-file", "pw=/nonexistent/pw"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: --set-file pw=/nonexistent/pw: the file cannot be read\n")
    }

    @Test func fromTheEnvironmentAndTheJournalKeepsItMasked() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["RUNBOOK_SECRET_pw", "RUNBOOK_SECRET_PW"] {
            let run = try RunbookBinary.run(
                ["apply", folder.path + "/s.rb", "--hosts", "local", "--journal", folder.path + "/j", "--run-id", name], environment: [name: "hunter22"])
            #expect(run.status == 0, "\(run.stderr)")
            let show = try RunbookBinary.run(["show", name, "--journal", folder.path + "/j"])
            #expect(show.stdout.contains("set: pw=••••"), "\(show.stdout)")
        }
        let journal = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/j")
        for name in journal { #expect(try !String(contentsOfFile: folder.path + "/j/" + name, encoding: .utf8).contains("hunter22")) }
        let none = try RunbookBinary.run(["apply", folder.path + "/s.rb", "--hosts", "local"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("the secret parameter `pw` has no value; give it with RUNBOOK_SECRET_pw=..., --set-file pw=PATH"))
    }

    @Test func rollbackTakesTheSecretFromTheEnvironmentAgain() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rb.rb").path
        try """
        runbook "rb" do
          param :pw, secret: true
          lock false
          step :a do
            run "true", undo: "test $(printf %s #{pw} | wc -c) -eq 8 && echo undone-ok"
          end
          step :b, after: :a do
            run "exit 4"
          end
        end
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let journal = folder.path + "/j"
        let secret = ["RUNBOOK_SECRET_pw": "hunter22"]
        let run = try RunbookBinary.run(
            ["apply", file, "--hosts", "local", "--journal", journal, "--run-id", "RB", "--no-rollback"], environment: secret)
        #expect(run.status == 1)
        let without = try RunbookBinary.run(["rollback", "RB", "--journal", journal])
        #expect(without.status == 2)
        #expect(without.stderr == "error: run RB set the secret parameter `pw`; give it again with RUNBOOK_SECRET_pw=... or --set pw=...\n")
        let with = try RunbookBinary.run(["rollback", "RB", "--journal", journal], environment: secret)
        #expect(with.status == 0, "\(with.stdout)\(with.stderr)")
        #expect(with.stdout.contains("undone-ok"))
    }

    @Test func promptedOnATerminalWithoutEcho() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Type only once the prompt is up: the prompt flushes input typed before it, as ssh's does.
        let binary = RunbookBinary.url.path
        let script = """
            cd "$1" && mkfifo in && exec 3<>in
            script -qec "'\(binary)' apply s.rb --hosts local --journal j" /dev/null <in >out 2>&1 &
            tries=0
            until grep -q 'value of the secret' out; do sleep 0.1; tries=$((tries + 1)); [ $tries -lt 300 ] || exit 9; done
            printf 'hunter22\\n' >&3
            wait $!
            cat out
            """
        let result = try runProcess(["/bin/sh", "-c", script, "sh", folder.path], environment: ["TERM": "dumb"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("value of the secret `pw`: "))
        #expect(result.stdout.contains("exit status 0"))
        #expect(!result.stdout.contains("hunter22"))
    }

    @Test func checkWarnsAboutSecretsInArguments() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("w.rb").path
        try """
        runbook "w" do
          param :pw, secret: true
          step :a do
            run "mysql -u app -p#{pw} -e 'select 1'"
            run "mysql -u app -e 'select 1'", env: {MYSQL_PWD: pw}
          end
        end
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try RunbookBinary.run(["check", file])
        #expect(result.status == 0)
        #expect(result.stdout == "\(file): ok (1 steps, 1 waves, 1 warning)\n")
        #expect(
            result.stderr == """
                \(file):4:25: warning: the secret parameter `pw` is interpolated into the arguments of a `run` command, where any user of the host can read it in `ps`; pass it in the environment instead, `env: {MYSQL_PWD: pw}`, to a program that reads it from there, or feed it on standard input (`printf '%s' "$MYSQL_PWD" | program --password-stdin`)
                      run "mysql -u app -p#{pw} -e 'select 1'"
                                          ^

                """)
    }
}

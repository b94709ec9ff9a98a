import Foundation
import TestSupport
import Testing

/// Shell completion from argument-parser's `--generate-completion-script`, run by bash itself.
@Suite(.timeLimit(.minutes(1))) struct CompletionTests {
    /// What bash offers for the last word of `words` (COMPREPLY, sorted), in `folder`.
    func complete(_ words: [String], in folder: String) throws -> [String] {
        let script = try runProcess([runbookBinary, "--generate-completion-script", "bash"])
        try script.stdout.write(toFile: "\(folder)/runbook.bash", atomically: true, encoding: .utf8)
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let driver = """
            source "\(folder)/runbook.bash"
            COMP_WORDS=(\(quoted)); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            COMPREPLY=()
            _runbook runbook "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let binaries = URL(fileURLWithPath: runbookBinary).deletingLastPathComponent().path
        let path = binaries + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try runProcess(["/bin/bash", "-c", driver], environment: ["PATH": path], directory: folder)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }.sorted()
    }

    @Test func bashCompletesRunbooksInventoriesAndRollbackScopes() throws {
        let folder = try workFolder("completion")
        for file in ["deploy.rb", "notes.txt", "hosts.ini"] { FileManager.default.createFile(atPath: "\(folder)/\(file)", contents: nil) }
        try FileManager.default.createDirectory(atPath: "\(folder)/inventory", withIntermediateDirectories: true)
        // A runbook file: `.rb` files and folders, nothing else.
        #expect(try complete(["runbook", "apply", ""], in: folder) == ["deploy.rb", "inventory"])
        #expect(try complete(["runbook", "check", ""], in: folder) == ["deploy.rb", "inventory"])
        // An inventory is any file or folder.
        #expect(try complete(["runbook", "apply", "deploy.rb", "-i", ""], in: folder).contains("hosts.ini"))
        #expect(try complete(["runbook", "apply", "deploy.rb", "--inventory", "inv"], in: folder) == ["inventory"])
        #expect(try complete(["runbook", "apply", "deploy.rb", "--rollback", ""], in: folder) == ["fleet", "host", "none"])
        #expect(try complete(["runbook", "plan", "deploy.rb", "--rollback", "f"], in: folder) == ["fleet"])
        #expect(try complete(["runbook", "apply", "deploy.rb", "--color", ""], in: folder) == ["always", "auto", "never"])
        #expect(try complete(["runbook", "apply", "deploy.rb", "--format", ""], in: folder) == ["json", "text"])
    }

    @Test func bashCompletesRunIDsFromTheJournalGiven() throws {
        let folder = try workFolder("completion-runs")
        try "runbook \"tiny\" do\n  step :a do\n    run \"true\"\n  end\nend\n".write(toFile: "\(folder)/tiny.rb", atomically: true, encoding: .utf8)
        let run = try runProcess(
            [runbookBinary, "apply", "\(folder)/tiny.rb", "--hosts", "local", "--journal", "\(folder)/journal", "--run-id", "20261201-120000-abcd"],
            environment: ["RUNBOOK_LOCK_DIR": "\(folder)/locks"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let offered = try complete(["runbook", "show", "--journal", "\(folder)/journal", ""], in: folder)
        #expect(offered == ["20261201-120000-abcd"])
    }

    @Test func zshAndFishScriptsComplete() throws {
        for shell in ["zsh", "fish"] {
            let script = try runProcess([runbookBinary, "--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.stdout.contains("host") && script.stdout.contains("fleet") && script.stdout.contains("none"))
            #expect(script.stdout.contains("rb"))
        }
    }
}

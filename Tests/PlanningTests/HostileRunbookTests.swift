import Foundation
import Testing

/// The real binary on hostile runbook files: exit 2 with a located message, never a crash.
@Suite struct HostileRunbookTests {
    private func check(_ contents: [UInt8]) throws -> (status: Int32, stdout: String, stderr: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).rb")
        try Data(contents).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try RunbookBinary.run(["check", file.path])
        return (result.status, result.stdout, result.stderr.replacingOccurrences(of: file.path, with: "F"))
    }

    @Test func thirtyThousandBracketsExitTwo() throws {
        let text = "runbook \"x\" do\n  step :a do\n    run \"a\", env: " + String(repeating: "[", count: 30_000) + "\n  end\nend\n"
        let result = try check(Array(text.utf8))
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("F:3:217: error: an array nested too deeply: more than 200 arrays, hashes and blocks inside each other\n"))
        #expect(result.stderr.hasSuffix("\n1 error\n"))
    }

    @Test func twentyThousandStepsExitTwo() throws {
        let text = "runbook \"x\" do\n" + String(repeating: "step do\n", count: 20_000) + String(repeating: "end\n", count: 20_001)
        let result = try check(Array(text.utf8))
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "F:201:6: error: a block nested too deeply: more than 200 arrays, hashes and blocks inside each other\n  step do\n       ^\n1 error\n")
    }

    @Test func hugeFilesAndNULsExitTwo() throws {
        let huge = try check([UInt8](repeating: UInt8(ascii: "#"), count: 2_000_000))
        #expect(huge.status == 2)
        #expect(huge.stderr.contains("the file is larger than 1024 KiB, the limit for a runbook"))
        let nul = try check(Array("runbook \"a\u{0}b\" do\nend\n".utf8))
        #expect(nul.status == 2)
        #expect(nul.stderr.contains("F:1:11: error: the control character U+0000 is not allowed in a runbook"))
        #expect(!nul.stderr.contains("\u{0}"))
        let endless = try RunbookBinary.run(["check", "/dev/zero"])
        #expect(endless.status == 2)
        #expect(endless.stderr.contains("/dev/zero:1:1: error: the file is larger than 1024 KiB"))
    }
}

/// Values from the command line: a NUL is refused in any parameter, control characters in a path.
@Suite struct HostileValueTests {
    @Test func controlCharactersInPathsAndNULsAnywhereExitTwo() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("values-\(UUID().uuidString).rb")
        try """
        runbook "v" do
          param :dir, type: :path, default: "/tmp/x"
          param :name, default: "a"
          step :a do
            clean_cache dir
            run "echo #{name}"
          end
        end
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let path = try RunbookBinary.run(["plan", file.path, "--hosts", "local", "--set", "dir=/tmp/a\nb"])
        #expect(path.status == 2)
        #expect(path.stderr == "error: the parameter `dir` is `/tmp/a\\u{A}b` (from --set), a path with the control character \\u{A} (host: local)\n")
        let nul = try RunbookBinary.run(["plan", file.path, "--hosts", "local", "--set", "name=a\u{1}b"])
        #expect(nul.status == 0)
    }
}

/// A host's output cannot drive the terminal: escape sequences are shown as `\x1b`, not sent raw.
@Suite struct HostileOutputTests {
    @Test func escapeSequencesFromHostsAreShownNotSent() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("escapes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("e.rb").path
        try #"""
        runbook "e" do
          lock false
          step :a do
            run "printf 'title \\033]0;pwned\\007 red \\033[31mx\\n'; printf '\\033[2Jcleared\\n' >&2; exit 3"
          end
        end
        """#.write(toFile: file, atomically: true, encoding: .utf8)
        let journal = folder.path + "/j"
        let run = try RunbookBinary.run(["apply", file, "--hosts", "local", "--journal", journal, "--run-id", "E"])
        #expect(run.status == 1)
        let show = try RunbookBinary.run(["show", "E", "--journal", journal])
        for text in [run.stdout, run.stderr, show.stdout] {
            #expect(!text.contains("\u{1B}") && !text.contains("\u{7}"), "\(text)")
        }
        // The redactor writes them as `\xNN` before anything prints them (the terminal layer would show `␛`).
        #expect(run.stdout.contains("| title \\x1b]0;pwned\\x07 red \\x1b[31mx\n"), "\(run.stdout)")
        #expect(show.stdout.contains("exited 3: \\x1b[2Jcleared\n"), "\(show.stdout)")
    }
}

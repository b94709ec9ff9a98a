import Foundation
import TestSupport
import Testing

/// What a terminal shows at the end of a byte stream: runbook's live block uses only cursor up
/// (`ESC [ n A`), clear to the end of the screen (`ESC [ J`) and colours (`ESC [ ... m`).
func finalScreen(_ output: String) -> [String] {
    var lines: [String] = [""]
    var row = 0
    var scalars = Array(output.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
        switch scalar {
        case "\r": continue
        case "\n":
            row += 1
            if row == lines.count { lines.append("") }
        case "\u{1B}":
            guard scalars.first == "[" else { continue }
            scalars.removeFirst()
            var parameter = ""
            while let next = scalars.popFirst() {
                if (0x40...0x7E).contains(next.value) {
                    if next == "A" { row = max(0, row - (Int(parameter) ?? 1)) }
                    if next == "J" {
                        lines.removeSubrange((row + 1)...)
                        lines[row] = ""
                    }
                    break
                }
                parameter.unicodeScalars.append(next)
            }
        default: lines[row].unicodeScalars.append(scalar)
        }
    }
    while lines.last == "" { lines.removeLast() }
    return lines
}

/// Colour (SGR) sequences in the text.
func hasColour(_ text: String) -> Bool { text.range(of: "\u{1B}\\[[0-9;]*m", options: .regularExpression) != nil }

/// The text without colour sequences.
func withoutColour(_ text: String) -> String { text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression) }

/// The live terminal, colours and `-v` levels, on a pseudo-terminal from script(1) and on pipes.
@Suite(.timeLimit(.minutes(1))) struct TerminalTests {
    static let runbook = """
        runbook "tty" do
          step :first do
            run "echo preparing; sleep 0.5; echo almost there", undo: "sleep 0.6"
          end
          step :second, after: :first do
            run "sleep 0.3; exit 3"
          end
        end
        """

    func files() throws -> (folder: String, command: [String]) {
        let folder = try workFolder("tty")
        try Self.runbook.write(toFile: "\(folder)/tty.rb", atomically: true, encoding: .utf8)
        return (folder, [runbookBinary, "apply", "\(folder)/tty.rb", "--hosts", "local", "--journal", "\(folder)/journal"])
    }

    /// Runs the command on a pseudo-terminal 100 columns wide.
    func onTerminal(_ command: [String], folder: String, environment: [String: String] = [:]) throws -> ProcessOutput {
        let line = "stty cols 100 rows 40; " + command.map { "'\($0)'" }.joined(separator: " ")
        var env = ["TERM": "xterm", "RUNBOOK_LOCK_DIR": "\(folder)/locks"]
        env.merge(environment) { _, new in new }
        return try runProcess(
            ["/usr/bin/script", "-qec", line, "/dev/null"], environment: env, unset: ["NO_COLOR", "COLUMNS"].filter { env[$0] == nil })
    }

    @Test func aTerminalShowsLabelsAndOutputInColourAndEndsWithTheSummaryAlone() throws {
        let (folder, command) = try files()
        let result = try onTerminal(command, folder: folder)
        #expect(result.status == 1, "\(result.stdout)")
        let plain = withoutColour(result.stdout)
        // The host's step with its last output line, then the rollback under its own label.
        #expect(plain.contains("local  running first  "), "\(plain)")
        #expect(plain.contains("› preparing") || plain.contains("› almost there"), "\(plain)")
        #expect(plain.contains("local  rolling back  "), "\(plain)")
        #expect(!plain.contains("connecting  "))
        // Between the two steps the host is not yet cleaning up.
        let first = try #require(plain.range(of: "running first"))
        let second = try #require(plain.range(of: "running second"))
        #expect(!plain[first.upperBound..<second.lowerBound].contains("cleaning up"), "\(plain)")
        // Results in colour: yellow for rolled back, red for the failed step's cross.
        #expect(result.stdout.contains("\u{1B}[33mrolled back"), "\(result.stdout)")
        #expect(result.stdout.contains("\u{1B}[31m✗\u{1B}[0m second"))
        // What stays on the screen: the log and the summary, with no live block or footer under it.
        let screen = finalScreen(result.stdout).map(withoutColour)
        #expect(!screen.contains { $0.contains("hosts done") || $0.contains("rolling back") }, "\(screen)")
        #expect(screen.suffix(2).first?.hasPrefix("HOST   RESULT       STEPS") == true, "\(screen)")
        #expect(screen.last?.hasPrefix("local  rolled back  2") == true, "\(screen)")
        for line in screen { #expect(line.count <= 100, "\(line)") }
    }

    @Test func noColorAndColorNeverTurnColourOffOnATerminal() throws {
        let (folder, command) = try files()
        let noColor = try onTerminal(command, folder: folder, environment: ["NO_COLOR": "1"])
        #expect(!hasColour(noColor.stdout), "\(noColor.stdout)")
        #expect(noColor.stdout.contains("\u{1B}[J"), "the live block is still drawn")
        let never = try onTerminal(command + ["--color", "never"], folder: folder)
        #expect(!hasColour(never.stdout))
        // --color always wins over NO_COLOR.
        let always = try onTerminal(command + ["--color", "always"], folder: folder, environment: ["NO_COLOR": "1"])
        #expect(hasColour(always.stdout))
    }

    @Test func aPipeHasNoColourUnlessAskedAndJSONNever() throws {
        let (folder, command) = try files()
        let env = ["RUNBOOK_LOCK_DIR": "\(folder)/locks"]
        let auto = try runProcess(command, environment: env, unset: ["NO_COLOR"])
        #expect(auto.status == 1)
        #expect(!hasColour(auto.stdout + auto.stderr), "\(auto.stdout)")
        let always = try runProcess(command + ["--color", "always"], environment: env)
        #expect(always.stdout.contains("\u{1B}[33mrolled back"), "\(always.stdout)")
        #expect(!always.stdout.contains("\u{1B}[J"), "no live block on a pipe")
        let json = try runProcess(command + ["--color", "always", "--format", "json"], environment: env)
        #expect(json.status == 1)
        #expect(!json.stdout.contains("\u{1B}"))
    }

    @Test func verbosityLevelsGoToStandardError() throws {
        let (folder, command) = try files()
        let env = ["RUNBOOK_LOCK_DIR": "\(folder)/locks"]
        let quiet = try runProcess(command, environment: env)
        #expect(!quiet.stderr.contains("runbook: "), "\(quiet.stderr)")
        let notes = try runProcess(command + ["-v"], environment: env)
        #expect(notes.stderr.contains("runbook: local: local, no SSH"), "\(notes.stderr)")
        #expect(notes.stderr.contains("runbook: journal: \(folder)/journal/"))
        #expect(!notes.stderr.contains("sleep 0.3; exit 3"))
        let commands = try runProcess(command + ["-vv"], environment: env)
        #expect(commands.stderr.contains("runbook: local: sleep 0.3; exit 3"), "\(commands.stderr)")
        // The undo is a command too.
        #expect(commands.stderr.contains("runbook: local: sleep 0.6"))
        // JSON on standard output stays JSON.
        let json = try runProcess(command + ["-vv", "--format", "json"], environment: env)
        #expect(json.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("{") })
        #expect(json.stderr.contains("runbook: local: sleep 0.3; exit 3"))
    }

    @Test func onlyUnreachableHostsExitFour() async throws {
        let fleet = try Fleet(2)
        fleet.servers[1].stop()
        let files = try FleetFiles(fleet, runbook: everyEventRunbook)
        let run = try runProcess(files.withJournal)
        #expect(run.status == 4, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("h1  UNREACHABLE: cannot connect to 127.0.0.1:\(fleet.servers[1].port)"), "\(run.stdout)")
        #expect(run.stdout.contains("h1    unreachable  3"), "\(run.stdout)")
        #expect(run.stdout.contains("exit status 4"))
        let show = try runProcess([runbookBinary, "show", try runID(files), "--journal", files.journal])
        #expect(show.stdout.contains("h1: unreachable"), "\(show.stdout)")
    }

    func runID(_ files: FleetFiles) throws -> String {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: files.journal).first { $0.hasSuffix(".jsonl") })
        return String(name.dropLast(6))
    }
}

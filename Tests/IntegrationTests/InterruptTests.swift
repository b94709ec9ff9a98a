import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `runbook` binary next to the test bundle, or RUNBOOK_TEST_BINARY (the shipped build of scripts/build-release).
var runbookBinary: String {
    if let chosen = ProcessInfo.processInfo.environment["RUNBOOK_TEST_BINARY"], !chosen.isEmpty { return chosen }
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("runbook").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return repositoryRoot.appendingPathComponent(".build/debug/runbook").path
}

/// Ctrl-C in the middle of a rollout, sent to the real binary as SIGINT.
@Suite(.serialized, .timeLimit(.minutes(2))) struct InterruptTests {
    /// Writes the inventory, ssh_config and runbook files for `runbook apply` against the fleet.
    func files(_ fleet: Fleet) throws -> (folder: String, arguments: [String]) {
        let folder = try workFolder("cli")
        var inventory = "[fleet]\n"
        var knownHosts = ""
        for (index, server) in fleet.servers.enumerated() {
            inventory +=
                "h\(index) ansible_host=127.0.0.1 ansible_port=\(server.port) ansible_user=\(server.user) ansible_ssh_private_key_file=\(server.clientKey) dir=\(fleet.dirs[index]) runbook_lock_dir=\(fleet.dirs[index])/locks\n"
            knownHosts += try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        }
        try inventory.write(toFile: "\(folder)/hosts.ini", atomically: true, encoding: .utf8)
        try knownHosts.write(toFile: "\(folder)/known_hosts", atomically: true, encoding: .utf8)
        try "Host *\n  UserKnownHostsFile \(folder)/known_hosts\n".write(toFile: "\(folder)/ssh_config", atomically: true, encoding: .utf8)
        try """
        runbook "slow-deploy" do
          param :dir, type: :path, default: "/tmp"
          rollout serial: 1, max_fail: 0
          step :mark do
            run "touch #{dir}/marker", undo: "rm -f #{dir}/marker"
          end
          step :wait, after: :mark do
            run "sleep 2"
          end
        end
        """.write(toFile: "\(folder)/slow.rb", atomically: true, encoding: .utf8)
        return (
            folder,
            [
                runbookBinary, "apply", "\(folder)/slow.rb", "--hosts", "all", "--inventory", "\(folder)/hosts.ini", "--ssh-config",
                "\(folder)/ssh_config", "--journal", "\(folder)/journal",
            ]
        )
    }

    @Test func onceStartsNothingNewAndRollsBackTheHostInFlight() async throws {
        let fleet = try Fleet()
        let (folder, arguments) = try files(fleet)
        let run = try BackgroundProcess(arguments, log: "\(folder)/out", output: true)
        // Signalled while h0 is in its step (a loaded machine starts the binary slowly: wait for it).
        interrupt(run, when: "h0  ▶ wait", in: "\(folder)/out")
        let status = run.waitForExit()
        let output = try String(contentsOfFile: "\(folder)/out", encoding: .utf8)
        #expect(status == 1, "\(output)")
        #expect(output.contains("interrupted: starting nothing new"))
        #expect(output.contains("h0  ROLLED BACK: step mark: interrupted") || output.contains("h0  ROLLED BACK: interrupted"), "\(output)")
        #expect(!(0..<5).contains(where: fleet.touched))
        #expect(output.contains("h1    not started"))
    }

    @Test func twiceStopsAtOnceAndNamesTheHostsInAnUnknownState() async throws {
        let fleet = try Fleet()
        let (folder, arguments) = try files(fleet)
        let run = try BackgroundProcess(arguments, log: "\(folder)/out", output: true)
        interrupt(run, when: "h0  ▶ wait", in: "\(folder)/out", times: 2)
        let status = run.waitForExit()
        let output = try String(contentsOfFile: "\(folder)/out", encoding: .utf8)
        #expect(status == 3, "\(output)")
        #expect(output.contains("stopped at once. State unknown on: h0"), "\(output)")
        #expect(output.contains("runbook unlock --hosts h0"))

        // The journal knows what the run left done; `runbook rollback RUN` undoes it.
        #expect(fleet.touched(0))
        let journal = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/journal").first { $0.hasSuffix(".jsonl") })
        let runID = String(journal.dropLast(".jsonl".count))
        let show = try runProcess([runbookBinary, "show", runID, "--journal", "\(folder)/journal"])
        #expect(show.stdout.contains("h0: no result"), "\(show.stdout)")
        // The second Ctrl-C wrote down, durably, which hosts it left in an unknown state.
        let lines = try String(contentsOfFile: "\(folder)/journal/\(journal)", encoding: .utf8)
        #expect(lines.contains("stopped at once (second Ctrl-C); state unknown on: h0"), "\(lines)")
        #expect(show.stdout.contains("1 completed action(s) with an undo not undone: `runbook rollback \(runID)` undoes them"))
        let history = try runProcess([runbookBinary, "history", "--journal", "\(folder)/journal"])
        #expect(history.stdout.contains("\(runID)  slow-deploy  --hosts all  5 host(s)  no result (stopped or died)"), "\(history.stdout)")
        // The lock the dead run left is cleared first, as the message said.
        let unlock = try runProcess([runbookBinary, "unlock", "--hosts", "h0", "--inventory", "\(folder)/hosts.ini", "--ssh-config", "\(folder)/ssh_config"])
        #expect(unlock.stdout.contains("h0: host: removed (its run is gone)"), "\(unlock.stdout)\(unlock.stderr)")
        let rollback = try runProcess([runbookBinary, "rollback", runID, "--journal", "\(folder)/journal"])
        #expect(rollback.status == 0, "\(rollback.stdout)\(rollback.stderr)")
        #expect(!fleet.touched(0))
        let again = try runProcess([runbookBinary, "rollback", runID, "--journal", "\(folder)/journal"])
        #expect(again.stdout.contains("left nothing done"))
    }
}

/// On a terminal (a pseudo-terminal from script(1)), apply draws a live block and ends with the table.
@Suite(.timeLimit(.minutes(1))) struct TerminalOutputTests {
    @Test func aTerminalGetsLiveProgressAndTheSummaryTable() throws {
        let folder = try workFolder("tty")
        try """
        runbook "tty" do
          step :first do
            run "sleep 0.6"
          end
          step :second do
            run "sleep 0.6"
          end
        end
        """.write(toFile: "\(folder)/tty.rb", atomically: true, encoding: .utf8)
        let command = "\(runbookBinary) apply \(folder)/tty.rb --hosts local --journal \(folder)/journal"
        let result = try runProcess(["/usr/bin/script", "-qec", command, "/dev/null"], environment: ["TERM": "xterm", "RUNBOOK_LOCK_DIR": "\(folder)/locks"])
        #expect(result.status == 0, "\(result.stdout)")
        // The live block is redrawn in place (cursor up, clear to the end) with both running steps.
        #expect(result.stdout.contains("\u{1B}[2A\u{1B}[J"))
        let plain = withoutColour(result.stdout)
        #expect(plain.contains("local  running first, second") || plain.contains("local  running second, first"), "\(plain)")
        #expect(plain.contains("HOST   RESULT  STEPS  TIME"))
        #expect(plain.contains("local  ok      2"))
        // No plain timestamped lines on a terminal.
        #expect(!result.stdout.contains("▶ first"))
    }
}

/// Sends SIGINT (`times` times, 200 ms apart) once `text` is in the log, from a thread of its own: the
/// test pool's few threads may all be blocked in other tests' process waits, and a task's sleep then
/// wakes seconds late, after the step it meant to interrupt.
func interrupt(_ run: BackgroundProcess, when text: String, in path: String, times: Int = 1) {
    let thread = Thread {
        for _ in 0..<1000 {
            if let log = try? String(contentsOfFile: path, encoding: .utf8), log.contains(text) { break }
            usleep(20_000)
        }
        for index in 0..<times {
            if index > 0 { usleep(200_000) }
            run.signal(SIGINT)
        }
    }
    thread.start()
}

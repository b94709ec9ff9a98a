import Foundation
import RunEvents
import TestSupport
import Testing
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The files `runbook apply` needs for a fleet of test sshd hosts, and its arguments.
struct FleetFiles {
    let folder: String
    let arguments: [String]
    let journal: String

    init(_ fleet: Fleet, runbook: String, vars: [[String: String]] = []) throws {
        folder = try workFolder("out")
        journal = "\(folder)/journal"
        var inventory = "[fleet]\n"
        var knownHosts = ""
        for (index, server) in fleet.servers.enumerated() {
            let extra = (index < vars.count ? vars[index] : [:]).sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            inventory +=
                "h\(index) ansible_host=127.0.0.1 ansible_port=\(server.port) ansible_user=\(server.user) ansible_ssh_private_key_file=\(server.clientKey) dir=\(fleet.dirs[index]) runbook_lock_dir=\(fleet.dirs[index])/locks\(extra)\n"
            knownHosts += try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        }
        try inventory.write(toFile: "\(folder)/hosts.ini", atomically: true, encoding: .utf8)
        try knownHosts.write(toFile: "\(folder)/known_hosts", atomically: true, encoding: .utf8)
        try "Host *\n  UserKnownHostsFile \(folder)/known_hosts\n".write(toFile: "\(folder)/ssh_config", atomically: true, encoding: .utf8)
        try runbook.write(toFile: "\(folder)/book.rb", atomically: true, encoding: .utf8)
        arguments = [
            runbookBinary, "apply", "\(folder)/book.rb", "--hosts", "all", "--inventory", "\(folder)/hosts.ini", "--ssh-config", "\(folder)/ssh_config",
        ]
    }

    /// The arguments with `--journal` pointing at this folder's journal.
    var withJournal: [String] { arguments + ["--journal", journal] }

    /// The one run in the journal: its lines after the header, decoded.
    func journalEvents() throws -> [RunEvent] {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: journal).first { $0.hasSuffix(".jsonl") })
        let text = try String(contentsOfFile: "\(journal)/\(name)", encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { try? RunEvent.decode(jsonLine: $0) }
    }

    /// The shell command line of `arguments`, quoted.
    static func command(_ arguments: [String]) -> String { arguments.map { "'\($0)'" }.joined(separator: " ") }
}

extension Fleet {
    /// True when no runbook lock is left on host `index`.
    func unlocked(_ index: Int) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(dirs[index])/locks")) ?? []).allSatisfy { !$0.hasSuffix(".lock") }
    }

    func exists(_ index: Int, _ name: String) -> Bool { FileManager.default.fileExists(atPath: "\(dirs[index])/\(name)") }
}

/// A deploy that prints a lot: a marker (undone), noisy output, then a second marker.
let noisyRunbook = """
    runbook "noisy" do
      param :dir, type: :path, default: "/tmp"
      step :mark do
        run "touch #{dir}/marker", undo: "rm -f #{dir}/marker"
      end
      step :noisy, after: :mark, timeout: "8s" do
        run "seq 1 20000"
      end
      step :later, after: :noisy, timeout: "4s" do
        run "sleep 0.3; touch #{dir}/later", undo: "rm -f #{dir}/later"
      end
    end
    """

/// Issue 12 item 5 and 6: a closed pipe, a closed stdout, a full disk or a reader that stops never stop
/// a run half way, with the real binary.
@Suite(.serialized, .timeLimit(.minutes(2))) struct OutputSurvivalTests {
    @Test func applyPipedIntoHeadFinishesTheRun() throws {
        let fleet = try Fleet(1)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        let result = try runProcess(["/bin/sh", "-c", FleetFiles.command(files.withJournal) + " | head -1"])
        #expect(result.stdout.split(separator: "\n").count == 1, "\(result.stdout)")
        #expect(result.stderr.contains("standard output failed (Broken pipe)"), "\(result.stderr)")
        let events = try files.journalEvents()
        let finished = events.compactMap { event -> Int32? in if case .runFinished(let status, _, _, _) = event.kind { status } else { nil } }
        #expect(finished == [0], "\(result.stderr)")
        #expect(fleet.exists(0, "later"))
        #expect(fleet.unlocked(0))
        // The summary still reaches a channel that works.
        #expect(result.stderr.contains("h0    ok"), "\(result.stderr)")
    }

    @Test func aClosedStandardOutputDoesNotStopTheRun() throws {
        let fleet = try Fleet(1)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        let result = try runProcess(["/bin/sh", "-c", "exec " + FleetFiles.command(files.withJournal) + " >&-"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("standard output failed (it was closed when runbook started)"), "\(result.stderr)")
        #expect(result.stderr.contains("h0    ok"), "\(result.stderr)")
        #expect(fleet.exists(0, "later"))
        #expect(fleet.unlocked(0))
        let events = try files.journalEvents()
        #expect(events.contains { $0.kind == .note("standard output was closed when runbook started") })
    }

    @Test func aClosedStandardErrorDoesNotStopTheRun() throws {
        let fleet = try Fleet(1)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        let result = try runProcess(["/bin/sh", "-c", "exec " + FleetFiles.command(files.withJournal) + " 2>&-"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("h0    ok"))
        #expect(fleet.unlocked(0))
    }

    @Test func aJournalThatCannotBeWrittenAtStartRefusesTheRunUnlessNoJournal() throws {
        let fleet = try Fleet(1)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        try "not a folder".write(toFile: "\(files.folder)/file", atomically: true, encoding: .utf8)
        let refused = try runProcess(files.arguments + ["--journal", "\(files.folder)/file/journal"])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("nothing ran (`--no-journal` runs without one"), "\(refused.stderr)")
        #expect(!fleet.exists(0, "marker"))
        let unjournaled = try runProcess(files.arguments + ["--journal", "\(files.folder)/file/journal", "--no-journal"])
        #expect(unjournaled.status == 0, "\(unjournaled.stdout)\(unjournaled.stderr)")
        #expect(fleet.exists(0, "later"))
    }

    /// A pipe nobody reads for 10 s: the run finishes meanwhile (its journal says so), every host passes,
    /// and the progress that did not fit is counted.
    @Test func aReaderThatStopsForTenSecondsDoesNotFailHealthyHosts() async throws {
        let fleet = try Fleet(2)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let null = open("/dev/null", O_RDWR)
        let errors = open("\(files.folder)/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let pid = try #require(ChildProcess.spawn(files.withJournal, stdin: null, stdout: fds[1], stderr: errors))
        close(fds[1])
        close(null)
        close(errors)
        try await Task.sleep(for: .seconds(10))
        let events = try files.journalEvents()
        let results = events.compactMap { event -> [String: HostResult]? in if case .runFinished(_, let results, _, _) = event.kind { results } else { nil } }
        #expect(results == [["h0": .ok, "h1": .ok]], "the run did not finish while its reader was stopped")
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count > 0 { output += chunk[0..<count] } else if count == 0 || errno != EINTR { break }
        }
        close(fds[0])
        let (status, _) = ChildProcess.wait(pid)
        let text = String(decoding: output, as: UTF8.self)
        #expect(status == 0, "\(text.suffix(2000))")
        #expect(text.contains("dropped: the output was not read fast enough"), "\(text.suffix(2000))")
        #expect(text.contains("h0    ok") && text.contains("h1    ok"))
    }
}

/// A tmpfs of 64 KiB as the journal folder: the real disk is never filled.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: Tmpfs.available, "mounting a tmpfs is not permitted here (needs root)")) struct FullDiskTests {
    @Test func aJournalThatFillsMidRunStartsNoNewChangeAndRollsBack() throws {
        let fleet = try Fleet(2)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        let mount = try Tmpfs(files.journal)
        defer { mount.unmount() }
        let result = try runProcess(files.withJournal)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
        #expect(result.stderr.contains("starting no new change"))
        // h0 rolled back what it had done; h1 never started; no lock is left.
        #expect(!fleet.exists(0, "marker") && !fleet.exists(0, "later"))
        #expect(!fleet.exists(1, "marker"))
        #expect(fleet.unlocked(0) && fleet.unlocked(1))
        #expect(result.stdout.contains("h0  ROLLED BACK: the journal failed"), "\(result.stdout)")
        // The journal on the full disk can still be read.
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: files.journal).first { $0.hasSuffix(".jsonl") })
        let show = try runProcess([runbookBinary, "show", String(name.dropLast(6)), "--journal", files.journal])
        #expect(show.status == 0, "\(show.stderr)")
    }

    @Test func aFullDiskAtStartRefusesTheRun() throws {
        let fleet = try Fleet(1)
        let files = try FleetFiles(fleet, runbook: noisyRunbook)
        let mount = try Tmpfs(files.journal)
        defer { mount.unmount() }
        _ = try? shell("dd if=/dev/zero of=\(files.journal)/fill bs=1k count=100 2>/dev/null")
        let result = try runProcess(files.withJournal)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
        #expect(!fleet.exists(0, "marker"))
        #expect(fleet.unlocked(0))
    }
}

/// A small tmpfs mounted for one test and unmounted after it.
struct Tmpfs {
    let path: String

    init(_ path: String, size: String = "64k") throws {
        try shell("mkdir -p \(path) && mount -t tmpfs -o size=\(size) tmpfs \(path)")
        self.path = path
    }

    func unmount() { _ = try? shell("umount \(path)") }

    /// Whether this machine lets the tests mount a tmpfs (root, and not forbidden by a container).
    static let available: Bool = {
        guard let folder = try? workFolder("tmpfs-probe"), let mount = try? Tmpfs(folder + "/m") else { return false }
        mount.unmount()
        return true
    }()
}

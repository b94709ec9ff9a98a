import Foundation
import TestSupport
import Testing

/// An upload, a symlink and an env file edit that pass: the run keeps its backups, so
/// `runbook rollback RUN` can put the host back later.
let keptRunbook = """
    runbook "kept" do
      param :dir, type: :path, default: "/tmp"
      param :src, type: :path, default: "/tmp"
      param :target, default: "v2"
      step :conf do
        upload src, to: "#{dir}/app.conf", mode: "0600"
      end
      step :link, after: :conf do
        symlink "#{dir}/current", to: target
      end
      step :env, after: :link do
        env_file "#{dir}/.env", set: { RELEASE: target }
      end
    end
    """

/// `runbook_keep_backups` and `rollback RUN` of a passed run, on real sshd hosts, through the binary.
@Suite(.serialized, .timeLimit(.minutes(3))) struct KeptBackupsTests {
    struct Setup {
        let fleet: Fleet
        let files: FleetFiles
        let source: String
        /// The shared `runbook_backups_dir` (1777, as /tmp).
        let kept: String

        init(hosts: Int = 1, keep: Int? = nil) throws {
            fleet = try Fleet(hosts)
            let kept = try workFolder("kept")
            self.kept = kept
            try shell("chmod 1777 \(kept)")
            files = try FleetFiles(
                fleet, runbook: keptRunbook,
                vars: fleet.dirs.map { dir in
                    var values = ["dir": dir, "runbook_backups_dir": kept]
                    if let keep { values["runbook_keep_backups"] = String(keep) }
                    return values
                })
            source = "\(files.folder)/app.conf.new"
            try "new contents\n".write(toFile: source, atomically: true, encoding: .utf8)
            for dir in fleet.dirs {
                try shell(
                    "cd \(dir) && mkdir -p v1 v2 locks && printf 'old\\n' > app.conf && chmod 640 app.conf && ln -s v1 current && printf '# env\\nRELEASE=v1\\n' > .env && chmod -R a+rwX . && chown -R \(TestUser.name) . && chmod 1777 locks"
                )
            }
        }

        /// `journal`: another journal than the test's (runs from another controller).
        func apply(_ runID: String, target: String = "v2", journal: String? = nil) throws -> ProcessOutput {
            try runProcess(
                files.arguments + ["--journal", journal ?? files.journal, "--set", "src=\(source)", "--set", "target=\(target)", "--run-id", runID])
        }

        func rollback(_ runID: String, _ extra: [String] = []) throws -> ProcessOutput {
            try runProcess([runbookBinary, "rollback", runID, "--journal", files.journal] + extra)
        }

        func snapshot() throws -> [String] { try CrashRecoveryTests.snapshot(fleet) }
    }

    @Test func aPassedRunIsRolledBackByteForByte() throws {
        let setup = try Setup(hosts: 2)
        let before = try setup.snapshot()
        let run = try setup.apply("PASS1")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try setup.snapshot() != before)
        // The backups stay beside their paths after the pass.
        #expect(FileManager.default.fileExists(atPath: "\(setup.fleet.dirs[0])/app.conf.runbook-PASS1"))
        // A partial rollback (one host), then the rest: the second undoes only what is still done.
        let changed = try setup.snapshot()
        let first = try setup.rollback("PASS1", ["--hosts", "h0"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try setup.snapshot() == [before[0], changed[1]])
        let back = try setup.rollback("PASS1")
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        #expect(try setup.snapshot() == before, "\(back.stdout)")
        #expect(!back.stdout.contains("h0  ↶"), "h0 was undone already: \(back.stdout)")
        // A second rollback has nothing left to do and changes nothing.
        let again = try setup.rollback("PASS1")
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try setup.snapshot() == before)
    }

    @Test func backupsBeyondTheKeepCountArePrunedAndTheirRollbackIsRefused() throws {
        let setup = try Setup(keep: 2)
        for (index, target) in ["v2", "v1", "v2"].enumerated() {
            let run = try setup.apply("KEEP\(index + 1)", target: target)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let dir = setup.fleet.dirs[0]
        // The third run's finish ran the first run's cleanup script: its backups are gone, the others stay.
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/app.conf.runbook-KEEP1"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/app.conf.runbook-KEEP2"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/app.conf.runbook-KEEP3"))
        let after = try setup.snapshot()
        let refused = try setup.rollback("KEEP1")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("refused, nothing was changed"), "\(refused.stderr)")
        #expect(try setup.snapshot() == after)
    }

    @Test func prunedBackupsRefuseTheRollbackWhenTheLaterRunsAreInAnotherJournal() throws {
        let setup = try Setup(keep: 2)
        let other = "\(setup.files.folder)/other-journal"
        #expect(try setup.apply("OLD1").status == 0)
        #expect(try setup.apply("OLD2", target: "v1", journal: other).status == 0)
        #expect(try setup.apply("OLD3", journal: other).status == 0)
        let after = try setup.snapshot()
        let refused = try setup.rollback("OLD1")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("h0: the run passed there and its backups are gone"), "\(refused.stderr)")
        #expect(try setup.snapshot() == after)
    }

    @Test func aLaterRunOnTheSamePathsRefusesTheRollback() throws {
        let setup = try Setup(keep: 5)
        #expect(try setup.apply("FIRST").status == 0)
        #expect(try setup.apply("SECOND", target: "v1").status == 0)
        let after = try setup.snapshot()
        let refused = try setup.rollback("FIRST")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("run SECOND"), "\(refused.stderr)")
        #expect(refused.stderr.contains("app.conf"), "\(refused.stderr)")
        #expect(try setup.snapshot() == after)
        // Once the later run is rolled back, the first one can be.
        let second = try setup.rollback("SECOND")
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let first = try setup.rollback("FIRST")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    }

    /// A later run from another controller (another journal) left its kept entry on the host: the
    /// rollback cannot see which paths it changed, and refuses rather than undo over it.
    @Test func aLaterRunFromAnotherControllerRefusesTheRollback() throws {
        let setup = try Setup(keep: 5)
        let other = "\(setup.files.folder)/other-journal"
        let before = try setup.snapshot()
        #expect(try setup.apply("MINE").status == 0)
        #expect(try setup.apply("THEIRS", target: "v1", journal: other).status == 0)
        let after = try setup.snapshot()
        let refused = try setup.rollback("MINE")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("run THEIRS passed there after this one"), "\(refused.stderr)")
        #expect(try setup.snapshot() == after)
        // Rolled back where it ran, the later run no longer stands in the way.
        let theirs = try runProcess([runbookBinary, "rollback", "THEIRS", "--journal", other])
        #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")
        let mine = try setup.rollback("MINE")
        #expect(mine.status == 0, "\(mine.stdout)\(mine.stderr)")
        #expect(try setup.snapshot() == before)
    }

    @Test func keepZeroRemovesTheBackupsAtTheFinish() throws {
        let setup = try Setup(keep: 0)
        let run = try setup.apply("ZERO")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let left = try shell("ls -A \(setup.fleet.dirs[0])").split(separator: "\n").filter { $0.contains("runbook-") }
        #expect(left.isEmpty, "\(left)")
        let refused = try setup.rollback("ZERO")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
    }

    @Test func aHostPresentingAnotherKeyIsRefusedAndNothingChanges() throws {
        let setup = try Setup(hosts: 2)
        #expect(try setup.apply("KEYS").status == 0)
        let after = try setup.snapshot()
        // Host 1 gets a new host key; known_hosts is told of it (as after `ssh-keygen -R` and a new
        // accept), so only the key recorded by the run tells it apart.
        let server = setup.fleet.servers[1]
        server.stop()
        try shell("rm -f \(server.directory)/host_ed25519* && ssh-keygen -q -t ed25519 -N '' -f \(server.directory)/host_ed25519")
        try server.start()
        let key = try shell("cut -d' ' -f1,2 \(server.directory)/host_ed25519.pub").trimmingCharacters(in: .whitespacesAndNewlines)
        let knownHosts = "\(setup.files.folder)/known_hosts"
        let lines = try String(contentsOfFile: knownHosts, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("[127.0.0.1]:\(server.port) ") }
        try ((lines + ["[127.0.0.1]:\(server.port) \(key)"]).joined(separator: "\n") + "\n").write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let refused = try setup.rollback("KEYS")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("h1: the host now presents the key"), "\(refused.stderr)")
        #expect(try setup.snapshot() == after, "no host changed, h0 included")
    }
}

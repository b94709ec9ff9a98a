import Foundation
import TestSupport
import Testing

/// Hostile or half-done kept folders on real sshd hosts: what a passed run's finish writes, prunes
/// and what `rollback RUN` trusts.
@Suite(.serialized, .timeLimit(.minutes(3))) struct KeptBackupsAttackTests {
    /// Every file under `folder` with its owner, mode and content.
    static func listing(_ folder: String) throws -> String {
        try shell(
            "cd \(folder) && find . -mindepth 1 -printf '%p %y %u %m %l ' -exec sh -c 'if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then cat \"$1\"; else echo; fi' _ {} \\; | sort"
        )
    }

    @Test func aHostFolderPlantedAsALinkToTheUsersFilesIsNeitherWrittenNorPruned() throws {
        let setup = try KeptBackupsTests.Setup(keep: 1)
        // Files of the connecting user, older than any entry, that are not cleanup scripts.
        let victim = try workFolder("victim")
        let marker = "\(victim)/ran"
        try shell(
            "printf 'touch \(marker)\\n' > \(victim)/deploy && printf 'echo hi\\n' > \(victim)/notes && chown -R \(TestUser.name) \(victim) && touch -d 2020-01-01 \(victim)/deploy \(victim)/notes && chmod 755 \(victim)"
        )
        // Another user (root here) plants the host's folder as a link to them in the shared folder.
        try shell("ln -s \(victim) \(setup.kept)/h0")
        let before = try Self.listing(victim)
        let run = try setup.apply("LINKED")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try Self.listing(victim) == before, "the user's files were written, run or removed")
        #expect(!FileManager.default.fileExists(atPath: marker))
        // The backups were not kept behind a folder the run does not own: removed at once.
        #expect(!FileManager.default.fileExists(atPath: "\(setup.fleet.dirs[0])/app.conf.runbook-LINKED"))
    }

    @Test func aPruneKilledHalfWayLeavesNoEntryThatClaimsTheBackupsAreKept() throws {
        let setup = try KeptBackupsTests.Setup(keep: 1)
        #expect(try setup.apply("HALF1").status == 0)
        let entry = "\(setup.kept)/h0/HALF1"
        let marker = "\(setup.files.folder)/pruning"
        // The script removes the backups, then takes long: the controller is killed while it runs.
        let script = try String(contentsOfFile: entry, encoding: .utf8).replacingOccurrences(of: "exit $s", with: "touch \(marker); sleep 60")
        try script.write(toFile: entry, atomically: false, encoding: .utf8)
        // The next run comes from another controller (its own journal) and prunes HALF1 at its finish.
        let other = "\(setup.files.folder)/other-journal"
        let process = try BackgroundProcess(
            setup.files.arguments + ["--journal", other, "--set", "src=\(setup.source)", "--set", "target=v1", "--run-id", "HALF2"],
            log: "\(setup.files.folder)/half2.log")
        let until = Date().addingTimeInterval(60)
        while Date() < until, !FileManager.default.fileExists(atPath: marker) { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: marker), "the prune never ran")
        process.stop(SIGKILL)
        sleep(3)
        let after = try setup.snapshot()
        let rollback = try setup.rollback("HALF1")
        #expect(rollback.status == 2, "HALF1's backups are gone, yet: \(rollback.stdout)\(rollback.stderr)")
        #expect(rollback.stderr.contains("h0: the run passed there and its backups are gone"), "\(rollback.stderr)")
        #expect(try setup.snapshot() == after)
    }
}

extension KeptBackupsAttackTests {
    @Test func theDryRunPrintsTheProbeAndTheLockAsWellAsTheUndos() throws {
        let setup = try KeptBackupsTests.Setup()
        #expect(try setup.apply("DRY").status == 0)
        let after = try setup.snapshot()
        let dry = try setup.rollback("DRY", ["--dry-run"])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(try setup.snapshot() == after)
        let probe = try #require(dry.stdout.range(of: "  probe: "), "\(dry.stdout)")
        let lock = try #require(dry.stdout.range(of: "  lock:"), "\(dry.stdout)")
        let undo = try #require(dry.stdout.range(of: "  undo "), "\(dry.stdout)")
        let release = try #require(dry.stdout.range(of: "  release the lock:"), "\(dry.stdout)")
        #expect(probe.lowerBound < lock.lowerBound && lock.lowerBound < undo.lowerBound && undo.lowerBound < release.lowerBound)
        #expect(dry.stdout.contains("/h0; if [ -d \"$k\" ] && [ ! -h \"$k\" ] && [ -O \"$k\" ] && [ -f \"$k\"/DRY ]"), "\(dry.stdout)")
    }
}

extension KeptBackupsAttackTests {
    @Test func aBackupsFolderUnderTildeIsInTheHome() throws {
        let fleet = try Fleet(1)
        let name = "kept-\(UUID().uuidString.prefix(8))"
        let files = try FleetFiles(fleet, runbook: keptRunbook, vars: [["dir": fleet.dirs[0], "runbook_backups_dir": "~/\(name)"]])
        let source = "\(files.folder)/app.conf.new"
        try "new\n".write(toFile: source, atomically: true, encoding: .utf8)
        try shell("cd \(fleet.dirs[0]) && mkdir -p v1 v2 locks && chmod -R a+rwX . && chown -R \(TestUser.name) . && chmod 1777 locks")
        let home = try shell("sh -c 'echo ~\(TestUser.name)'").trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? shell("rm -rf \(home)/\(name)") }
        let run = try runProcess(files.withJournal + ["--set", "src=\(source)", "--run-id", "TILDE"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(home)/\(name)/h0/TILDE"), "\(run.stdout)")
    }
}

import Foundation
import TestSupport
import Testing

/// A lock folder another local user made first could let them rename a running run's lock away:
/// the run refuses to use it (nothing changed), naming its owner.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LockFolderTests {
    @Test(arguments: [
        "mkdir -m 777 LOCKS",  // anyone can rename locks in it
        "mkdir LOCKS && chown nobody LOCKS && chmod 1777 LOCKS",  // its owner can, sticky or not
        "mkdir elsewhere && chmod 1777 elsewhere && ln -s elsewhere LOCKS",
    ]) func aLockFolderOthersCanChangeIsRefused(_ setup: String) async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("lockfolder")
        try shell("cd \(dir) && " + setup.replacingOccurrences(of: "LOCKS", with: "locks"))
        let (summary, _) = try await apply(
            "param :dir, type: :path, default: \"/tmp\"\nstep :mark do\n  run \"touch #{dir}/marker\"\nend", on: [server],
            vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        let message = summary.outcomes["h0"]?.message ?? ""
        #expect(summary.exitStatus != 0)
        #expect(message.contains("the lock folder \(dir)/locks is not safe"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/marker"))
    }

    @Test func aRootOwnedStickyFolderIsShared() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("lockfolder")
        try shell("mkdir -m 1777 \(dir)/locks")
        let (summary, _) = try await apply(
            "param :dir, type: :path, default: \"/tmp\"\nstep :mark do\n  run \"touch #{dir}/marker\"\nend", on: [server],
            vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == 0, "\(summary.outcomes["h0"]?.message ?? "")")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/marker"))
    }

    @Test func aPlantedLockNamesWhoPlantedItNotWhomItsOwnerFileClaims() async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("lockfolder")
        // Another user (nobody) plants a lock whose owner file claims to be the deploy user's, and
        // whose name carries an escape sequence for the operator's terminal.
        let planted =
            #"n="DIR/locks/$(printf 'x\033[2Jy').lock" && mkdir -m 1777 DIR/locks && mkdir "$n" && printf 'run_id=r1\ncontroller=c\nuser=USER\n' > "$n/owner" && chown -R nobody "$n""#
        try shell(planted.replacingOccurrences(of: "DIR", with: dir).replacingOccurrences(of: "USER", with: server.user))
        let (summary, _) = try await apply(
            "param :dir, type: :path, default: \"/tmp\"\nstep :mark do\n  run \"touch #{dir}/marker\"\nend", on: [server],
            vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        let message = summary.outcomes["h0"]?.message ?? ""
        #expect(summary.exitStatus == 2)
        #expect(message.contains("(user nobody,"), "\(message)")
        #expect(message.contains("(lock x??2Jy.lock)"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/marker"))
    }
}

import Foundation
import TestSupport
import Testing

@testable import Execution

#if canImport(Glibc)
    import Glibc
#endif

/// The liveness folder in /tmp may be made first by another local user: it is then not used.
@Suite struct RunLivenessTests {
    let base: String

    init() throws {
        base = try shell("mktemp -d /tmp/runbook-liveness-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        try shell("chmod 1777 \(base)")
    }

    @Test func aFolderOfOneselfIsUsed() {
        #expect(RunLiveness.folder(base: base, uid: getuid(), home: base + "/home") == "\(base)/runbook-runs-\(getuid())")
    }

    @Test func aFolderAnotherUserPlantedOrASymlinkIsNotUsed() throws {
        let uid = getuid()
        try shell("mkdir -m 777 \(base)/runbook-runs-\(uid)")
        #expect(RunLiveness.folder(base: base, uid: uid, home: base + "/home") == "\(base)/home/.local/state/runbook/alive")
        try shell("rmdir \(base)/runbook-runs-\(uid) && mkdir \(base)/elsewhere && ln -s \(base)/elsewhere \(base)/runbook-runs-\(uid)")
        #expect(RunLiveness.folder(base: base, uid: uid, home: base + "/home") == "\(base)/home/.local/state/runbook/alive")
        #expect(try shell("stat -c %a \(base)/home/.local/state/runbook/alive").trimmingCharacters(in: .whitespacesAndNewlines) == "700")
    }

    /// A worker that served its part of a rollout stops holding the run, so a rollback here may take it.
    @Test func aReleasedRunIsNoLongerAlive() {
        let runID = "liveness-\(UInt32.random(in: 0...UInt32.max))"
        RunLiveness.hold(runID)
        #expect(RunLiveness.isAlive(runID))
        RunLiveness.release(runID)
        #expect(!RunLiveness.isAlive(runID))
    }
}

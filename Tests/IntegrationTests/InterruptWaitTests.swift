import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every wait a run can be in when Ctrl-C comes, as runbook bodies: each waits 30 s unless interrupted.
let waits: [(name: String, body: String)] = [
    ("retry delay", ##"step :flaky, retries: 3, retry_delay: "30s" do\n    run "false"\n  end"##),
    ("batch pause", ##"rollout serial: 1, pause: "30s"\n  step :mark do\n    run "touch #{dir}/marker", undo: "rm -f #{dir}/marker"\n  end"##),
    ("lock wait", ##"lock "held", wait: "30s"\n  step :mark do\n    run "true"\n  end"##),
    ("verification polling", ##"step :mark do\n    run "true"\n  end\n  verify within: "30s" do\n    file "#{dir}/never", exists: true\n  end"##),
    ("wait_for", ##"step :wait do\n    wait_for port: 1, timeout: "30s"\n  end"##),
]

/// Issue 12 item 8: the first Ctrl-C is honoured within a second by every wait, with the real binary.
@Suite(.serialized, .timeLimit(.minutes(2))) struct InterruptWaitTests {
    @Test(arguments: waits.map(\.name)) func theFirstCtrlCEndsTheWait(_ name: String) async throws {
        let body = try #require(waits.first { $0.name == name }).body.replacingOccurrences(of: "\\n", with: "\n")
        let fleet = try Fleet(2)
        // Another run holds the lock "held" on h0 (for the lock wait; the host lock waits for it too).
        if name == "lock wait" {
            try shell(
                "mkdir -p \(fleet.dirs[0])/locks/held.lock && printf 'run_id=other\\n' > \(fleet.dirs[0])/locks/held.lock/owner && chmod 1777 \(fleet.dirs[0])/locks"
            )
        }
        let files = try FleetFiles(fleet, runbook: "runbook \"waits\" do\n  param :dir, type: :path, default: \"/tmp\"\n  \(body)\nend\n")
        let run = try BackgroundProcess(files.withJournal, log: "\(files.folder)/out", output: true)
        try await Task.sleep(for: .seconds(1.5))
        let signalled = Date()
        run.signal(SIGINT)
        let status = run.waitForExit()
        let took = Date().timeIntervalSince(signalled)
        let output = try String(contentsOfFile: "\(files.folder)/out", encoding: .utf8)
        // A second for the wait, the rest for rolling back and releasing the locks on loopback.
        #expect(took < 2, "\(name): exited \(took) s after Ctrl-C\n\(output)")
        #expect(status == 1 || status == 130, "\(output)")
        #expect(output.contains("interrupted: starting nothing new"))
        // No lock of this run is left; h1 never started (h0 passed before a batch pause, and keeps its change).
        #expect(fleet.unlocked(1) && !fleet.exists(0, "locks/host.lock"))
        #expect(!fleet.exists(1, "marker"))
    }
}

import Execution
import Foundation
import Planning
import TestSupport
import Testing
import Transport
import Wire

/// The host lock costs one exec: it is taken by the first command and, when nothing can follow the
/// host's last command, released by that command once it succeeded.
@Suite(.serialized) struct LockRideTests {
    static let threeSteps = """
        step :a do
          run "echo a"
        end
        step :b, after: :a do
          run "echo b"
        end
        step :c, after: :b do
          run "echo c"
        end
        """

    @Test func theLastCommandReleasesTheLock() async throws {
        let printer = PrinterTransport(host: "local")
        nonisolated(unsafe) var captured: RunPlan?
        let (summary, _) = try await apply(Self.threeSteps, transports: { _ in printer }, planned: { captured = $0 })
        #expect(summary.exitStatus == 0)
        let plan = try #require(captured?.hosts.first)
        #expect(plan.releaseRides)
        #expect(plan.finish == nil)
        let release = try #require(plan.release)
        // The lock command, then the three steps in one exec (a chain): the release rides on it.
        let sent = printer.messages
        #expect(sent.count == 2)
        #expect(plan.chains.count == 1)
        #expect(sent.last?.stdin.contains(release.body.script) == true)
        #expect(!sent.dropLast().contains { $0.stdin.contains(release.body.script) })
        let listed = plan.exchanges.compactMap { exchange in exchange.command.flatMap { try? $0.message(secrets: [:]) } }
        #expect(sent.allSatisfy { listed.contains($0) })
    }

    @Test(arguments: [
        ("verify within: \"1s\" do\n  file \"/\", exists: true\nend", "a verification follows the steps"),
        ("step :d, after: :a do\n  run \"echo d\"\nend", "two steps end the graph"),
        ("rollout rollback: :fleet", "a passed host may roll back with the fleet"),
    ])
    func theReleaseRidesOnlyWhenNothingCanFollow(extra: String, reason: String) async throws {
        let printer = PrinterTransport(host: "local")
        nonisolated(unsafe) var captured: RunPlan?
        _ = try await apply(Self.threeSteps + "\n" + extra, transports: { _ in printer }, planned: { captured = $0 })
        let plan = try #require(captured?.hosts.first)
        #expect(!plan.releaseRides, "\(reason)")
        #expect(plan.finish != nil, "\(reason)")
    }

    /// On a real host: the lock is gone after a pass, after a skipped last action and after a failed
    /// last command (which still rolls back under the lock).
    @Test(arguments: [
        ("run \"touch #{dir}/c\"", 0, true),
        ("run \"touch #{dir}/c\", creates: \"/\"", 0, false),
        ("run \"false\"", 1, false),
    ])
    func theLockIsGoneHoweverTheLastCommandEnds(last: String, status: Int32, created: Bool) async throws {
        let server = try TestSSHServer()
        let dir = try workFolder("ride")
        let body = """
            param :dir, type: :path
            step :a do
              run "touch #{dir}/a", undo: "rm -f #{dir}/a"
            end
            step :c, after: :a do
              \(last)
            end
            """
        let (summary, _) = try await apply(body, on: [server], vars: [["dir": dir, "runbook_lock_dir": "\(dir)/locks"]])
        #expect(summary.exitStatus == status)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/c") == created)
        // A failed host was rolled back (the undo of step a ran), then released its lock.
        #expect(FileManager.default.fileExists(atPath: "\(dir)/a") == (status == 0))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/locks")) == [])
    }
}

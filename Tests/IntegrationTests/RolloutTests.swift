import Execution
import Foundation
import Planning
import RunEvents
import RunbookModel
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Five (or six) real sshd hosts, each with a folder of its own for its marker files and its locks.
final class Fleet: @unchecked Sendable {
    let servers: [TestSSHServer]
    let dirs: [String]

    init(_ count: Int = 5) throws {
        servers = try (0..<count).map { _ in try TestSSHServer() }
        dirs = try (0..<count).map { index in try workFolder("h\(index)") }
    }

    func vars(failing: Set<Int> = []) -> [[String: String]] {
        dirs.enumerated().map { index, dir in
            ["dir": dir, "fail": failing.contains(index) ? "yes" : "no", "runbook_lock_dir": "\(dir)/locks"]
        }
    }

    func touched(_ index: Int) -> Bool { FileManager.default.fileExists(atPath: "\(dirs[index])/marker") }
}

/// A deploy that leaves a marker (undone by removing it) and fails where `fail` is yes.
let markerRunbook = """
    param :dir, type: :path, default: "/tmp"
    param :fail, default: "no"
    step :mark do
      run "touch #{dir}/marker", undo: "rm -f #{dir}/marker"
    end
    step :check, after: :mark do
      run "test #{fail} != yes"
    end
    """

@Suite(.serialized, .timeLimit(.minutes(3))) struct RolloutTests {
    func results(_ summary: RunSummary) -> [HostResult] { summary.order.map { summary.outcomes[$0]?.result ?? .notStarted } }

    @Test func everyHostSucceedsInCanaryAndBatches() async throws {
        let fleet = try Fleet()
        let (summary, log) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(), rollout: RolloutOverrides(serial: .count(2), canary: 1, maxFail: .count(0)))
        #expect(summary.exitStatus == 0)
        #expect(results(summary) == Array(repeating: .ok, count: 5))
        let batches = log.all.compactMap { event -> [String]? in
            if case .batchStarted(_, let hosts, _) = event.kind { return hosts }
            return nil
        }
        #expect(batches == [["h0"], ["h1", "h2"], ["h3", "h4"]])
        #expect((0..<5).allSatisfy(fleet.touched))
        // JSON events carry their batch.
        #expect(log.jsonLines.contains { $0.contains("\"batch\":3") && $0.contains("\"host\":\"h4\"") })
    }

    @Test func aBigFleetDisconnectsAfterLockingAndReconnectsForItsBatch() async throws {
        let fleet = try Fleet()
        let (summary, _) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(), rollout: RolloutOverrides(serial: .count(2), maxFail: .count(0)), keepConnected: 0)
        #expect(summary.exitStatus == 0)
        #expect((0..<5).allSatisfy(fleet.touched))
        for dir in fleet.dirs { #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/locks")) ?? []).isEmpty) }
    }

    @Test func pauseWaitsBetweenBatches() async throws {
        let fleet = try Fleet(3)
        let (summary, log) = try await apply(
            "rollout serial: 1, pause: \"700ms\"\n" + markerRunbook, on: fleet.servers, vars: fleet.vars())
        #expect(summary.exitStatus == 0)
        let starts = log.all.compactMap { event -> Date? in
            if case .batchStarted = event.kind { return event.time }
            return nil
        }
        #expect(starts.count == 3)
        for (earlier, later) in zip(starts, starts.dropFirst()) { #expect(later.timeIntervalSince(earlier) >= 0.7) }
    }

    @Test func aFailingCanaryStopsTheRolloutBeforeAnyOtherHost() async throws {
        let fleet = try Fleet()
        let (summary, _) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(failing: [0]),
            rollout: RolloutOverrides(serial: .count(2), canary: 1, maxFail: .count(0)))
        #expect(summary.exitStatus == 1)
        #expect(results(summary) == [.rolledBack, .notStarted, .notStarted, .notStarted, .notStarted])
        #expect(summary.stoppedBy == "max_fail 0 exceeded: 1 of 1 hosts failed")
        #expect(!(0..<5).contains(where: fleet.touched))
    }

    @Test func aFailedBatchWithFleetRollbackPutsEveryChangedHostBack() async throws {
        let fleet = try Fleet()
        let (summary, log) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(failing: [2]),
            rollout: RolloutOverrides(serial: .count(2), canary: 1, maxFail: .count(0), rollback: .fleet))
        #expect(summary.exitStatus == 1)
        #expect(results(summary) == [.rolledBack, .rolledBack, .rolledBack, .notStarted, .notStarted])
        #expect(!(0..<5).contains(where: fleet.touched))
        // Newest first: h1 (batch 2) before the canary h0.
        let fleetUndos = log.all.compactMap { event -> String? in
            if case .undo = event.kind, event.host != "h2" { return event.host }
            return nil
        }
        #expect(fleetUndos == ["h1", "h0"])
    }

    @Test func maxFailOneToleratesOneFailedHost() async throws {
        let fleet = try Fleet()
        let (summary, _) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(failing: [1]), rollout: RolloutOverrides(serial: .count(1), maxFail: .count(1)))
        #expect(summary.exitStatus == 1)
        #expect(results(summary) == [.ok, .rolledBack, .ok, .ok, .ok])
        #expect(summary.stoppedBy == nil)
    }

    @Test func anUnreachableHostIsUnreachableAndCountsAsFailedForTheBudget() async throws {
        let fleet = try Fleet()
        fleet.servers[3].stop()
        let (tolerant, _) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(), rollout: RolloutOverrides(serial: .count(5), maxFail: .count(1)))
        // Only unreachable hosts failed: exit 4, as Ansible's.
        #expect(tolerant.exitStatus == 4)
        #expect(results(tolerant) == [.ok, .ok, .ok, .unreachable, .ok])
        #expect(tolerant.outcomes["h3"]?.message?.hasPrefix("cannot connect to 127.0.0.1:") == true)
        let (strict, _) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(), rollout: RolloutOverrides(serial: .count(2), maxFail: .count(0)))
        #expect(results(strict) == [.ok, .ok, .ok, .unreachable, .notStarted])
        #expect(strict.exitStatus == 4)
        // A host that failed as well makes it 1: it was changed and rolled back.
        let (mixed, _) = try await apply(
            markerRunbook, on: fleet.servers, vars: fleet.vars(failing: [1]), rollout: RolloutOverrides(serial: .count(5), maxFail: .count(2)))
        #expect(results(mixed) == [.ok, .rolledBack, .ok, .unreachable, .ok])
        #expect(mixed.exitStatus == 1)
    }

    @Test func aSecondRunOnTheSameHostsIsRefusedByTheLock() async throws {
        let fleet = try Fleet()
        let slow = """
            lock "deploy"
            param :dir, type: :path, default: "/tmp"
            step :slow do
              run "sleep 3; touch #{dir}/first"
            end
            """
        async let first = apply(slow, on: fleet.servers, vars: fleet.vars())
        try await Task.sleep(for: .seconds(1))
        let (second, log) = try await apply(slow, on: Array(fleet.servers[2...3]), vars: Array(fleet.vars()[2...3]))
        #expect(second.exitStatus == 2)
        #expect(second.outcomes.values.allSatisfy { $0.result == .notStarted })
        let message = second.outcomes["h0"]?.message ?? ""
        #expect(message.hasPrefix("locked by run RUN"), "\(message)")
        #expect(message.contains("from \(ProcessInfo.processInfo.hostName) (user "))
        #expect(!log.all.contains { if case .stepStarted = $0.kind { return true } else { return false } })
        let (firstSummary, _) = try await first
        #expect(firstSummary.exitStatus == 0)
        // Released at the end: nothing is left in the lock folders.
        for dir in fleet.dirs { #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/locks")) ?? []).isEmpty) }
    }
}

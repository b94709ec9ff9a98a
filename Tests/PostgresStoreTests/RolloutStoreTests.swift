import Foundation
import StateStore
import TestSupport
import Testing

@testable import PostgresStore

@Suite struct RolloutStoreTests {
    /// A stopping or finishing rollout still has work for workers (a dead worker's claims, the fleet's
    /// cleanup or rollback): a worker started then is given it while its coordinator lives, and not once
    /// the coordinator's leases are gone.
    @Test func aStoppingOrFinishingRolloutIsOpenWhileItsCoordinatorLives() async throws {
        let (store, _) = try freshStore(settings: StoreSettings(leaseTTL: 1, heartbeat: 0.3, retry: 2))
        defer { store.close() }
        try await store.create(header("r1", hosts: ["web1"]))
        try store.createRollout(id: "r1", plan: "{}", hosts: [(name: "web1", batch: 0)], workers: 1, pause: 0, fleet: true)
        let tokens = try store.acquire([LeaseHost(key: "deploy@127.0.0.1:2201", name: "web1")], runID: "r1", controller: "coordinator")
        #expect(tokens.count == 1)
        #expect(try store.openRollout()?.id == "r1")
        try store.setRolloutState("r1", "stopping", stoppedBy: "max_fail 0 exceeded")
        #expect(try store.openRollout()?.id == "r1")
        try store.finishFleet("r1", rollback: true)
        #expect(try store.rolloutState("r1")?.state == "finishing")
        #expect(try store.openRollout()?.id == "r1")
        #expect(try store.openRollout(skipping: ["r1"]) == nil)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try store.openRollout() == nil)
    }

    /// A worker paused past the TTL must not act on its claim when it resumes, before its heartbeat
    /// had a chance to learn that another worker took the host: the keeper's fence says so locally.
    @Test func aClaimNotConfirmedWithinItsTTLIsFenced() async throws {
        let (store, _) = try freshStore(settings: StoreSettings(leaseTTL: 1, heartbeat: 0.3, retry: 2))
        defer { store.close() }
        let keeper = ClaimKeeper(store: store, rollout: "none", worker: "w") { _, _ in }
        keeper.stop()
        keeper.hold(7)
        #expect(keeper.fence(7) == nil)
        try await Task.sleep(for: .milliseconds(1100))
        #expect(keeper.fence(7)?.contains("past its TTL") == true)
        keeper.drop(7)
        #expect(keeper.fence(7) != nil)
    }
}

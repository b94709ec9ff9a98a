import Foundation
import StateStore
import TestSupport
import Testing

@testable import PostgresStore

@Suite struct LeaseTests {
    let hosts = [LeaseHost(key: "deploy@127.0.0.1:2201", name: "web1"), LeaseHost(key: "deploy@127.0.0.1:2202", name: "web2")]

    @Test func anotherRunIsRefusedNamingTheHolder() throws {
        let (store, _) = try freshStore()
        defer { store.close() }
        let tokens = try store.acquire(hosts, runID: "run-a", controller: "laptop")
        #expect(Set(tokens.keys) == Set(hosts.map(\.key)))
        do {
            _ = try store.acquire([hosts[1], LeaseHost(key: "x", name: "web3")], runID: "run-b", controller: "ci")
            Issue.record("run-b got a leased host")
        } catch let refused as LeaseRefused {
            #expect(refused.leases.map(\.name) == ["web2"])
            #expect(refused.description.contains("web2 is held by run run-a (controller laptop, since 20"))
        }
        // All or none: web3 was not taken.
        #expect(try store.leases().map(\.name) == ["web1", "web2"])
        try store.release(runID: "run-a", tokens: tokens)
        #expect(try store.leases().isEmpty)
    }

    @Test func anExpiredLeaseIsLeftForRollback() throws {
        let (store, _) = try freshStore(settings: StoreSettings(leaseTTL: 1, heartbeat: 0.3, retry: 2))
        defer { store.close() }
        _ = try store.acquire(hosts, runID: "run-a", controller: "laptop")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try store.leases().allSatisfy(\.expired))
        #expect(try !store.hasLiveLease("run-a"))
        do {
            _ = try store.acquire(hosts, runID: "run-b", controller: "ci")
            Issue.record("a host left by a dead run was leased")
        } catch let refused as LeaseRefused {
            #expect(refused.description.contains("web1 was left by run run-a (controller laptop, since "))
            #expect(refused.description.contains("needs rollback"))
        }
        // The rollback of run-a takes its own expired leases over, with new fencing tokens.
        let old = try store.leases().map(\.token)
        let taken = try store.acquire(hosts, runID: "run-a", controller: "ci", takeOver: true)
        #expect(taken.values.allSatisfy { token in old.allSatisfy { $0 < token } })
        #expect(try store.leases().allSatisfy { $0.controller == "ci" && !$0.expired })
    }

    @Test func aLiveRunCannotBeTakenOver() throws {
        let (store, _) = try freshStore()
        defer { store.close() }
        _ = try store.acquire(hosts, runID: "run-a", controller: "laptop")
        #expect(throws: LeaseRefused.self) { _ = try store.acquire(hosts, runID: "run-a", controller: "ci", takeOver: true) }
    }

    @Test func theHeartbeatKeepsLeasesAndNoticesTheirLoss() throws {
        let (store, _) = try freshStore(settings: StoreSettings(leaseTTL: 1, heartbeat: 0.2, retry: 2))
        defer { store.close() }
        let tokens = try store.acquire(hosts, runID: "run-a", controller: "laptop")
        let lost = LockedBox<String?>(nil)
        let keeper = LeaseKeeper(store: store, runID: "run-a", tokens: tokens) { lost.set($0) }
        Thread.sleep(forTimeInterval: 1.6)
        #expect(try store.leases().allSatisfy { !$0.expired })
        #expect(lost.get() == nil)
        // `unlock --force` from elsewhere: the holder learns at its next heartbeat.
        #expect(try store.forceRelease([hosts[0].key]).map(\.runID) == ["run-a"])
        Thread.sleep(forTimeInterval: 0.6)
        #expect(lost.get()?.contains("the lease on deploy@127.0.0.1:2201 was lost") == true)
        keeper.stop()
    }
}

/// A value shared with a callback thread.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ new: T) { lock.withLock { value = new } }
    func get() -> T { lock.withLock { value } }
}

import Foundation
import RunEvents
import StateStore
import Synchronization

/// Keeps a worker and its claims alive: a thread of its own renews them every `settings.heartbeat`
/// seconds on its own connection. A claim it no longer holds (taken over after the worker was paused
/// past the TTL) is told to `lost` with its token, so the host's run starts no new change.
public final class ClaimKeeper: @unchecked Sendable {
    private let store: PostgresStore
    private let session: StoreSession
    private let rollout: String
    private let worker: String
    private let lost: @Sendable (Int64, String) -> Void
    private struct Claims {
        var tokens: Set<Int64> = []
        /// When each held claim was last known to be ours: its claim, then each renewal that kept it
        /// (the time read before the query, so never later than the server's own).
        var confirmed: [Int64: Date] = [:]
    }
    private let claims = Mutex(Claims())
    private var heartbeat: Heartbeat?

    public init(store: PostgresStore, rollout: String, worker: String, lost: @escaping @Sendable (Int64, String) -> Void) {
        self.store = store
        self.rollout = rollout
        self.worker = worker
        self.lost = lost
        session = store.newSession()
        heartbeat = Heartbeat(
            name: "runbook.claim-heartbeat", interval: store.settings.heartbeat, beat: { [self] in renew() }, ended: { [self] in session.close() })
    }

    public func hold(_ token: Int64) {
        claims.withLock {
            $0.tokens.insert(token)
            $0.confirmed[token] = Date()
        }
    }

    public func drop(_ token: Int64) {
        claims.withLock {
            $0.tokens.remove(token)
            $0.confirmed[token] = nil
        }
    }

    /// Why this worker may no longer act on the claim's host, or nil while it surely holds the claim.
    /// A worker paused past the TTL (SIGSTOP, a frozen VM) learns it lost the claim only when its
    /// heartbeat runs again; this check needs no database: past the TTL since the last confirmation
    /// (less a margin for clocks and the query's own time), another worker may have taken the host.
    public func fence(_ token: Int64) -> String? {
        let ttl = store.settings.leaseTTL
        let margin = min(1, ttl / 4)
        return claims.withLock {
            guard let since = $0.confirmed[token] else { return "the claim is no longer held by this worker" }
            let age = Date().timeIntervalSince(since)
            return age < ttl - margin
                ? nil : "the claim was last confirmed \(Int(age)) s ago, past its TTL (\(Int(ttl)) s): another worker may have taken the host over"
        }
    }

    /// One renewal of every claim held; a claim taken over is told to `lost`. The keeper goes on.
    private func renew() -> Bool {
        let held = claims.withLock { Array($0.tokens) }
        let asked = Date()
        do {
            let gone = try store.renewClaims(rollout: rollout, worker: worker, tokens: held, using: session)
            let taken = claims.withLock { claims -> [Int64] in
                for token in held where !gone.contains(token) && claims.tokens.contains(token) { claims.confirmed[token] = asked }
                for token in gone { claims.confirmed[token] = nil }
                return gone.filter { claims.tokens.remove($0) != nil }
            }
            for token in taken { lost(token, "the claim was taken over by another worker (this one did not renew it within the TTL)") }
        } catch {
            let message = "cannot renew the claims: \(StoreError.from(error, at: store.location).description)"
            for token in claims.withLock({ Array($0.tokens) }) { lost(token, message) }
        }
        return true
    }

    public func stop() { heartbeat?.stop() }
}

/// One claim's part of a rollout's run: the records and events of the host a worker runs under one
/// claim go to the rollout's run with sequence numbers of their own (the claim's token times 2^32, up),
/// so several workers write one run without clashing, and a host's later claim (a take-over) sorts
/// after its earlier one. It has its own writer thread and connection.
public final class RunSegment: StateStore, @unchecked Sendable {
    public let runID: String
    private let store: PostgresStore
    private let writer: StoreWriter

    public init(store: PostgresStore, runID: String, token: Int64, failed: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.runID = runID
        writer = StoreWriter(store: store, runID: runID, firstSeq: token << 32, failed: failed)
    }

    public var failure: String? { writer.failure }

    public func create(_ header: RunHeader) async throws(StateStoreError) {}

    public func append(_ records: [WriteAheadRecord], to runID: String) async throws(StateStoreError) {
        let bodies = records.compactMap { PostgresStore.text($0) }
        guard bodies.count == records.count else { throw .unwritable("cannot encode a write-ahead record") }
        guard let seq = writer.enqueue(.record, bodies) else { throw .unwritable(failure ?? "the state store failed") }
        if let problem = await writer.durable(seq) { throw .unwritable(problem) }
    }

    public func append(events: [RunEvent], to runID: String) async throws(StateStoreError) {
        writer.enqueue(.event, events.map(\.jsonLine))
    }

    /// Queues one event without waiting.
    public func record(_ event: RunEvent) { writer.enqueue(.event, [event.jsonLine]) }

    public func finish(_ runID: String, exitStatus: Int32, duration: Double) async throws(StateStoreError) {}

    public func list(_ query: RunQuery) async throws(StateStoreError) -> [RunListing] { try await store.list(query) }

    public func load(_ id: String) async throws(StateStoreError) -> StoredRun { try await store.load(id) }

    public func prune(_ policy: RetentionPolicy) async throws(StateStoreError) -> [String] { [] }

    /// Writes what is queued (at most the retry bound) and stops the writer.
    public func close() -> String? {
        let problem = writer.flush(within: store.settings.retry)
        writer.close()
        return problem
    }
}

extension PostgresStore {
    /// Events of a run after the cursors, one per writer (the sequence number divided by 2^32: the
    /// run's controller is 0, each claim of a rollout its token); returns them in sequence order.
    public func events(of runID: String, after cursors: [Int64: Int64]) throws -> [(seq: Int64, line: String)] {
        let ranges = Array(cursors.keys)
        let lasts = ranges.map { cursors[$0] ?? 0 }
        return try session.retrying(for: settings.retry) { sql in
            try sql.run(
                """
                SELECT e.seq, e.body FROM runbook_entries e LEFT JOIN unnest(\(ranges)::bigint[], \(lasts)::bigint[]) AS k(r, last) ON k.r = (e.seq >> 32)
                WHERE e.run_id = \(runID) AND e.kind = 'event' AND e.seq > coalesce(k.last, -1) ORDER BY e.seq
                """
            ).map {
                let (seq, line) = try $0.decode((Int64, String).self)
                return (seq, line)
            }
        }
    }
}

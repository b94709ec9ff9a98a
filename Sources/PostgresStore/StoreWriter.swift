import Foundation
import PostgresNIO

/// Writes one run's entries to the store from a thread of its own. Queuing never blocks (events are
/// queued under the event bus's lock); the thread sends everything queued as one statement (group
/// commit: the records of every host waiting share one round trip and one commit) and then wakes the
/// waiters whose entries it committed. A store outage is retried for `settings.retry` seconds; after
/// that nothing more is written and `failed` is told once: the run starts no new change.
final class StoreWriter: @unchecked Sendable {
    enum Kind: String { case record, event }

    let runID: String
    private let store: PostgresStore
    private let session: StoreSession
    private let condition = NSCondition()
    private var pending: [(kind: Kind, body: String)] = []
    private var nextSeq: Int64
    private var queued: Int64
    private var committed: Int64
    private var waiters: [(seq: Int64, resume: @Sendable (String?) -> Void)] = []
    private var finish: (status: Int32, duration: Double)?
    private var finished = false
    private var problem: String?
    private var closing = false
    private var running = true
    private let failed: @Sendable (String) -> Void
    /// Entries kept while the store is away; past this the run stops, as on a full disk.
    static let maxPending = 200_000

    init(store: PostgresStore, runID: String, firstSeq: Int64, failed: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.runID = runID
        session = store.newSession()
        nextSeq = firstSeq
        queued = firstSeq - 1
        committed = firstSeq - 1
        self.failed = failed
        let thread = Thread { [self] in loop() }
        thread.name = "runbook.state-writer"
        thread.start()
    }

    var failure: String? { condition.withLock { problem } }

    /// Queues entries; returns the sequence number of the last one (nil once the store failed).
    @discardableResult
    func enqueue(_ kind: Kind, _ bodies: [String]) -> Int64? {
        var overflow: String?
        let seq = condition.withLock { () -> Int64? in
            guard problem == nil, !closing else { return nil }
            guard pending.count + bodies.count <= StoreWriter.maxPending else {
                problem = "the state store \(store.location) is not taking entries (\(pending.count) queued)"
                overflow = problem
                wakeAll()
                return nil
            }
            pending += bodies.map { (kind, $0) }
            queued += Int64(bodies.count)
            condition.broadcast()
            return queued
        }
        if let overflow { failed(overflow) }
        return seq
    }

    /// Waits (without blocking a thread) until entries up to `seq` are committed; returns the problem if any.
    func durable(_ seq: Int64) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let now = condition.withLock { () -> String?? in
                if let problem { return .some(problem) }
                if committed >= seq { return .some(nil) }
                waiters.append((seq, { continuation.resume(returning: $0) }))
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Blocks until everything queued is committed, for at most `limit` seconds; returns the problem if any.
    func flush(within limit: Double) -> String? {
        condition.withLock {
            let target = queued
            let deadline = Date().addingTimeInterval(limit)
            while committed < target && problem == nil {
                if !condition.wait(until: deadline) { return problem ?? "the state store \(store.location) did not confirm the last entries" }
            }
            return problem
        }
    }

    /// Records the run's result after its last entries and waits (at most `limit` seconds) until it is
    /// committed; returns the problem if any.
    func finish(status: Int32, duration: Double, within limit: Double) -> String? {
        condition.withLock {
            finish = (status, duration)
            finished = false
            condition.broadcast()
            let deadline = Date().addingTimeInterval(limit)
            while !finished && problem == nil {
                if !condition.wait(until: deadline) { return problem ?? "the state store \(store.location) did not confirm the run's result" }
            }
            return problem
        }
    }

    /// Writes what is queued and stops the thread.
    func close() {
        condition.withLock {
            closing = true
            condition.broadcast()
            while running { condition.wait() }
        }
        session.close()
    }

    /// Called with the lock held.
    private func wakeAll() {
        let failure = problem
        let done = committed
        let ready = waiters.filter { $0.seq <= done || failure != nil }
        waiters.removeAll { $0.seq <= done || failure != nil }
        // Resuming continuations under the lock is safe: they only schedule their tasks.
        for waiter in ready { waiter.resume(waiter.seq <= done ? nil : failure) }
        condition.broadcast()
    }

    private func loop() {
        while true {
            let batch: (entries: [(kind: Kind, body: String)], first: Int64, finish: (status: Int32, duration: Double)?)? = condition.withLock {
                while pending.isEmpty && finish == nil && !closing && problem == nil { condition.wait() }
                if problem != nil || (pending.isEmpty && finish == nil) { return nil }
                let entries = pending
                pending.removeAll(keepingCapacity: true)
                let first = nextSeq
                nextSeq += Int64(entries.count)
                let result = finish
                finish = nil
                return (entries, first, result)
            }
            guard let batch else { break }
            do {
                try write(batch.entries, first: batch.first, finish: batch.finish)
                condition.withLock {
                    committed += Int64(batch.entries.count)
                    if batch.finish != nil { finished = true }
                    wakeAll()
                }
            } catch {
                let message = "cannot write to the state store: \(StoreError.from(error, at: store.location).description)"
                condition.withLock {
                    problem = message
                    wakeAll()
                }
                failed(message)
                break
            }
        }
        condition.withLock {
            running = false
            wakeAll()
        }
    }

    /// One statement; the sequence numbers come from this writer, so a batch retried after a lost reply is not doubled.
    private func write(_ entries: [(kind: Kind, body: String)], first: Int64, finish: (status: Int32, duration: Double)?) throws {
        let runID = runID
        let kinds = entries.map(\.kind.rawValue)
        let bodies = entries.map(\.body)
        try session.retrying(for: store.settings.retry) { sql in
            try sql.transaction {
                if !entries.isEmpty {
                    try sql.run(
                        """
                        INSERT INTO runbook_entries (run_id, seq, kind, body)
                        SELECT \(runID), \(first) + n - 1, kind, body FROM unnest(\(kinds)::text[], \(bodies)::text[]) WITH ORDINALITY AS t(kind, body, n)
                        ON CONFLICT DO NOTHING
                        """)
                }
                if let finish {
                    try sql.run(
                        """
                        UPDATE runbook_runs SET finished_at = now(), exit_status = \(Int(finish.status)), duration = \(finish.duration)
                        WHERE run_id = \(runID)
                        """)
                }
            }
        }
    }
}

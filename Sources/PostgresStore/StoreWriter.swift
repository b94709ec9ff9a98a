import Foundation
import PostgresNIO

/// Writes a run's events to the store from a thread of its own: `append` only queues (it is called
/// under the event bus's lock), the thread sends what is queued as one statement (group commit), and
/// `sync` waits until everything queued before it is committed. A store outage is retried for
/// `settings.retry` seconds; after that nothing more is written and `failed` is told once.
public final class StoreWriter: @unchecked Sendable {
    public let runID: String
    private let store: PostgresStore
    private let session: StoreSession
    private let condition = NSCondition()
    private var pending: [String] = []
    private var nextSeq: Int64
    private var queued: Int64 = 0
    private var committed: Int64 = 0
    private var exitStatus: Int32?
    private var problem: String?
    private var closing = false
    private var running = true
    private let failed: @Sendable (String) -> Void
    /// Lines kept while the store is away; past this the run stops, as on a full disk.
    static let maxPending = 200_000

    init(store: PostgresStore, runID: String, firstSeq: Int64, failed: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.runID = runID
        self.session = store.newSession()
        self.nextSeq = firstSeq
        self.failed = failed
        let thread = Thread { [self] in loop() }
        thread.name = "runbook.state-writer"
        thread.start()
    }

    /// Why the store stopped being written, if it did.
    public var failure: String? { condition.withLock { problem } }

    /// Queues one event line.
    public func append(_ line: String) {
        let overflow = condition.withLock { () -> String? in
            guard problem == nil, !closing else { return nil }
            guard pending.count < StoreWriter.maxPending else {
                problem = "the state store \(store.location) is not taking events (\(pending.count) queued)"
                condition.broadcast()
                return problem
            }
            pending.append(line)
            queued += 1
            condition.broadcast()
            return nil
        }
        if let overflow { failed(overflow) }
    }

    /// Records the run's exit status with its events.
    func finish(status: Int32) {
        condition.withLock {
            exitStatus = status
            condition.broadcast()
        }
    }

    /// Waits until every line queued so far is committed; false when the store failed.
    @discardableResult
    public func sync() -> Bool {
        condition.withLock {
            let target = queued
            while committed < target && problem == nil { condition.wait() }
            return problem == nil
        }
    }

    /// Writes what is queued and stops the thread.
    public func close() {
        condition.withLock {
            closing = true
            condition.broadcast()
            while running { condition.wait() }
        }
        session.close()
    }

    private func loop() {
        while true {
            let batch: (lines: [String], first: Int64, status: Int32?)? = condition.withLock {
                while pending.isEmpty && exitStatus == nil && !closing && problem == nil { condition.wait() }
                if problem != nil || (pending.isEmpty && exitStatus == nil) { return nil }
                let lines = pending
                pending.removeAll(keepingCapacity: true)
                let first = nextSeq
                nextSeq += Int64(lines.count)
                let status = exitStatus
                exitStatus = nil
                return (lines, first, status)
            }
            guard let batch else { break }
            do {
                try write(batch.lines, first: batch.first, status: batch.status)
                condition.withLock {
                    committed += Int64(batch.lines.count)
                    condition.broadcast()
                }
            } catch {
                let message = "cannot write to the state store: \(StoreError.from(error, at: store.location).description)"
                condition.withLock {
                    problem = message
                    condition.broadcast()
                }
                failed(message)
                break
            }
        }
        condition.withLock {
            running = false
            condition.broadcast()
        }
    }

    /// One statement: the sequence numbers come from this writer, so a batch retried after a lost reply is not doubled.
    private func write(_ lines: [String], first: Int64, status: Int32?) throws {
        let runID = runID
        try session.retrying(for: store.settings.retry) { sql in
            if !lines.isEmpty {
                try sql.run(
                    """
                    INSERT INTO runbook_events (run_id, seq, line)
                    SELECT \(runID), \(first) + n - 1, line FROM unnest(\(lines)::text[]) WITH ORDINALITY AS t(line, n)
                    ON CONFLICT DO NOTHING
                    """)
            }
            if let status {
                try sql.run("UPDATE runbook_runs SET finished_at = now(), exit_status = \(Int(status)) WHERE run_id = \(runID)")
            }
        }
    }
}

import Foundation
import PostgresNIO

/// Follows one run's events as they are written (`runbook watch`): LISTEN on the store's event channel
/// wakes it at once; a slow tick also checks whether the run's controller is still there (its leases).
public struct RunFollower: Sendable {
    public let store: PostgresStore
    public let runID: String

    public init(store: PostgresStore, runID: String) {
        self.store = store
        self.runID = runID
    }

    /// How following ended.
    public enum End: Sendable {
        /// The run finished with this exit status.
        case finished(Int32)
        /// The run's leases expired without a result: its controller died; the hosts need `rollback RUN`.
        case abandoned(String)
    }

    /// Calls `line` with every event line of the run, from the first, until the run ends.
    public func follow(tick: Double = 1, _ line: @escaping @Sendable (String) -> Void) async throws -> End {
        let listener = store.newSession()
        defer { listener.close() }
        let connection = try listener.connectionForListening()
        return try await connection.listen(on: "runbook_events") { notifications in
            let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let runID = runID
            let watcher = Task {
                do {
                    for try await notification in notifications where notification.payload == runID { wake.yield() }
                } catch {}
                wake.finish()
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(tick * 1_000_000_000))
                    wake.yield()
                }
            }
            defer {
                watcher.cancel()
                ticker.cancel()
            }
            // One cursor per writer: a rollout's workers write one run in ranges of their own.
            var cursors: [Int64: Int64] = [:]
            var quietSince = Date()
            wake.yield()
            for await _ in wakeups {
                let events = try store.events(of: runID, after: cursors)
                if !events.isEmpty { quietSince = Date() }
                for event in events {
                    cursors[event.seq >> 32] = event.seq
                    line(event.line)
                }
                if let status = try store.exitStatus(of: runID) {
                    // The run may have written its last events between the read above and its result.
                    for event in try store.events(of: runID, after: cursors) { line(event.line) }
                    return .finished(status)
                }
                // No result and no live lease for a TTL: the controller is gone.
                if Date().timeIntervalSince(quietSince) > store.settings.leaseTTL, try !store.hasLiveLease(runID) {
                    return .abandoned(
                        "run \(runID) stopped without a result and holds no live lease: its controller is gone; `runbook rollback \(runID) --state URL` undoes what it left"
                    )
                }
            }
            return .abandoned("the state store \(store.location) closed the notification channel")
        }
    }
}

extension PostgresStore {
    /// The run's exit status once it finished.
    public func exitStatus(of runID: String) throws -> Int32? {
        try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT exit_status FROM runbook_runs WHERE run_id = \(runID)").first?.decode(Int?.self).map { Int32($0) }
        }
    }

    /// True while some lease of the run is live (its controller renews it).
    public func hasLiveLease(_ runID: String) throws -> Bool {
        try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT count(*) FROM runbook_leases WHERE run_id = \(runID) AND expires_at > now()").first?.decode(Int.self) ?? 0 > 0
        }
    }
}

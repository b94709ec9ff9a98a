import Foundation

/// Keeps a run's leases alive: a thread of its own renews them every `settings.heartbeat` seconds on
/// its own connection. When a lease is lost (taken over, removed by `unlock --force`, expired) or the
/// store stays away past the bound, `lost` is told once and the keeper stops: the run starts no new change.
public final class LeaseKeeper: @unchecked Sendable {
    public let runID: String
    public let tokens: [String: Int64]
    private let store: PostgresStore
    private let session: StoreSession
    private let lost: @Sendable (String) -> Void
    private var heartbeat: Heartbeat?

    public init(store: PostgresStore, runID: String, tokens: [String: Int64], lost: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.runID = runID
        self.tokens = tokens
        self.lost = lost
        session = store.newSession()
        heartbeat = Heartbeat(
            name: "runbook.lease-heartbeat", interval: store.settings.heartbeat, beat: { [self] in renew() }, ended: { [self] in session.close() })
    }

    /// One renewal; false once a lease is lost (the keeper then stops).
    private func renew() -> Bool {
        do {
            let gone = try store.renew(runID: runID, tokens: tokens, using: session)
            if !gone.isEmpty {
                lost("the lease on \(gone.joined(separator: ", ")) was lost (taken over, removed by `unlock --force`, or expired)")
                return false
            }
            return true
        } catch {
            lost("cannot renew the leases: \(StoreError.from(error, at: store.location).description)")
            return false
        }
    }

    /// Stops renewing (the caller then releases or leaves the leases).
    public func stop() { heartbeat?.stop() }
}

import Foundation

/// Keeps a run's leases alive: a thread of its own renews them every `settings.heartbeat` seconds on
/// its own connection. When a lease is lost (taken over, removed by `unlock --force`, expired) or the
/// store stays away past the bound, `lost` is told once and the keeper stops: the run starts no new change.
public final class LeaseKeeper: @unchecked Sendable {
    public let runID: String
    public let tokens: [String: Int64]
    private let store: PostgresStore
    private let session: StoreSession
    private let condition = NSCondition()
    private var stopped = false
    private var running = true
    private let lost: @Sendable (String) -> Void

    public init(store: PostgresStore, runID: String, tokens: [String: Int64], lost: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.runID = runID
        self.tokens = tokens
        self.lost = lost
        session = store.newSession()
        let thread = Thread { [self] in loop() }
        thread.name = "runbook.lease-heartbeat"
        thread.start()
    }

    private func loop() {
        while true {
            let stop = condition.withLock { () -> Bool in
                if !stopped { _ = condition.wait(until: Date().addingTimeInterval(store.settings.heartbeat)) }
                return stopped
            }
            if stop { break }
            do {
                let gone = try store.renew(runID: runID, tokens: tokens, using: session)
                if !gone.isEmpty {
                    lost("the lease on \(gone.joined(separator: ", ")) was lost (taken over, removed by `unlock --force`, or expired)")
                    break
                }
            } catch {
                lost("cannot renew the leases: \(StoreError.from(error, at: store.location).description)")
                break
            }
        }
        condition.withLock {
            running = false
            condition.broadcast()
        }
        session.close()
    }

    /// Stops renewing (the caller then releases or leaves the leases).
    public func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }
}

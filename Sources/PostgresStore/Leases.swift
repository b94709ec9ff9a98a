import Foundation
import PostgresNIO

/// A host's lease as the store holds it.
public struct Lease: Sendable, Equatable {
    /// The host's identity (`user@address:port`, or `local@CONTROLLER`).
    public var host: String
    /// The host's inventory name, for people.
    public var name: String
    public var runID: String
    public var controller: String
    public var token: Int64
    public var since: String
    public var expires: String
    /// The TTL passed without a heartbeat: the run's controller is gone, and the host needs `rollback RUN`.
    public var expired: Bool

    /// What a refused run is told about this lease.
    public var refusal: String {
        expired
            ? "\(name) was left by run \(runID) (controller \(controller), since \(since)), needs rollback: `runbook rollback \(runID) --state URL`, or `runbook unlock --force --hosts \(name) --state URL`"
            : "\(name) is held by run \(runID) (controller \(controller), since \(since))"
    }
}

/// A host to lease: its identity and its inventory name.
public struct LeaseHost: Sendable, Hashable {
    public var key: String
    public var name: String

    public init(key: String, name: String) {
        self.key = key
        self.name = name
    }
}

/// Leases refused: the run starts nothing (exit 2).
public struct LeaseRefused: Error, CustomStringConvertible {
    public var leases: [Lease]
    public var description: String { leases.map(\.refusal).joined(separator: "\n") }
}

extension PostgresStore {
    /// Any number, the same in every runbook: lease changes take it, so two runs never both win a host.
    static let leaseLock: Int64 = 0x7275_6e62_6f6f_6b02

    private static let leaseColumns = """
        host, name, run_id, controller, token,
        to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        expires_at <= now()
        """

    static func lease(_ row: PostgresRow) throws -> Lease {
        let (host, name, run, controller, token, since, expires, expired) = try row.decode((String, String, String, String, Int64, String, String, Bool).self)
        return Lease(host: host, name: name, runID: run, controller: controller, token: token, since: since, expires: expires, expired: expired)
    }

    /// Takes a lease on every host for `runID`, all or none. Another run's lease (live, or left expired by
    /// a dead run) refuses them all. `takeOver` (a rollback of `runID`) takes the run's own expired
    /// leases; its live ones mean the run is still going, and are refused too. Returns the fencing tokens.
    public func acquire(_ hosts: [LeaseHost], runID: String, controller: String, takeOver: Bool = false) throws -> [String: Int64] {
        let keys = hosts.map(\.key)
        let ttl = settings.leaseTTL
        return try session.retrying(for: settings.retry) { sql in
            try sql.transaction { () throws -> [String: Int64] in
                try sql.run("SELECT pg_advisory_xact_lock(\(PostgresStore.leaseLock))")
                let held = try sql.run(
                    PostgresQuery(unsafeSQL: "SELECT \(PostgresStore.leaseColumns) FROM runbook_leases WHERE host = ANY($1)", binds: binds(keys))
                )
                .map(PostgresStore.lease)
                let refused = held.filter { lease in lease.runID != runID || !takeOver || !lease.expired }
                guard refused.isEmpty else { throw LeaseRefused(leases: refused) }
                var tokens: [String: Int64] = [:]
                for host in hosts {
                    let rows = try sql.run(
                        """
                        INSERT INTO runbook_leases (host, name, run_id, controller, token, expires_at)
                        VALUES (\(host.key), \(host.name), \(runID), \(controller), nextval('runbook_fencing'), now() + make_interval(secs => \(ttl)))
                        ON CONFLICT (host) DO UPDATE SET name = EXCLUDED.name, run_id = EXCLUDED.run_id, controller = EXCLUDED.controller,
                            token = EXCLUDED.token, acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
                        RETURNING token
                        """)
                    tokens[host.key] = try rows.first?.decode(Int64.self)
                }
                return tokens
            }
        }
    }

    /// Renews the leases still held under these tokens; returns the hosts whose lease was lost (taken,
    /// removed by `unlock --force`, or expired before this heartbeat).
    func renew(runID: String, tokens: [String: Int64], using session: StoreSession? = nil) throws -> [String] {
        let ttl = settings.leaseTTL
        let values = Array(tokens.values)
        let bound = min(settings.retry, max(1, settings.leaseTTL - settings.heartbeat))
        let renewed: Set<String> = try (session ?? self.session).retrying(for: bound) { sql in
            Set(
                try sql.run(
                    """
                    UPDATE runbook_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => \(ttl))
                    WHERE run_id = \(runID) AND token = ANY(\(values)) AND expires_at > now() RETURNING host
                    """
                ).map { try $0.decode(String.self) })
        }
        return tokens.keys.filter { !renewed.contains($0) }.sorted()
    }

    /// Gives the leases back (the run is over and left its hosts consistent).
    public func release(runID: String, tokens: [String: Int64]) throws {
        let values = Array(tokens.values)
        try session.retrying(for: settings.retry) { sql in
            try sql.run("DELETE FROM runbook_leases WHERE run_id = \(runID) AND token = ANY(\(values))")
        }
    }

    /// Marks the leases as left (expired now): the run ended with hosts in an unknown state.
    public func leave(runID: String, tokens: [String: Int64]) throws {
        let values = Array(tokens.values)
        try session.retrying(for: settings.retry) { sql in
            try sql.run("UPDATE runbook_leases SET expires_at = now() WHERE run_id = \(runID) AND token = ANY(\(values))")
        }
    }

    /// Every lease, by host name.
    public func leases() throws -> [Lease] {
        try session.retrying(for: settings.retry) { sql in
            try sql.run(PostgresQuery(unsafeSQL: "SELECT \(PostgresStore.leaseColumns) FROM runbook_leases ORDER BY name, host")).map(PostgresStore.lease)
        }
    }

    /// Removes the leases of these hosts, whoever holds them (`unlock --force`); returns what was removed.
    public func forceRelease(_ keys: [String]) throws -> [Lease] {
        try session.retrying(for: settings.retry) { sql in
            try sql.transaction {
                try sql.run("SELECT pg_advisory_xact_lock(\(PostgresStore.leaseLock))")
                return try sql.run(
                    PostgresQuery(unsafeSQL: "DELETE FROM runbook_leases WHERE host = ANY($1) RETURNING \(PostgresStore.leaseColumns)", binds: binds(keys))
                ).map(PostgresStore.lease)
            }
        }
    }
}

/// One bind: a text array.
private func binds(_ keys: [String]) -> PostgresBindings {
    var bindings = PostgresBindings()
    bindings.append(keys)
    return bindings
}

import Foundation
import PostgresNIO

/// One rollout spread over several workers (`apply --workers N`, `runbook worker`): the saved plan,
/// a row per host (its batch, state and claim) and the workers. Claims, the failure budget and the
/// canary gate are decided in one transaction that locks the rollout's row, so no two workers ever
/// claim past the budget or into the next batch.
public enum Rollouts {
    static let migration: [String] = [
        """
        CREATE TABLE runbook_rollouts (
            rollout_id text PRIMARY KEY REFERENCES runbook_runs (run_id) ON DELETE CASCADE,
            plan text NOT NULL,
            workers integer NOT NULL,
            pause double precision NOT NULL DEFAULT 0,
            fleet boolean NOT NULL DEFAULT false,
            state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'running', 'stopping', 'finishing', 'done')),
            stopped_by text,
            created_at timestamptz NOT NULL DEFAULT now())
        """,
        """
        CREATE TABLE runbook_rollout_workers (
            rollout_id text NOT NULL REFERENCES runbook_rollouts ON DELETE CASCADE,
            worker text NOT NULL,
            refused text,
            registered_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (rollout_id, worker))
        """,
        // A host's claim is its lease within the rollout: holder worker, fencing token, expiry.
        """
        CREATE TABLE runbook_rollout_hosts (
            rollout_id text NOT NULL REFERENCES runbook_rollouts ON DELETE CASCADE,
            host text NOT NULL,
            position integer NOT NULL,
            batch integer NOT NULL,
            state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'passed', 'failed', 'rolled_back')),
            worker text,
            token bigint,
            expires_at timestamptz,
            attempts integer NOT NULL DEFAULT 0,
            finish text CHECK (finish IN ('rollback', 'cleanup')),
            result text,
            message text,
            finished_at timestamptz,
            PRIMARY KEY (rollout_id, host))
        """,
        "CREATE INDEX runbook_rollout_hosts_batch ON runbook_rollout_hosts (rollout_id, batch, state, position)",
    ]

    /// A host of a rollout as the store holds it.
    public struct Host: Sendable, Equatable {
        public var name: String
        public var batch: Int
        /// pending, claimed, passed, failed or rolled_back.
        public var state: String
        public var worker: String?
        /// The host's result (`HostResult`'s raw value) once it has one.
        public var result: String?
        public var message: String?
        /// With `rollback: fleet`, what a passed host still needs once the rollout's fate is known.
        public var finish: String?
    }

    /// A worker of a rollout.
    public struct Worker: Sendable, Equatable {
        public var name: String
        /// Why it refused the plan, if it did.
        public var refused: String?
        public var alive: Bool
    }

    /// What a claim gave a worker.
    public enum Claim: Sendable, Equatable {
        /// Run this host under this fencing token.
        case run(host: String, token: Int64)
        /// A worker stopped renewing its claim on this host: put it back (or release it) under this token.
        case takeOver(host: String, token: Int64, from: String)
        /// With `rollback: fleet`: roll this passed host back with the fleet, or remove what it moved aside.
        case finish(host: String, token: Int64, rollback: Bool)
        /// Nothing to claim now (the batch is in flight, a pause runs, the rollout waits for workers).
        case wait
        /// Nothing more will be claimed: the rollout is over or stopping with nothing left in flight.
        case over
    }
}

extension PostgresStore {
    /// Saves a rollout: its plan, its hosts in order with their batch (0 is the canary batch when
    /// there is one), the workers it waits for and the pause between batches.
    public func createRollout(id: String, plan: String, hosts: [(name: String, batch: Int)], workers: Int, pause: Double, fleet: Bool) throws {
        let names = hosts.map(\.name)
        let batches = hosts.map(\.batch)
        try session.retrying(for: settings.retry) { sql in
            try sql.transaction {
                try sql.run(
                    "INSERT INTO runbook_rollouts (rollout_id, plan, workers, pause, fleet) VALUES (\(id), \(plan), \(workers), \(pause), \(fleet))")
                try sql.run(
                    """
                    INSERT INTO runbook_rollout_hosts (rollout_id, host, position, batch)
                    SELECT \(id), host, n, batch FROM unnest(\(names)::text[], \(batches)::integer[]) WITH ORDINALITY AS t(host, batch, n)
                    """)
            }
        }
    }

    /// The oldest rollout still open (waiting for workers or running), with its plan; or stopping or
    /// finishing while its coordinator lives: a dead worker's claims, and the fleet's cleanup or
    /// rollback, still need a worker (one started then serves them).
    public func openRollout(skipping: Set<String> = []) throws -> (id: String, plan: String)? {
        let skipped = Array(skipping)
        return try session.retrying(for: settings.retry) { sql in
            try sql.run(
                """
                SELECT rollout_id, plan FROM runbook_rollouts r WHERE NOT (rollout_id = ANY(\(skipped)::text[])) AND (state IN ('waiting', 'running')
                    OR (state IN ('stopping', 'finishing') AND EXISTS (SELECT 1 FROM runbook_leases l WHERE l.run_id = r.rollout_id AND l.expires_at > now())))
                ORDER BY created_at, rollout_id LIMIT 1
                """
            ).first.map { row in try row.decode((String, String).self) }
        }
    }

    /// Registers a worker (or its refusal of the plan); a registered worker renews itself by heartbeat.
    public func register(worker: String, rollout: String, refused: String? = nil) throws {
        let ttl = settings.leaseTTL
        try session.retrying(for: settings.retry) { sql in
            try sql.run(
                """
                INSERT INTO runbook_rollout_workers (rollout_id, worker, refused, expires_at) VALUES (\(rollout), \(worker), \(refused), now() + make_interval(secs => \(ttl)))
                ON CONFLICT (rollout_id, worker) DO UPDATE SET refused = EXCLUDED.refused, expires_at = EXCLUDED.expires_at
                """)
        }
    }

    public func workers(of rollout: String) throws -> [Rollouts.Worker] {
        try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT worker, refused, expires_at > now() FROM runbook_rollout_workers WHERE rollout_id = \(rollout) ORDER BY registered_at, worker")
                .map { row in
                    let (name, refused, alive) = try row.decode((String, String?, Bool).self)
                    return Rollouts.Worker(name: name, refused: refused, alive: alive)
                }
        }
    }

    /// The rollout's state (waiting, running, stopping, done) and what stopped it.
    public func rolloutState(_ rollout: String) throws -> (state: String, stoppedBy: String?)? {
        try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT state, stopped_by FROM runbook_rollouts WHERE rollout_id = \(rollout)").first.map { try $0.decode((String, String?).self) }
        }
    }

    /// Moves the rollout on: `running` once its workers are there, `stopping` (no new claim, with why)
    /// or `done`. A rollout already stopping keeps its first reason.
    public func setRolloutState(_ rollout: String, _ state: String, stoppedBy: String? = nil) throws {
        try session.retrying(for: settings.retry) { sql in
            try sql.run(
                "UPDATE runbook_rollouts SET state = \(state), stopped_by = coalesce(stopped_by, \(stoppedBy)) WHERE rollout_id = \(rollout) AND state <> 'done'"
            )
        }
    }

    public func rolloutHosts(_ rollout: String) throws -> [Rollouts.Host] {
        try session.retrying(for: settings.retry) { sql in
            try sql.run(
                "SELECT host, batch, state, worker, result, message, finish FROM runbook_rollout_hosts WHERE rollout_id = \(rollout) ORDER BY position"
            ).map {
                let (name, batch, state, worker, result, message, finish) = try $0.decode((String, Int, String, String?, String?, String?, String?).self)
                return Rollouts.Host(name: name, batch: batch, state: state, worker: worker, result: result, message: message, finish: finish)
            }
        }
    }

    /// One claim, in one transaction under the rollout's row lock. First a host whose claim expired (its
    /// worker died: it must be put back whatever the budget); then, unless the rollout stops, a pending
    /// host of the current batch (the lowest with a host not done), skipping hosts other workers are
    /// claiming (`FOR UPDATE SKIP LOCKED`). `stopReason(failed, done)` is asked before a claim (with
    /// `everyClaim` false, only before a batch's first claim, as a percentage budget is read per batch);
    /// a reason stops the rollout: no worker claims past the budget or past a failed canary.
    public func claim(
        rollout: String, worker: String, everyClaim: Bool, stopReason: (_ failed: Int, _ done: Int) -> String?
    ) throws -> Rollouts.Claim {
        let ttl = settings.leaseTTL
        return try session.retrying(for: settings.retry) { sql in
            try sql.transaction { () throws -> Rollouts.Claim in
                guard let row = try sql.run("SELECT state, pause, fleet FROM runbook_rollouts WHERE rollout_id = \(rollout) FOR UPDATE").first else {
                    return .over
                }
                let (state, pause, fleet) = try row.decode((String, Double, Bool).self)
                // The coordinator renews the rollout's host leases: without a live one it is gone, and nobody
                // will decide the rollout's end: no new host is started (in-flight ones finish).
                let live = try sql.run("SELECT count(*) FROM runbook_leases WHERE run_id = \(rollout) AND expires_at > now()").first?.decode(Int.self) ?? 0
                if live == 0, state == "running" {
                    try sql.run(
                        """
                        UPDATE runbook_rollouts SET state = 'stopping', stopped_by = coalesce(stopped_by, 'its coordinator stopped renewing the leases')
                        WHERE rollout_id = \(rollout)
                        """)
                }
                // With rollback: fleet, passed hosts wait for the rollout's fate (cleanup or rollback): workers stay until it is done.
                let idle: Rollouts.Claim = fleet && live > 0 ? .wait : .over
                if state == "done" { return .over }
                if state == "waiting" { return live > 0 ? .wait : .over }
                if let stale = try sql.run(
                    """
                    SELECT host, worker, finish FROM runbook_rollout_hosts WHERE rollout_id = \(rollout) AND state = 'claimed' AND expires_at <= now()
                    ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED
                    """
                ).first {
                    let (host, from, finish) = try stale.decode((String, String?, String?).self)
                    let token = try take(sql, rollout: rollout, host: host, worker: worker, ttl: ttl)
                    if let finish { return .finish(host: host, token: token, rollback: finish == "rollback") }
                    return .takeOver(host: host, token: token, from: from ?? "?")
                }
                if state == "finishing" {
                    // Newest first, as one controller rolls a fleet back.
                    guard
                        let pick = try sql.run(
                            """
                            SELECT host, finish FROM runbook_rollout_hosts WHERE rollout_id = \(rollout) AND state = 'passed' AND finish IS NOT NULL
                            ORDER BY finished_at DESC, position DESC LIMIT 1 FOR UPDATE SKIP LOCKED
                            """
                        ).first
                    else { return live > 0 ? .wait : .over }
                    let (host, finish) = try pick.decode((String, String).self)
                    return .finish(host: host, token: try take(sql, rollout: rollout, host: host, worker: worker, ttl: ttl), rollback: finish == "rollback")
                }
                guard
                    let counts = try sql.run(
                        """
                        SELECT count(*) FILTER (WHERE state IN ('failed', 'rolled_back')), count(*) FILTER (WHERE state IN ('passed', 'failed', 'rolled_back')),
                            count(*) FILTER (WHERE state = 'claimed'), min(batch) FILTER (WHERE state IN ('pending', 'claimed'))
                        FROM runbook_rollout_hosts WHERE rollout_id = \(rollout)
                        """
                    ).first
                else { return .over }
                let (failed, done, claimed, current) = try counts.decode((Int, Int, Int, Int?).self)
                guard let current, state == "running", live > 0 else { return claimed > 0 ? .wait : idle }
                let started =
                    try sql.run("SELECT count(*) FROM runbook_rollout_hosts WHERE rollout_id = \(rollout) AND batch = \(current) AND state <> 'pending'")
                    .first?.decode(Int.self) ?? 0
                if everyClaim || started == 0, let reason = stopReason(failed, done) {
                    try sql.run("UPDATE runbook_rollouts SET state = 'stopping', stopped_by = coalesce(stopped_by, \(reason)) WHERE rollout_id = \(rollout)")
                    return claimed > 0 ? .wait : idle
                }
                if started == 0, current > 0, pause > 0 {
                    let waited =
                        try sql.run(
                            """
                            SELECT coalesce(max(finished_at), now()) + make_interval(secs => \(pause)) <= now() FROM runbook_rollout_hosts
                            WHERE rollout_id = \(rollout) AND batch < \(current)
                            """
                        ).first?.decode(Bool.self) ?? true
                    if !waited { return .wait }
                }
                guard
                    let pick = try sql.run(
                        """
                        SELECT host FROM runbook_rollout_hosts WHERE rollout_id = \(rollout) AND batch = \(current) AND state = 'pending'
                        ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED
                        """
                    ).first
                else { return .wait }
                let host = try pick.decode(String.self)
                return .run(host: host, token: try take(sql, rollout: rollout, host: host, worker: worker, ttl: ttl))
            }
        }
    }

    private func take(_ sql: Statements, rollout: String, host: String, worker: String, ttl: Double) throws -> Int64 {
        try sql.run(
            """
            UPDATE runbook_rollout_hosts SET state = 'claimed', worker = \(worker), token = nextval('runbook_fencing'),
                expires_at = now() + make_interval(secs => \(ttl)), attempts = attempts + 1
            WHERE rollout_id = \(rollout) AND host = \(host) RETURNING token
            """
        ).first?.decode(Int64.self) ?? 0
    }

    /// Records a host's end under its claim's token: `state` passed, failed or rolled_back, or pending
    /// (a taken-over host its dead worker never changed: it runs again). False when the claim was lost
    /// (taken over by another worker): the report is ignored.
    @discardableResult
    public func report(rollout: String, host: String, token: Int64, state: String, result: String?, message: String?) throws -> Bool {
        try session.retrying(for: settings.retry) { sql in
            !(try sql.run(
                """
                UPDATE runbook_rollout_hosts SET state = \(state), result = coalesce(\(result), result), message = coalesce(\(message), message), finish = NULL,
                    finished_at = CASE WHEN \(state) = 'pending' THEN NULL ELSE now() END, expires_at = NULL,
                    worker = CASE WHEN \(state) = 'pending' THEN NULL ELSE worker END
                WHERE rollout_id = \(rollout) AND host = \(host) AND token = \(token) AND state = 'claimed' RETURNING host
                """
            ).isEmpty)
        }
    }

    /// With `rollback: fleet`, once nothing more runs: every passed host is to be rolled back with the
    /// fleet (`rollback`) or cleaned up, claimed by the workers newest first.
    public func finishFleet(_ rollout: String, rollback: Bool) throws {
        let finish = rollback ? "rollback" : "cleanup"
        try session.retrying(for: settings.retry) { sql in
            try sql.transaction {
                try sql.run("UPDATE runbook_rollout_hosts SET finish = \(finish) WHERE rollout_id = \(rollout) AND state = 'passed'")
                try sql.run("UPDATE runbook_rollouts SET state = 'finishing' WHERE rollout_id = \(rollout)")
            }
        }
    }

    /// Renews the worker and its claims; returns the tokens of claims it no longer holds.
    func renewClaims(rollout: String, worker: String, tokens: [Int64], using session: StoreSession) throws -> [Int64] {
        let ttl = settings.leaseTTL
        let bound = min(settings.retry, max(1, settings.leaseTTL - settings.heartbeat))
        return try session.retrying(for: bound) { sql in
            try sql.run(
                "UPDATE runbook_rollout_workers SET expires_at = now() + make_interval(secs => \(ttl)) WHERE rollout_id = \(rollout) AND worker = \(worker)")
            let renewed = Set(
                try sql.run(
                    """
                    UPDATE runbook_rollout_hosts SET expires_at = now() + make_interval(secs => \(ttl))
                    WHERE rollout_id = \(rollout) AND worker = \(worker) AND state = 'claimed' AND token = ANY(\(tokens)) AND expires_at > now() RETURNING token
                    """
                ).map { try $0.decode(Int64.self) })
            return tokens.filter { !renewed.contains($0) }
        }
    }
}

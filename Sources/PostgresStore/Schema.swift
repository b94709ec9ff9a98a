import PostgresNIO

/// The store's tables, created and migrated by runbook itself: each migration runs once, in order, in
/// one transaction with the version it brings, under an advisory lock (two controllers starting at
/// once migrate once). A database migrated by a newer runbook is refused, changing nothing.
public enum Schema {
    /// One step of the schema.
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        var statements: [String]
    }

    /// Any number, the same in every runbook: the advisory lock that serializes migrations.
    static let migrationLock: Int64 = 0x7275_6e62_6f6f_6b01

    /// Every migration, oldest first; the last one's version is the schema this binary knows.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "runs, their write-ahead records and events",
            statements: [
                """
                CREATE TABLE runbook_runs (
                    run_id text PRIMARY KEY,
                    header text NOT NULL,
                    runbook text NOT NULL,
                    pattern text NOT NULL,
                    hosts text[] NOT NULL,
                    controller text NOT NULL,
                    user_name text NOT NULL,
                    started_at timestamptz NOT NULL DEFAULT now(),
                    finished_at timestamptz,
                    exit_status integer,
                    duration double precision)
                """,
                "CREATE INDEX runbook_runs_started ON runbook_runs (started_at DESC)",
                "CREATE INDEX runbook_runs_hosts ON runbook_runs USING gin (hosts)",
                // One ordered stream per run: write-ahead records (kind 'record') and events (kind 'event').
                """
                CREATE TABLE runbook_entries (
                    run_id text NOT NULL REFERENCES runbook_runs ON DELETE CASCADE,
                    seq bigint NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('record', 'event')),
                    body text NOT NULL,
                    PRIMARY KEY (run_id, seq))
                """,
                // Watchers (`runbook watch`) LISTEN on one channel; the payload names the run.
                """
                CREATE FUNCTION runbook_entries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('runbook_events', NEW.run_id);
                    RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER runbook_entries_notify AFTER INSERT ON runbook_entries FOR EACH ROW EXECUTE FUNCTION runbook_entries_notify()",
            ]),
        Migration(
            version: 2, name: "host leases",
            statements: [
                """
                CREATE TABLE runbook_leases (
                    host text PRIMARY KEY,
                    name text NOT NULL,
                    run_id text NOT NULL,
                    controller text NOT NULL,
                    token bigint NOT NULL,
                    acquired_at timestamptz NOT NULL DEFAULT now(),
                    renewed_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL)
                """,
                // Fencing tokens only grow: a holder that lost its lease can tell, by its token, that it did.
                "CREATE SEQUENCE runbook_fencing",
            ]),
        Migration(version: 3, name: "rollouts shared by workers", statements: Rollouts.migration),
    ]

    /// The newest schema version this binary knows.
    public static var current: Int { migrations.last?.version ?? 0 }

    /// Brings the database to `target` (default: the newest), returning the versions applied. A newer
    /// schema than this binary knows is refused with a clear message.
    @discardableResult
    static func migrate(_ sql: Statements, to target: Int = Schema.current) throws -> [Int] {
        try sql.transaction {
            try sql.run("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try sql.run(
                "CREATE TABLE IF NOT EXISTS runbook_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            let found = try sql.run("SELECT coalesce(max(version), 0) FROM runbook_migrations")
            let version = try found.first?.decode(Int.self) ?? 0
            if version > current {
                throw StoreError(
                    "the state store \(sql.location) has schema version \(version), newer than this runbook knows (\(current)): use a newer runbook, or another database"
                )
            }
            var applied: [Int] = []
            for migration in migrations where migration.version > version && migration.version <= target {
                for statement in migration.statements { try sql.run(PostgresQuery(unsafeSQL: statement)) }
                try sql.run("INSERT INTO runbook_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                applied.append(migration.version)
            }
            return applied
        }
    }

    /// Refuses a database whose schema is newer than this binary knows, changing nothing.
    static func check(_ sql: Statements) throws {
        let version = try version(sql)
        if version > current {
            throw StoreError(
                "the state store \(sql.location) has schema version \(version), newer than this runbook knows (\(current)): use a newer runbook, or another database"
            )
        }
    }

    /// The schema version of the database (0 when runbook never used it).
    static func version(_ sql: Statements) throws -> Int {
        let exists = try sql.run("SELECT to_regclass('runbook_migrations') IS NOT NULL")
        guard try exists.first?.decode(Bool.self) == true else { return 0 }
        return try sql.run("SELECT coalesce(max(version), 0) FROM runbook_migrations").first?.decode(Int.self) ?? 0
    }
}

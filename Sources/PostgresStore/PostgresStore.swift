import Foundation
import PostgresNIO
import RunEvents
import StateStore

/// The settings of the shared store; tests make them seconds.
public struct StoreSettings: Sendable {
    /// How long a lease lives without a heartbeat (`RUNBOOK_LEASE_TTL`, default 60 s).
    public var leaseTTL: Double
    /// How often a run renews its leases (`RUNBOOK_LEASE_HEARTBEAT`, default a third of the TTL).
    public var heartbeat: Double
    /// How long a store outage is retried before the run starts no new change (`RUNBOOK_STATE_RETRY`, default 15 s).
    public var retry: Double

    public init(leaseTTL: Double = 60, heartbeat: Double? = nil, retry: Double = 15) {
        self.leaseTTL = leaseTTL
        self.heartbeat = heartbeat ?? leaseTTL / 3
        self.retry = retry
    }

    /// The settings the environment gives; a value that is not a positive number is an error.
    public static func from(_ environment: [String: String]) throws -> StoreSettings {
        func seconds(_ name: String) throws -> Double? {
            guard let text = environment[name] else { return nil }
            guard let value = Double(text), value > 0, value < 86400 else { throw StoreError("\(name) takes seconds (a positive number), not `\(text)`") }
            return value
        }
        let ttl = try seconds("RUNBOOK_LEASE_TTL") ?? 60
        let settings = StoreSettings(leaseTTL: ttl, heartbeat: try seconds("RUNBOOK_LEASE_HEARTBEAT"), retry: try seconds("RUNBOOK_STATE_RETRY") ?? 15)
        guard settings.heartbeat < settings.leaseTTL else {
            throw StoreError("RUNBOOK_LEASE_HEARTBEAT (\(settings.heartbeat) s) must be shorter than RUNBOOK_LEASE_TTL (\(settings.leaseTTL) s)")
        }
        return settings
    }
}

/// The shared state store in PostgreSQL: runs, their write-ahead records and events, and host leases,
/// for several controllers. One value serves a whole process; each run being written has a writer thread.
public final class PostgresStore: StateStore, @unchecked Sendable {
    public let location: StoreLocation
    public let settings: StoreSettings
    let session: StoreSession
    private let configuration: PostgresConnection.Configuration
    private let lock = NSLock()
    private var writers: [String: StoreWriter] = [:]
    private let latch: FailureLatch

    /// Opens the store at `url` and brings its schema up to date (`migrateTo`: tests stop earlier; nil
    /// leaves it as it is). `failed` is told once when a write fails past the retry bound.
    public init(
        url: String, settings: StoreSettings = StoreSettings(), environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory(), migrateTo target: Int? = Schema.current, failed: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StoreError) {
        let location: StoreLocation
        do {
            location = try StoreLocation(parsing: url, environment: environment)
            configuration = try location.configuration(password: location.password(environment: environment, home: home))
        } catch {
            throw StoreError(error.description)
        }
        self.location = location
        self.settings = settings
        latch = FailureLatch(failed: failed)
        session = StoreSession(location: location, configuration: configuration)
        do {
            if let target {
                try session.retrying(for: settings.retry) { try Schema.migrate($0, to: target) }
            } else {
                try session.retrying(for: settings.retry) { try Schema.check($0) }
            }
        } catch {
            session.close()
            throw StoreError.from(error, at: location)
        }
    }

    /// A second connection to the same store (a heartbeat or a writer has its own).
    func newSession() -> StoreSession { StoreSession(location: location, configuration: configuration) }

    /// The schema version of the database.
    public func schemaVersion() throws -> Int { try session.retrying(for: settings.retry) { try Schema.version($0) } }

    /// Applies the migrations up to `target`; returns the versions applied.
    @discardableResult
    public func migrate(to target: Int = Schema.current) throws -> [Int] {
        try session.retrying(for: settings.retry) { try Schema.migrate($0, to: target) }
    }

    /// Why the store stopped being written, if it did.
    public var failure: String? { latch.failure }

    private func fail(_ message: String) -> StateStoreError { latch.fail(message) }

    private func writer(_ runID: String) -> StoreWriter? { lock.withLock { writers[runID] } }

    private func startWriter(_ runID: String, firstSeq: Int64) {
        let writer = StoreWriter(store: self, runID: runID, firstSeq: firstSeq) { [weak self] message in _ = self?.fail(message) }
        lock.withLock { writers[runID] = writer }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func text(_ value: some Encodable) -> String? {
        (try? encoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: StateStore

    public func create(_ header: RunHeader) async throws(StateStoreError) {
        guard let text = PostgresStore.text(header) else { throw fail("cannot encode the run header") }
        let inserted: Bool
        do {
            inserted = try session.retrying(for: settings.retry) { sql in
                !(try sql.run(
                    """
                    INSERT INTO runbook_runs (run_id, header, runbook, pattern, hosts, controller, user_name, started_at)
                    VALUES (\(header.runID), \(text), \(header.runbook), \(header.pattern), \(header.hosts.map(\.name)), \(header.controller),
                        \(header.user), \(header.started))
                    ON CONFLICT (run_id) DO NOTHING RETURNING run_id
                    """
                ).isEmpty)
            }
        } catch {
            throw fail(StoreError.from(error, at: location).description)
        }
        guard inserted else { throw .conflict(header.runID) }
        startWriter(header.runID, firstSeq: 1)
    }

    public func append(_ records: [WriteAheadRecord], to runID: String) async throws(StateStoreError) {
        if let problem = failure { throw .unwritable(problem) }
        guard let writer = writer(runID) else { throw .unwritable("run \(runID) is not open for writing in the state store") }
        let bodies = records.compactMap { PostgresStore.text($0) }
        guard bodies.count == records.count else { throw fail("cannot encode a write-ahead record") }
        guard let seq = writer.enqueue(.record, bodies) else { throw .unwritable(failure ?? "the state store failed") }
        if let problem = await writer.durable(seq) { throw .unwritable(problem) }
    }

    public func append(events: [RunEvent], to runID: String) async throws(StateStoreError) {
        if let problem = failure { throw .unwritable(problem) }
        writer(runID)?.enqueue(.event, events.map(\.jsonLine))
    }

    /// Queues one event without waiting (the event bus calls this under its lock).
    public func record(_ event: RunEvent, to runID: String) {
        writer(runID)?.enqueue(.event, [event.jsonLine])
    }

    /// Makes every queued entry of the run durable (at most the retry bound); returns the problem, if any.
    @discardableResult
    public func flush(_ runID: String) -> String? {
        // The second Ctrl-C calls this just before `_exit`: a store that does not answer gets 2 s.
        writer(runID)?.flush(within: min(settings.retry, 2)) ?? failure
    }

    public func finish(_ runID: String, exitStatus: Int32, duration: Double) async throws(StateStoreError) {
        guard let writer = writer(runID) else { return }
        let problem = writer.finish(status: exitStatus, duration: duration, within: settings.retry + 5)
        close(runID)
        if let problem { throw fail(problem) }
    }

    /// Opens an existing run for more entries (`rollback RUN` appends its undos).
    public func reopen(_ runID: String) throws(StateStoreError) {
        let last: Int64
        do {
            last = try session.retrying(for: settings.retry) { sql in
                try sql.run("SELECT coalesce(max(seq), 0) FROM runbook_entries WHERE run_id = \(runID)").first?.decode(Int64.self) ?? 0
            }
        } catch {
            throw fail(StoreError.from(error, at: location).description)
        }
        startWriter(runID, firstSeq: last + 1)
    }

    /// Writes what is queued for the run and stops its writer.
    public func close(_ runID: String) {
        let writer = lock.withLock { writers.removeValue(forKey: runID) }
        writer?.close()
    }

    public func list(_ query: RunQuery) async throws(StateStoreError) -> [RunListing] {
        do {
            return try session.retrying(for: settings.retry) { sql in
                let rows =
                    if let host = query.host {
                        try sql.run(
                            """
                            SELECT run_id, runbook, pattern, hosts, started_at, controller, user_name, exit_status, duration FROM runbook_runs
                            WHERE hosts @> ARRAY[\(host)]::text[] ORDER BY started_at DESC, run_id DESC LIMIT \(query.limit)
                            """)
                    } else {
                        try sql.run(
                            """
                            SELECT run_id, runbook, pattern, hosts, started_at, controller, user_name, exit_status, duration FROM runbook_runs
                            ORDER BY started_at DESC, run_id DESC LIMIT \(query.limit)
                            """)
                    }
                return try rows.map { row in
                    let (id, runbook, pattern, hosts, started, controller, user, status, duration) = try row.decode(
                        (String, String, String, [String], Date, String, String, Int?, Double?).self)
                    return RunListing(
                        runID: id, runbook: runbook, pattern: pattern, hosts: hosts, started: started, controller: controller, user: user,
                        exitStatus: status.map { Int32($0) }, duration: duration)
                }
            }
        } catch {
            throw .unreadable(StoreError.from(error, at: location).description)
        }
    }

    public func load(_ id: String) async throws(StateStoreError) -> StoredRun {
        let found: (matches: [String], run: (header: String, status: Int?, entries: [(String, String)])?)
        do {
            found = try session.retrying(for: settings.retry) { sql in
                let matches = try sql.run("SELECT run_id FROM runbook_runs WHERE starts_with(run_id, \(id)) ORDER BY run_id LIMIT 20").map {
                    try $0.decode(String.self)
                }
                let chosen = matches.contains(id) ? [id] : matches
                guard chosen.count == 1, let runID = chosen.first else { return (chosen, nil) }
                guard let row = try sql.run("SELECT header, exit_status FROM runbook_runs WHERE run_id = \(runID)").first else { return ([], nil) }
                let (header, status) = try row.decode((String, Int?).self)
                let entries = try sql.run("SELECT kind, body FROM runbook_entries WHERE run_id = \(runID) ORDER BY seq").map {
                    try $0.decode((String, String).self)
                }
                return (chosen, (header, status, entries))
            }
        } catch {
            throw .unreadable(StoreError.from(error, at: location).description)
        }
        guard let run = found.run else {
            if found.matches.isEmpty { throw .notFound(id) }
            throw .ambiguous(id, found.matches)
        }
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(RunHeader.self, from: Data(run.header.utf8)) else {
            throw .unreadable("run \(id) in the state store \(location) has a header this runbook cannot read (written by a newer one?)")
        }
        guard header.schemaVersion <= RunHeader.currentSchema else {
            throw .unreadable("run \(id) was recorded in format \(header.schemaVersion), newer than this runbook reads (\(RunHeader.currentSchema))")
        }
        var records: [WriteAheadRecord] = []
        var events: [RunEvent] = []
        var problems: [String] = []
        for (offset, entry) in run.entries.enumerated() {
            if entry.0 == "record" {
                if let record = try? decoder.decode(WriteAheadRecord.self, from: Data(entry.1.utf8)) {
                    records.append(record)
                } else {
                    problems.append("write-ahead record \(offset + 1) cannot be read")
                }
            } else if let event = try? RunEvent.decode(jsonLine: entry.1) {
                events.append(event)
            } else {
                problems.append("event \(offset + 1) cannot be read (written by a newer runbook?)")
            }
        }
        return StoredRun(header: header, records: records, events: events, exitStatus: run.status.map { Int32($0) }, problems: problems)
    }

    public func prune(_ policy: RetentionPolicy) async throws(StateStoreError) -> [String] {
        let maxAge = policy.maxAge ?? 0
        do {
            return try session.retrying(for: settings.retry) { sql in
                try sql.run(
                    """
                    DELETE FROM runbook_runs WHERE run_id IN (
                        SELECT run_id FROM runbook_runs WHERE finished_at IS NOT NULL ORDER BY started_at DESC OFFSET \(policy.keep))
                    AND started_at < now() - make_interval(secs => \(maxAge))
                    RETURNING run_id
                    """
                ).map { try $0.decode(String.self) }
            }
        } catch {
            throw .unwritable(StoreError.from(error, at: location).description)
        }
    }

    /// Entries of a run after `seq` (events only), with their sequence numbers, for `runbook watch`.
    public func events(of runID: String, after seq: Int64) throws -> [(seq: Int64, line: String)] {
        try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT seq, body FROM runbook_entries WHERE run_id = \(runID) AND seq > \(seq) AND kind = 'event' ORDER BY seq").map {
                let (seq, line) = try $0.decode((Int64, String).self)
                return (seq, line)
            }
        }
    }

    public func close() {
        let open = lock.withLock { Array(writers.keys) }
        for runID in open { close(runID) }
        session.close()
    }
}

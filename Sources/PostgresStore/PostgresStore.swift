import Foundation
import Journal
import PostgresNIO
import RunEvents

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

/// The shared state store in PostgreSQL: runs, their events, and host leases, for several controllers.
public final class PostgresStore: Sendable {
    public let location: StoreLocation
    public let settings: StoreSettings
    let session: StoreSession
    private let configuration: PostgresConnection.Configuration

    /// Opens the store at `url` and brings its schema up to date (`migrateTo`: tests stop earlier).
    public init(
        url: String, settings: StoreSettings = StoreSettings(), environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory(), migrateTo target: Int? = Schema.current
    ) throws {
        let location: StoreLocation
        do {
            location = try StoreLocation(parsing: url, environment: environment)
            configuration = try location.configuration(password: location.password(environment: environment, home: home))
        } catch {
            throw StoreError(error.description)
        }
        self.location = location
        self.settings = settings
        session = StoreSession(location: location, configuration: configuration)
        if let target {
            do {
                try session.retrying(for: settings.retry) { try Schema.migrate($0, to: target) }
            } catch {
                throw StoreError.from(error, at: location)
            }
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

    public func close() { session.close() }

    // MARK: Runs

    static func encode(_ header: JournalHeader) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(header)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Records a new run (its header) before anything runs; a run id already there is refused.
    public func begin(_ header: JournalHeader) throws {
        let text = PostgresStore.encode(header)
        try session.retrying(for: settings.retry) { sql in
            try sql.run(
                """
                INSERT INTO runbook_runs (run_id, header, runbook, hosts, controller)
                VALUES (\(header.runID), \(text), \(header.runbook), \(header.hosts), \(header.controller))
                ON CONFLICT (run_id) DO NOTHING
                """)
        }
    }

    /// The run whose id is `id` or starts with it.
    public func read(_ id: String) throws -> JournalRun {
        let matches: [String] = try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT run_id FROM runbook_runs WHERE run_id = \(id) OR starts_with(run_id, \(id)) ORDER BY run_id LIMIT 20").map {
                try $0.decode(String.self)
            }
        }
        let exact = matches.contains(id) ? [id] : matches
        guard exact.count == 1, let runID = exact.first else {
            throw StoreError(
                exact.isEmpty
                    ? "no run \(id) in the state store \(location) (`runbook history --state URL` lists them)"
                    : "\(id) names \(exact.count) runs: \(exact.joined(separator: ", "))")
        }
        guard let run = try load([runID]).first else { throw StoreError("run \(runID) vanished from the state store \(location)") }
        return run
    }

    /// The newest runs first.
    public func runs(limit: Int) throws -> [JournalRun] {
        let ids: [String] = try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT run_id FROM runbook_runs ORDER BY started_at DESC, run_id DESC LIMIT \(limit)").map { try $0.decode(String.self) }
        }
        return try load(ids)
    }

    private func load(_ ids: [String]) throws -> [JournalRun] {
        guard !ids.isEmpty else { return [] }
        let rows: (headers: [String: String], events: [String: [String]]) = try session.retrying(for: settings.retry) { sql in
            var headers: [String: String] = [:]
            for row in try sql.run("SELECT run_id, header FROM runbook_runs WHERE run_id = ANY(\(ids))") {
                let (id, header) = try row.decode((String, String).self)
                headers[id] = header
            }
            var events: [String: [String]] = [:]
            for row in try sql.run("SELECT run_id, line FROM runbook_events WHERE run_id = ANY(\(ids)) ORDER BY run_id, seq") {
                let (id, line) = try row.decode((String, String).self)
                events[id, default: []].append(line)
            }
            return (headers, events)
        }
        let decoder = JSONDecoder()
        return ids.compactMap { id in
            guard let text = rows.headers[id] else { return nil }
            guard let header = try? decoder.decode(JournalHeader.self, from: Data(text.utf8)) else { return nil }
            var problems: [String] = []
            var events: [RunEvent] = []
            for (offset, line) in (rows.events[id] ?? []).enumerated() {
                do {
                    events.append(try RunEvent.decode(jsonLine: line))
                } catch {
                    problems.append("event \(offset + 1) cannot be read (written by a newer runbook?)")
                }
            }
            return JournalRun(header: header, events: events, problems: problems)
        }
    }

    /// Events of a run after `seq`, with their sequence numbers (for `runbook watch`).
    public func events(of runID: String, after seq: Int64) throws -> [(seq: Int64, line: String)] {
        try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT seq, line FROM runbook_events WHERE run_id = \(runID) AND seq > \(seq) ORDER BY seq").map {
                let (seq, line) = try $0.decode((Int64, String).self)
                return (seq, line)
            }
        }
    }

    /// Starts a run's record in the store and subscribes it to the run's events (as `Journal.record`).
    public func record(_ header: JournalHeader, bus: EventBus, failed: @escaping @Sendable (String) -> Void) throws -> StoreWriter {
        try begin(header)
        let writer = StoreWriter(store: self, runID: header.runID, firstSeq: 1, failed: failed)
        bus.subscribe { event in
            writer.append(event.jsonLine)
            if case .runFinished(let status, _, _, _) = event.kind {
                writer.finish(status: status)
                writer.sync()
            }
        }
        return writer
    }

    /// Appends a later run's events (`runbook rollback RUN`) to an existing run (as `Journal.append`).
    public func append(to runID: String, bus: EventBus, failed: @escaping @Sendable (String) -> Void) throws -> StoreWriter {
        let last: Int64 = try session.retrying(for: settings.retry) { sql in
            try sql.run("SELECT coalesce(max(seq), 0) FROM runbook_events WHERE run_id = \(runID)").first?.decode(Int64.self) ?? 0
        }
        let writer = StoreWriter(store: self, runID: runID, firstSeq: last + 1, failed: failed)
        bus.subscribe { event in
            switch event.kind {
            case .undo, .actionSkipped, .note: writer.append(event.jsonLine)
            default: break
            }
        }
        return writer
    }
}

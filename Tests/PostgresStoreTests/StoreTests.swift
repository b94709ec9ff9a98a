import Foundation
import RunEvents
import StateStore
import TestSupport
import Testing

@testable import PostgresStore

/// A store on a fresh database of the test cluster.
func freshStore(settings: StoreSettings = StoreSettings(leaseTTL: 2, heartbeat: 0.5, retry: 3), migrateTo: Int? = Schema.current) throws -> (
    PostgresStore, String
) {
    let (url, password) = try TestPostgres.database()
    let store = try PostgresStore(url: url, settings: settings, environment: ["PGPASSWORD": password], home: "/nonexistent", migrateTo: migrateTo)
    return (store, url)
}

func header(_ runID: String, hosts: [String] = ["web1", "web2"]) -> RunHeader {
    RunHeader(
        runID: runID, runbook: "deploy", runbookPath: "/srv/deploy.rb", runbookDigest: "abc", pattern: "web", inventorySources: ["inventory"],
        inventoryDigest: "def", sshConfig: nil,
        hosts: hosts.map { HostRecord(name: $0, address: "127.0.0.1", port: 22, user: "deploy", variables: ["plan_digest": "1"]) },
        parameters: ["version": "1.2"], release: "20260101000000", controller: "ci-1", user: "deploy")
}

@Suite struct MigrationTests {
    @Test func fromAnEmptyDatabase() throws {
        let (store, url) = try freshStore()
        defer { store.close() }
        #expect(try store.schemaVersion() == Schema.current)
        let name = String(url.split(separator: "/").last ?? "")
        // psql, not our own reader, says what is there.
        #expect(try TestPostgres.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM runbook_migrations", database: name) == "1,2,3")
        let tables = try TestPostgres.psql(
            "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'runbook_%'", database: name)
        #expect(
            tables == "runbook_entries,runbook_leases,runbook_migrations,runbook_rollout_hosts,runbook_rollout_workers,runbook_rollouts,runbook_runs")
        // Opening again applies nothing.
        #expect(try store.migrate().isEmpty)
    }

    @Test func fromThePreviousVersionKeepsRuns() async throws {
        // Version 2 (leases) is the one before the rollouts of version 3.
        let (old, url) = try freshStore(migrateTo: 2)
        #expect(try old.schemaVersion() == 2)
        try await old.create(header("20260101-000001-aaaa"))
        try await old.append(events: [RunEvent(.note("before the upgrade"))], to: "20260101-000001-aaaa")
        try await old.finish("20260101-000001-aaaa", exitStatus: 0, duration: 1)
        old.close()
        let password = try TestPostgres.cluster().password
        let store = try PostgresStore(url: url, settings: StoreSettings(leaseTTL: 2), environment: ["PGPASSWORD": password], home: "/nonexistent")
        defer { store.close() }
        #expect(try store.schemaVersion() == Schema.current)
        let run = try await store.load("20260101-000001")
        #expect(run.exitStatus == 0)
        #expect(run.events.count == 1)
        let tokens = try store.acquire([LeaseHost(key: "h", name: "h")], runID: "r", controller: "c")
        #expect(tokens.count == 1)
    }

    @Test func aNewerSchemaIsRefusedChangingNothing() throws {
        let (store, url) = try freshStore()
        store.close()
        let name = String(url.split(separator: "/").last ?? "")
        try TestPostgres.psql("INSERT INTO runbook_migrations (version, name) VALUES (99, 'from the future')", database: name)
        let password = try TestPostgres.cluster().password
        do {
            _ = try PostgresStore(url: url, environment: ["PGPASSWORD": password], home: "/nonexistent")
            Issue.record("a newer schema was accepted")
        } catch {
            #expect(error.description.contains("schema version 99, newer than this runbook knows (3)"))
        }
        #expect(try TestPostgres.psql("SELECT count(*) FROM runbook_migrations", database: name) == "4")
    }

    @Test func wrongPasswordIsSaidAtOnce() throws {
        let (url, _) = try TestPostgres.database()
        let started = Date()
        #expect(throws: StoreError.self) {
            _ = try PostgresStore(url: url, environment: ["PGPASSWORD": "wrong"], home: "/nonexistent")
        }
        #expect(Date().timeIntervalSince(started) < 3)
    }
}

@Suite struct RunStorageTests {
    @Test func recordsEventsAndResults() async throws {
        let (store, _) = try freshStore()
        defer { store.close() }
        let id = "20260102-101010-abcd"
        let original = header(id)
        try await store.create(original)
        await #expect(throws: StateStoreError.conflict(id)) { try await store.create(header(id)) }
        let action = ActionID(host: "web1", step: "deploy", index: 0, attempt: 1)
        try await store.append([WriteAheadRecord(id: action, phase: .intent, work: .action, summary: "symlink")], to: id)
        store.record(RunEvent(host: "web1", .note("hello")), to: id)
        try await store.append([WriteAheadRecord(id: action, phase: .completion, work: .action, summary: "symlink", ok: true)], to: id)
        try await store.finish(id, exitStatus: 1, duration: 2.5)
        let run = try await store.load("20260102")
        #expect(run.header == original)
        #expect(run.records.map(\.phase) == [.intent, .completion])
        #expect(run.events.count == 1)
        #expect(run.exitStatus == 1)
        #expect(run.outstanding["web1"]?.count == 1)
        let listed = try await store.list(RunQuery(limit: 5, host: "web2"))
        #expect(listed.map(\.runID) == [id])
        #expect(listed.first?.exitStatus == 1)
        #expect(try await store.list(RunQuery(limit: 5, host: "db1")).isEmpty)
        await #expect(throws: StateStoreError.notFound("nope")) { try await store.load("nope") }
    }

    @Test func recordsOfManyHostsShareCommits() async throws {
        let (store, _) = try freshStore()
        defer { store.close() }
        let id = "20260103-000000-many"
        let hosts = (1...50).map { "h\($0)" }
        try await store.create(header(id, hosts: hosts))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for host in hosts {
                group.addTask {
                    for index in 0..<4 {
                        let action = ActionID(host: host, step: "s", index: index, attempt: 1)
                        try await store.append([WriteAheadRecord(id: action, phase: .intent, work: .action, summary: "a")], to: id)
                        try await store.append([WriteAheadRecord(id: action, phase: .completion, work: .action, summary: "a", ok: true)], to: id)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await store.finish(id, exitStatus: 0, duration: 1)
        let run = try await store.load(id)
        #expect(run.records.count == 400)
        #expect(run.outstanding.values.map(\.count).reduce(0, +) == 200)
    }

    @Test func rollbackAppendsToTheRun() async throws {
        let (store, _) = try freshStore()
        defer { store.close() }
        let id = "20260104-000000-undo"
        try await store.create(header(id))
        try await store.append(events: [RunEvent(.note("first"))], to: id)
        try await store.finish(id, exitStatus: 3, duration: 1)
        try store.reopen(id)
        store.record(RunEvent(.note("undone")), to: id)
        store.close(id)
        let run = try await store.load(id)
        #expect(run.events.count == 2)
    }

    @Test func prunesOnlyFinishedRunsBeyondKeep() async throws {
        let (store, _) = try freshStore()
        defer { store.close() }
        for number in 1...4 {
            let id = "20260105-00000\(number)-prun"
            try await store.create(header(id))
            if number != 1 { try await store.finish(id, exitStatus: 0, duration: 1) }
        }
        let removed = try await store.prune(RetentionPolicy(keep: 2))
        #expect(removed == ["20260105-000002-prun"])
        #expect(try await store.list(RunQuery(limit: 10)).count == 3)
    }
}

@Suite struct ConnectionTests {
    func usesTLS(_ store: PostgresStore) throws -> Bool? {
        try store.session.with { try $0.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.decode(Bool.self) }
    }

    /// The test cluster offers TLS: the default (prefer) uses it, `sslmode=disable` does not.
    @Test func tlsWhenTheServerOffersIt() throws {
        let (url, password) = try TestPostgres.database()
        let preferred = try PostgresStore(url: url, environment: ["PGPASSWORD": password], home: "/nonexistent")
        defer { preferred.close() }
        #expect(try usesTLS(preferred) == true)
        let plain = try PostgresStore(url: url + "?sslmode=disable", environment: ["PGPASSWORD": password], home: "/nonexistent")
        defer { plain.close() }
        #expect(try usesTLS(plain) == false)
    }

    /// The password comes from ~/.pgpass when PGPASSWORD is not set; without either, the message says where to put it.
    @Test func passwordFromPgpass() throws {
        let (url, password) = try TestPostgres.database()
        let home = NSTemporaryDirectory() + "pgpass-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        do {
            _ = try PostgresStore(url: url, environment: [:], home: home)
            Issue.record("connected without a password")
        } catch {
            #expect(error.description.contains("PGPASSWORD") || error.description.contains("password"), "\(error)")
        }
        try "127.0.0.1:*:*:runbook:\(password)\n".write(toFile: home + "/.pgpass", atomically: true, encoding: .utf8)
        chmod(home + "/.pgpass", 0o600)
        let store = try PostgresStore(url: url, environment: [:], home: home)
        store.close()
    }
}

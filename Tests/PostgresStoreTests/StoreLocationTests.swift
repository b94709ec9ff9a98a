import Foundation
import Testing

@testable import PostgresStore

@Suite struct StoreLocationTests {
    @Test func urlParts() throws {
        let location = try StoreLocation(parsing: "postgresql://deploy@db.example:6543/fleet?sslmode=require", environment: [:])
        #expect(location.host == "db.example")
        #expect(location.port == 6543)
        #expect(location.user == "deploy")
        #expect(location.database == "fleet")
        #expect(location.sslMode == "require")
        #expect(location.description == "postgres://deploy@db.example:6543/fleet")
    }

    @Test func defaultsFollowLibpq() throws {
        let location = try StoreLocation(parsing: "postgres://", environment: ["PGHOST": "10.0.0.1", "PGUSER": "ops", "PGPORT": "5433"])
        #expect(location.host == "10.0.0.1")
        #expect(location.port == 5433)
        #expect(location.database == "ops")
        #expect(location.sslMode == "prefer")
    }

    @Test func refusesOtherSchemesAndParameters() {
        #expect(throws: StoreLocation.Invalid.self) { try StoreLocation(parsing: "mysql://x/y", environment: [:]) }
        #expect(throws: StoreLocation.Invalid.self) { try StoreLocation(parsing: "postgres://x/y?sslmode=sometimes", environment: [:]) }
        #expect(throws: StoreLocation.Invalid.self) { try StoreLocation(parsing: "postgres://x/y?application=z", environment: [:]) }
        #expect(!StoreLocation.isPostgres("/var/lib/runbook"))
        #expect(StoreLocation.isPostgres("POSTGRESQL://x"))
    }

    @Test func redactsPasswordsInMessages() {
        #expect(
            StoreLocation.redact("postgres://u:hunter2@h/d") == "postgres://u:%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2@h/d"
                || !StoreLocation.redact("postgres://u:hunter2@h/d").contains("hunter2"))
    }

    /// ~/.pgpass as libpq reads it: first match wins, `*` matches anything, `\:` is a colon, and a file
    /// others can read is ignored.
    @Test func pgpass() throws {
        let folder = NSTemporaryDirectory() + "pgpass-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/.pgpass"
        try "# comment\nother:5432:*:*:nope\ndb.example:6543:fleet:deploy:pa\\:ss\n*:*:*:*:fallback\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let location = try StoreLocation(parsing: "postgres://deploy@db.example:6543/fleet", environment: [:])
        #expect(location.password(environment: [:], home: folder) == "pa:ss")
        #expect(location.password(environment: ["PGPASSWORD": "env"], home: folder) == "env")
        let other = try StoreLocation(parsing: "postgres://x@elsewhere/y", environment: [:])
        #expect(other.password(environment: [:], home: folder) == "fallback")
        chmod(path, 0o644)
        #expect(location.password(environment: [:], home: folder) == nil)
    }
}

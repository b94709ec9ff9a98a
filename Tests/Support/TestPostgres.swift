import Foundation

/// The throwaway PostgreSQL cluster of the store tests: the one `scripts/test` started
/// (RUNBOOK_TEST_PG_URL and RUNBOOK_TEST_PG_PASSWORD), else one started here by
/// `scripts/pg-test-cluster start --owner PID`, which stops it when this test process exits.
/// Each test gets a database of its own (`database()`), so tests run in parallel.
public enum TestPostgres {
    public struct Cluster: Sendable {
        /// postgres://runbook@127.0.0.1:PORT/runbook, without the password.
        public var url: String
        public var password: String
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: Result<Cluster, TestSetupError>?

    /// The repository's root folder.
    public static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    public static func cluster() throws -> Cluster {
        try lock.withLock { () throws -> Cluster in
            if let started { return try started.get() }
            let result = start()
            started = result
            return try result.get()
        }
    }

    private static func start() -> Result<Cluster, TestSetupError> {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["RUNBOOK_TEST_PG_URL"], let password = environment["RUNBOOK_TEST_PG_PASSWORD"] {
            return .success(Cluster(url: url, password: password))
        }
        do {
            let output = try runProcess(["\(root)/scripts/pg-test-cluster", "start", "--owner", String(getpid())])
            var values: [String: String] = [:]
            for line in output.stdout.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            guard output.status == 0, let url = values["RUNBOOK_TEST_PG_URL"], let password = values["RUNBOOK_TEST_PG_PASSWORD"] else {
                return .failure(TestSetupError(message: "scripts/pg-test-cluster start failed: \(output.stdout)\(output.stderr)"))
            }
            return .success(Cluster(url: url, password: password))
        } catch let error as TestSetupError {
            return .failure(error)
        } catch {
            return .failure(TestSetupError(message: "\(error)"))
        }
    }

    /// Runs SQL with psql (the reference client) on the cluster's `runbook` database or `database`.
    @discardableResult
    public static func psql(_ sql: String, database: String? = nil) throws -> String {
        let cluster = try cluster()
        let url = database.map { with(cluster.url, database: $0) } ?? cluster.url
        let output = try runProcess(
            ["/usr/bin/env", "psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
            environment: ["PGPASSWORD": cluster.password, "PGSSLMODE": "prefer"])
        guard output.status == 0 else { throw TestSetupError(message: "psql `\(sql)` failed: \(output.stderr)") }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The cluster's URL naming another database.
    public static func with(_ url: String, database: String) -> String {
        guard let slash = url.range(of: "/", options: .backwards) else { return url }
        return url[..<slash.lowerBound] + "/" + database
    }

    /// A new, empty database; returns its URL (no password in it) and the password.
    public static func database() throws -> (url: String, password: String) {
        let cluster = try cluster()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try psql("CREATE DATABASE \(name)")
        return (with(cluster.url, database: String(name)), cluster.password)
    }
}

import Foundation
import PostgresNIO

/// A store operation that failed: `retriable` when the connection (not the statement) failed, so the
/// same operation can be tried again on a new connection.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public var retriable: Bool

    public init(_ description: String, retriable: Bool = false) {
        self.description = description
        self.retriable = retriable
    }

    /// What postgres-nio's error says, in words (its own description hides the server's message).
    static func from(_ error: any Error, at location: StoreLocation) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let psql = error as? PSQLError else {
            return StoreError("the state store \(location) failed: \(error)", retriable: true)
        }
        if psql.code == .server, let info = psql.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "an error"
            // 08: connection exceptions; 57: the server shutting down or a cancelled statement; 53: out of resources.
            let transient = state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53")
            return StoreError("the state store \(location) answered: \(message) (SQLSTATE \(state))", retriable: transient)
        }
        if psql.code == .authMechanismRequiresPassword {
            return StoreError("the state store \(location) wants a password: set PGPASSWORD or add a line to ~/.pgpass (libpq's format)")
        }
        if psql.code == .sslUnsupported {
            return StoreError("the state store \(location) does not offer TLS, and sslmode requires it")
        }
        let underlying = psql.underlying.map { ": \($0)" } ?? ""
        return StoreError("the state store \(location) is unreachable (\(psql.code)\(underlying))", retriable: true)
    }
}

/// One connection to the store, opened on first use and again after it drops. Calls block the calling
/// thread on NIO's futures (never on Swift's cooperative pool), so the synchronous journal path can use it.
final class StoreSession: @unchecked Sendable {
    let location: StoreLocation
    private let configuration: PostgresConnection.Configuration
    private let logger = Logger(label: "runbook.state")
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private static let ids = NSLock()
    nonisolated(unsafe) private static var lastID = 0

    init(location: StoreLocation, configuration: PostgresConnection.Configuration) {
        self.location = location
        self.configuration = configuration
    }

    private static func nextID() -> Int {
        ids.withLock {
            lastID += 1
            return lastID
        }
    }

    /// The open connection, or a new one.
    private func open() throws(StoreError) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let eventLoop = PostgresConnection.defaultEventLoopGroup.any()
        do {
            let opened = try PostgresConnection.connect(on: eventLoop, configuration: configuration, id: StoreSession.nextID(), logger: logger).wait()
            connection = opened
            return opened
        } catch {
            // Failing to connect is retried (the server restarting, refusing connections for a while),
            // except for wrong credentials (28...) and a database that does not exist (3D000).
            var failure = StoreError.from(error, at: location)
            let state = (error as? PSQLError)?.serverInfo?[.sqlState] ?? ""
            failure.retriable = !(state.hasPrefix("28") || state == "3D000" || (error as? PSQLError)?.code == .authMechanismRequiresPassword)
            throw failure
        }
    }

    /// Runs statements on this session's connection, one at a time (a transaction is `BEGIN` ... `COMMIT`
    /// inside one `with`). A failed connection is closed, so the next call opens a new one. The
    /// database's errors are thrown as `StoreError`; the body's own errors pass through.
    @discardableResult
    func with<T>(_ body: (Statements) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let connection = try open()
        do {
            return try body(Statements(connection: connection, logger: logger, location: location))
        } catch let error as PSQLError {
            let failure = StoreError.from(error, at: location)
            if failure.retriable {
                _ = try? connection.close().wait()
                self.connection = nil
            } else {
                // A failed statement inside a transaction leaves it aborted: end it before the next call.
                _ = try? connection.query("ROLLBACK", logger: logger).wait()
            }
            throw failure
        } catch let error as ChannelError {
            _ = try? connection.close().wait()
            self.connection = nil
            throw StoreError("the state store \(location) closed the connection (\(error))", retriable: true)
        }
    }

    /// `with`, retried on a new connection while the failure is the connection's, for up to `bound`
    /// seconds (then the last failure is thrown). Statement errors are thrown at once.
    @discardableResult
    func retrying<T>(for bound: Double, _ body: (Statements) throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(bound)
        var delay = 0.1
        while true {
            do {
                return try with(body)
            } catch let error as StoreError where error.retriable && Date().addingTimeInterval(delay) < deadline {
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
            }
        }
    }

    /// The connection, for LISTEN (async), opened if needed.
    func connectionForListening() throws -> PostgresConnection {
        try lock.withLock { () throws(StoreError) -> PostgresConnection in try open() }
    }

    deinit {
        // postgres-nio asserts that a connection is closed before it goes: keep it until it is.
        if let connection { connection.close().whenComplete { _ in _ = connection } }
    }

    func close() {
        lock.withLock {
            if let connection { _ = try? connection.close().wait() }
            connection = nil
        }
    }
}

/// The statements of one `StoreSession.with` call.
struct Statements {
    let connection: PostgresConnection
    let logger: Logger
    let location: StoreLocation

    @discardableResult
    func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        let result = try connection.query(query, logger: logger).wait()
        return Array(result.rows)
    }

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN")
        do {
            let value = try body()
            try run("COMMIT")
            return value
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }
}

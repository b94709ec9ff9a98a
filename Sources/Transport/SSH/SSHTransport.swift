import Foundation
import Wire

/// Reaches a host over SSH with libssh2: one connection for the whole run, every command a channel.
public final class SSHTransport: Transport, @unchecked Sendable {
    public let host: String
    public let settings: SSHSettings
    private let lock = NSLock()
    private var connection: SSHConnection?

    public init(settings: SSHSettings) {
        self.host = settings.name
        self.settings = settings
    }

    private var current: SSHConnection? {
        lock.lock()
        defer { lock.unlock() }
        return connection
    }

    public func connect() async throws(TransportError) {
        if current != nil { return }
        let opened = try await SSHConnection.open(settings)
        let existing = lock.withLock {
            let existing = connection
            if existing == nil {
                connection = opened
                lastHostKey = opened.hostKey
            }
            return existing
        }
        if existing != nil { await opened.close() }
    }

    /// The SHA256 fingerprint of the key the host presented, once connected.
    public var hostKey: String? { current?.hostKey ?? lock.withLock { lastHostKey } }
    private var lastHostKey: String?

    private func connected() async throws(TransportError) -> SSHConnection {
        if let current { return current }
        try await connect()
        guard let current else { throw TransportError(.connect, host: host, "not connected") }
        return current
    }

    public func exec(_ message: WireMessage, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        let connection = try await connected()
        // The host's own `timeout` stops the command; the channel deadline is a backstop a little later.
        let deadline = message.limit < HostCommand.unlimited ? Date().addingTimeInterval(message.limit + 5) : nil
        return try await connection.exec(message, deadline: deadline, output: output)
    }

    public func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError) {
        try await connected().upload(localPath: localPath, remotePath: remotePath, mode: mode)
    }

    /// Requests the URL through a direct-tcpip tunnel, so it is made as the host sees it (no curl on the host).
    public func http(url: String, method: String, timeout: Double) async throws(TransportError) -> HTTPResponse {
        let connection = try await connected()
        guard let components = URLComponents(string: url), components.scheme == "http", let targetHost = components.host else {
            throw TransportError(.http, host: host, "`\(url)` is not an http URL (https through the tunnel is not supported)")
        }
        let (localPort, listener) = try connection.listen(to: targetHost, port: components.port ?? 80)
        defer { connection.stopListening(listener) }
        do throws(TransportError) {
            return try await HTTPClient.request(url: url, method: method, timeout: timeout, host: host, tunnel: ("127.0.0.1", localPort))
        } catch {
            throw TransportError(.http, host: host, "\(error.message) (as \(host) sees it, through the SSH tunnel)")
        }
    }

    /// A connection that died is closed and opened again (once per call): undos and the lock's
    /// release then reach a host that answers again instead of failing at once on the dead one.
    public func reconnectIfDropped() async throws(TransportError) {
        guard let existing = current, existing.isDead else { return }
        lock.withLock { if connection === existing { connection = nil } }
        await existing.close()
        try await connect()
    }

    public func close() async {
        let existing = lock.withLock {
            let existing = connection
            connection = nil
            return existing
        }
        await existing?.close()
    }
}

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
        guard var components = URLComponents(string: url), components.scheme == "http", let targetHost = components.host else {
            throw TransportError(.http, host: host, "`\(url)` is not an http URL (https through the tunnel is not supported)")
        }
        let targetPort = components.port ?? 80
        let (localPort, listener) = try connection.listen(to: targetHost, port: targetPort)
        defer { connection.stopListening(listener) }
        let hostHeader = components.port.map { "\(targetHost):\($0)" } ?? targetHost
        components.host = "127.0.0.1"
        components.port = localPort
        guard let local = components.string else { throw TransportError(.http, host: host, "cannot rewrite `\(url)`") }
        do throws(TransportError) {
            return try await HTTPClient.request(url: local, method: method, timeout: timeout, host: host, hostHeader: hostHeader)
        } catch {
            // Name the URL as the runbook wrote it, not the local end of the tunnel.
            let reason = error.message.components(separatedBy: "\(local): ").last ?? error.message
            throw TransportError(.http, host: host, "\(method) \(url) (as \(host) sees it, through the SSH tunnel): \(reason)")
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

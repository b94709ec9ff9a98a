import Transport
import Wire

/// A transport that sends nothing once its fence says the run may no longer act on the host (a
/// rollout worker whose claim may have been taken over): the check runs before every exec, transfer
/// and request, so a worker resumed after a pause never changes a host another worker now owns.
struct FencedTransport: Transport {
    let inner: any Transport
    let fence: @Sendable () -> String?

    var host: String { inner.host }

    private func check() throws(TransportError) {
        if let reason = fence() { throw TransportError(.local, host: host, "not sent: \(reason)") }
    }

    func connect() async throws(TransportError) {
        try check()
        try await inner.connect()
    }

    func exec(_ message: WireMessage, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        try check()
        return try await inner.exec(message, output: output)
    }

    func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError) {
        try check()
        try await inner.upload(localPath: localPath, remotePath: remotePath, mode: mode)
    }

    func http(url: String, method: String, timeout: Double) async throws(TransportError) -> HTTPResponse {
        try check()
        return try await inner.http(url: url, method: method, timeout: timeout)
    }

    func close() async { await inner.close() }

    func reconnectIfDropped() async throws(TransportError) {
        try check()
        try await inner.reconnectIfDropped()
    }
}

import Foundation
import Wire

/// The dry-run transport: runs nothing, records (and hands to `printer`) every command, upload and
/// request it is given, and answers as a host where everything succeeds. Executing a plan against it
/// shows the exact commands, in the order the scheduler would send them.
public final class PrinterTransport: Transport, @unchecked Sendable {
    public let host: String
    private let lock = NSLock()
    private var lines: [String] = []
    private var sent: [WireMessage] = []
    private let printer: (@Sendable (String) -> Void)?

    public init(host: String, printer: (@Sendable (String) -> Void)? = nil) {
        self.host = host
        self.printer = printer
    }

    /// Everything the transport was asked to do, in order.
    public var recorded: [String] { lock.withLock { lines } }

    /// Every command message it was given, in order.
    public var messages: [WireMessage] { lock.withLock { sent } }

    private func record(_ line: String) {
        lock.withLock { lines.append(line) }
        printer?("\(host): \(line)")
    }

    public func connect() async throws(TransportError) {}

    public func exec(_ message: WireMessage, output: OutputHandler?) async throws(TransportError) -> ExecResult {
        lock.withLock { sent.append(message) }
        record("$ " + message.request + " <<< " + message.stdin)
        return ExecResult(exitStatus: 0, signal: nil, stdout: "", stderr: "", timedOut: false, duration: 0)
    }

    public func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError) {
        record("sftp \(localPath) → \(remotePath) (mode \(String(mode, radix: 8)))")
    }

    public func http(url: String, method: String, timeout: Double) async throws(TransportError) -> HTTPResponse {
        record("http \(method) \(url)")
        return HTTPResponse(status: 200, body: "")
    }

    public func close() async {}
}

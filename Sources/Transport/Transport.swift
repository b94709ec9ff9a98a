import Foundation
import RunbookModel

/// Which stream a line of command output came from.
public enum OutputStream: String, Sendable, Codable {
    case stdout, stderr
}

/// One line of a command's output, delivered as it arrives.
public struct OutputLine: Sendable, Hashable {
    public var stream: OutputStream
    public var text: String

    public init(stream: OutputStream, text: String) {
        self.stream = stream
        self.text = text
    }
}

/// How a command ended.
public struct ExecResult: Sendable, Hashable {
    public var exitStatus: Int32
    /// The signal that killed the command ("KILL", "TERM"), when one did.
    public var signal: String?
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool
    public var duration: Double

    public init(exitStatus: Int32, signal: String?, stdout: String, stderr: String, timedOut: Bool, duration: Double) {
        self.exitStatus = exitStatus
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
        self.duration = duration
    }

    /// True when the command exited 0 and was not killed.
    public var succeeded: Bool { exitStatus == 0 && signal == nil && !timedOut }
}

/// An HTTP answer.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

/// Errors of a transport, each saying what failed on which host.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for callers that react differently (an unreachable host fails the host).
    public enum Kind: String, Sendable {
        case connect, hostKey, authentication, channel, timeout, transfer, disconnected, http, local
    }

    public var kind: Kind
    public var host: String
    public var message: String

    public init(_ kind: Kind, host: String, _ message: String) {
        self.kind = kind
        self.host = host
        self.message = message
    }

    public var description: String { "\(host): \(message)" }
}

/// Receives output lines as a command prints them.
public typealias OutputHandler = @Sendable (OutputLine) -> Void

/// The one way the engine reaches a host: local, SSH (libssh2) or a printer for dry runs.
public protocol Transport: Sendable {
    /// The inventory name of the host.
    var host: String { get }
    /// Opens the connection (one per host for the whole run); a no-op for local.
    func connect() async throws(TransportError)
    /// Runs a shell command; a timeout kills the command on the host and reports `timedOut`.
    func exec(_ command: String, timeout: Double?, output: OutputHandler?) async throws(TransportError) -> ExecResult
    /// Copies a local file to a path on the host, with a mode.
    func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError)
    /// Makes an HTTP request to a URL as the host itself sees it.
    func http(url: String, method: String, timeout: Double) async throws(TransportError) -> HTTPResponse
    /// Closes the connection.
    func close() async
}

/// Builds the command a timeout applies to: coreutils `timeout` kills the command on the host itself
/// (closing an SSH channel leaves a remote command running; libssh2 1.10 cannot signal it).
public enum TimeoutWrapper {
    public static func wrap(_ command: String, seconds: Double?) -> String {
        guard let seconds, seconds > 0 else { return command }
        let limit = String(format: "%.3f", seconds)
        return "timeout -k 2 \(limit) sh -c \(ShellQuote.quote(command))"
    }

    /// `timeout` exits 124 when it stopped the command, 137 when it had to KILL it.
    public static func isTimeoutStatus(_ status: Int32) -> Bool { status == 124 || status == 137 }
}

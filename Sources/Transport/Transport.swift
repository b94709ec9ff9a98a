import Foundation
import Logging
import Wire

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

    /// The last line of what a failed command said (standard error first), or its status.
    public var reason: String {
        let text = (stderr.isEmpty ? stdout : stderr).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.split(separator: "\n").last.map(String.init) ?? "exit \(exitStatus)"
    }

    /// The signal that ended the command: the channel's own report, or sh's 128 + N for the body.
    public var killedBy: String? {
        if let signal { return signal }
        guard exitStatus > 128 && exitStatus < 160 else { return nil }
        return ChildProcess.signalName(exitStatus - 128)
    }
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
    /// Sends one planned command: its exec request, then its standard input, which stays open until
    /// the command ends (the host kills the command when it closes). Nothing else reaches a host.
    func exec(_ message: WireMessage, output: OutputHandler?) async throws(TransportError) -> ExecResult
    /// Copies a local file to a path on the host, with a mode.
    func upload(localPath: String, remotePath: String, mode: Int32) async throws(TransportError)
    /// Makes an HTTP request to a URL as the host itself sees it.
    func http(url: String, method: String, timeout: Double) async throws(TransportError) -> HTTPResponse
    /// Closes the connection.
    func close() async
    /// Opens the connection again when it died; nothing otherwise.
    func reconnectIfDropped() async throws(TransportError)
    /// The fingerprint of the host key the connection accepted (`SHA256:…`); nil without SSH.
    var hostKey: String? { get }
}

extension Transport {
    /// Local and printer transports have no connection to lose.
    public func reconnectIfDropped() async throws(TransportError) {}

    /// The fingerprint of the host key the connection accepted (`SHA256:…`); nil without SSH.
    public var hostKey: String? { nil }

    /// Renders a planned command with the host's secret values and sends it: the one seam to a host.
    public func run(_ command: HostCommand, secrets: [String: String], inputs: [String: String] = [:], output: OutputHandler? = nil)
        async throws(TransportError) -> ExecResult
    {
        let message: WireMessage
        do throws(MissingSecret) {
            message = try command.message(secrets: secrets, inputs: inputs)
        } catch {
            throw TransportError(
                .local, host: host, "the secret parameter `\(error.name)` has no value: give it with --set, --set-file or RUNBOOK_SECRET_\(error.name)")
        }
        // -vv: every command as it starts, as plans show it (secrets masked by the command value).
        TransportLog.commands.debug("\(command.body.display)", metadata: ["host": "\(host)"])
        return try await exec(message, output: output)
    }
}

/// The loggers of host I/O. They log through whatever `LoggingSystem` the program bootstrapped (the
/// CLI's sends them to standard error at `-v`/`-vv`/`-vvv`); without one, swift-log's default applies.
public enum TransportLog {
    /// Each command sent to a host, at `debug` (`-vv`).
    public static let commands = Logger(label: "runbook.command")
    /// SSH connection set-up, at `trace` (`-vvv`): negotiated methods, host keys, keys tried.
    public static let ssh = Logger(label: "runbook.ssh")
}

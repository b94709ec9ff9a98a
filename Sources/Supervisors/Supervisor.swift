import RunbookModel
import Wire

/// The state of an app as its supervisor reports it.
public struct ProcessStatus: Sendable, Hashable {
    /// Coarse states every supervisor maps to.
    public enum State: String, Sendable {
        case running, stopped, starting, failed, unknown
    }

    public var state: State
    public var pid: Int?
    /// The supervisor's own restart counter, when it keeps one (pm2, systemd, docker).
    public var restarts: Int?
    /// The supervisor's word for the state ("online", "RUNNING", "active/running").
    public var detail: String

    public init(state: State, pid: Int?, restarts: Int?, detail: String) {
        self.state = state
        self.pid = pid
        self.restarts = restarts
        self.detail = detail
    }

    /// The supervisor gave up on the app (FATAL, errored, failed, dead): waiting longer changes nothing.
    public var terminal: Bool { state == .failed }
}

/// Why a supervisor's output could not be read.
public struct SupervisorOutputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds a supervisor's commands and reads its status output.
public protocol SupervisorAdapter: Sendable {
    var kind: SupervisorKind { get }
    /// How the supervisor is called (`pm2`, or `supervisorctl -c /etc/app/supervisord.conf`).
    var command: String { get }
    func stop(_ app: String) -> String
    /// Starts `target` (an app name, or for pm2 a script or ecosystem file) as `name`.
    func start(_ target: String, name: String?) -> String
    func restart(_ app: String) -> String
    /// Persists the process list; nil when the supervisor keeps it by itself.
    func save() -> String?
    func status(_ app: String) -> String
    /// Reads the status command's output (and exit status) for one app.
    func parseStatus(_ output: String, exitStatus: Int32, app: String) throws(SupervisorOutputError) -> ProcessStatus
    /// Makes the app read its configuration again (or sends it `signal` instead).
    func reload(_ app: String, signal: String?) -> String
    /// Takes the app out of the supervisor, recording how to put it back in `state`.
    func remove(_ app: String, state: String, runID: String) -> String
    /// Puts a removed app back as it was (running or not).
    func restore(_ app: String, state: String, runID: String) -> String
    /// Removes what `remove` kept aside, once the run's changes are final.
    func removeCleanup(_ app: String, state: String, runID: String) -> String
    /// The app's last `lines` log lines, from the supervisor's own log.
    func logTail(_ app: String, lines: Int) -> String
    /// True when the log can be read from a time (`RUNBOOK_SINCE`, epoch seconds on the host), false
    /// when runbook compares what `logRead` prints before and after (log files without timestamps).
    var logsByTime: Bool { get }
    /// The app's log: since `$RUNBOOK_SINCE` when `logsByTime`, else its recent end.
    func logRead(_ app: String) -> String
}

extension SupervisorAdapter {
    /// Where `remove` records the app's state on the host: `/tmp/runbook-RUNID-APP` (app name made safe).
    public func removeStatePath(_ app: String, runID: String) -> String {
        let safe = String(app.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return "\"${TMPDIR:-/tmp}\"/" + ShellQuote.quote("runbook-\(runID)-\(safe).state")
    }
}

/// Log text written since a mark: what the log read held then is a prefix of what it holds now,
/// unless the log rotated or outgrew the read's window; then the whole read counts as new (a
/// `not_contains:` may fail for an old line, but never passes over a new one).
public enum LogWindow {
    public static func mark(_ earlier: String) -> String { earlier }

    public static func since(mark: String, in later: String) -> String {
        guard !mark.isEmpty, later.hasPrefix(mark) else { return later }
        return String(later.dropFirst(mark.count))
    }
}

/// The adapter for a supervisor kind, optionally called through `supervisor_command`.
public enum Supervisors {
    public static func adapter(for kind: SupervisorKind, command: String? = nil) -> any SupervisorAdapter {
        switch kind {
        case .pm2: PM2Adapter(command: command ?? "pm2")
        case .systemd: SystemdAdapter(command: command ?? "systemctl")
        case .supervisord: SupervisordAdapter(command: command ?? "supervisorctl")
        case .docker: DockerAdapter(command: command ?? "docker")
        }
    }
}

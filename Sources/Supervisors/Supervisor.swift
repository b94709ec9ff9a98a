import RunbookModel

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

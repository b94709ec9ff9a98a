import Inventory
import RunbookModel
import Wire

/// One thing the engine does on a host; shell commands are rendered, the rest are described exactly.
public enum Operation: Sendable, Hashable, Encodable {
    /// Runs a command; it must exit 0.
    case command(HostCommand)
    /// Copies a local file over SFTP to a temporary name on the host (a `shell` operation publishes it).
    case upload(source: String, temporary: String, mode: String?)
    /// Polls the host's listening sockets until the port listens.
    case waitForPort(port: Int, probe: HostCommand, timeout: TimeSpan)
    /// Polls a URL, as the host sees it, until it answers with an accepted status.
    case waitForHTTP(url: String, statuses: StatusMatcher, timeout: TimeSpan)
    /// Polls the supervisor until the app is running (or stopped).
    case waitForState(app: String, status: HostCommand, running: Bool, timeout: TimeSpan)

    /// A command with its own limit (none: `HostCommand.unlimited`), run as the connecting user or with sudo.
    public static func shell(_ command: ShellCommand, timeout: TimeSpan?, sudo: Bool = false, requirements: [Requirement] = []) -> Operation {
        .command(HostCommand(command, limit: timeout?.seconds, sudo: sudo, requirements: requirements))
    }

    /// Every command this operation can send (a wait sends its probe again and again).
    public var commands: [HostCommand] {
        switch self {
        case .command(let command): [command]
        case .waitForPort(_, let probe, _): [probe]
        case .waitForState(_, let status, _, _): [status]
        case .upload, .waitForHTTP: []
        }
    }

    /// The same operation with each command's limit capped (a step's `timeout:`).
    public func capped(at seconds: Double?) -> Operation {
        switch self {
        case .command(let command): .command(command.capped(at: seconds))
        case .waitForPort(let port, let probe, let timeout): .waitForPort(port: port, probe: probe.capped(at: seconds), timeout: timeout)
        case .waitForState(let app, let status, let running, let timeout):
            .waitForState(app: app, status: status.capped(at: seconds), running: running, timeout: timeout)
        case .upload, .waitForHTTP: self
        }
    }

    /// One line for plans and events.
    public var display: String {
        switch self {
        case .command(let command): command.body.display + (command.sudo ? " (sudo)" : "")
        case .upload(let source, let temporary, let mode):
            "sftp \(source) → \(temporary)" + (mode.map { " (mode \($0))" } ?? "")
        case .waitForPort(let port, _, let timeout): "wait until port \(port) listens (\(timeout))"
        case .waitForHTTP(let url, let statuses, let timeout): "wait until \(url) answers \(statuses) (\(timeout))"
        case .waitForState(let app, let status, let running, let timeout):
            "wait until \(app) is \(running ? "running" : "stopped") per `\(status.body.display)` (\(timeout))"
        }
    }
}

/// A condition that skips an action (`creates:`, `unless:`, `only_if:`).
public struct Guard: Sendable, Hashable, Encodable {
    /// Which guard keyword produced this.
    public enum Kind: String, Sendable, Encodable {
        case creates, unless, onlyIf = "only_if"
    }

    public var kind: Kind
    public var command: HostCommand

    /// Guards have a minute at most (less when their step's `timeout:` is shorter).
    public init(kind: Kind, command: ShellCommand, sudo: Bool = false) {
        self.kind = kind
        self.command = HostCommand(command, limit: 60, sudo: sudo)
    }

    /// True when an exit status of 0 means "skip the action".
    public var skipsOnSuccess: Bool { kind != .onlyIf }

    /// Why the action was skipped, for output.
    public var skipReason: String {
        switch kind {
        case .creates: "skipped: `\(command.body.display)` holds (creates:)"
        case .unless: "skipped: `\(command.body.display)` exited 0 (unless:)"
        case .onlyIf: "skipped: `\(command.body.display)` did not exit 0 (only_if:)"
        }
    }
}

/// An action rendered for one host: what it runs, how it is undone, what is removed after success.
public struct PlannedAction: Sendable, Hashable, Encodable {
    public var keyword: String
    public var summary: String
    public var guards: [Guard]
    public var operations: [Operation]
    /// The automatic undo, run when the host rolls back after this action completed.
    public var undo: [Operation]
    /// Run once the host's run has passed verification (removes what was moved aside).
    public var cleanup: [ShellCommand]

    /// What the action needs on the host, beyond POSIX sh.
    public var requirements: Set<Requirement> {
        Set((guards.map(\.command) + operations.flatMap(\.commands)).flatMap(\.requirements))
    }
}

/// A step rendered for one host.
public struct PlannedStep: Sendable, Hashable, Encodable {
    public var name: String
    public var wave: Int
    public var after: [String]
    public var timeout: TimeSpan?
    public var retries: Int
    public var retryDelay: TimeSpan
    public var actions: [PlannedAction]
}

/// An assertion rendered for one host.
public enum PlannedCheck: Sendable, Hashable, Encodable {
    case restarts(app: String, status: ShellCommand, max: Int, over: TimeSpan)
    case listening(port: Int, address: String?, family: String?, process: String?)
    case notListening(port: Int)
    case http(url: String, statuses: StatusMatcher, method: String, contains: String?, timeout: TimeSpan, fromController: Bool)
    case command(ShellCommand, exit: Int, contains: String?)
    case file(path: String, exists: Bool)

    /// How the assertion reads in plans and results.
    public var display: String {
        switch self {
        case .restarts(let app, _, let max, let over): "restarts \(app) ≤ \(max) over \(over)"
        case .listening(let port, let address, let family, let process):
            "listening \(address.map { Self.socket($0, port) } ?? "port \(port)")" + (family.map { " (\($0))" } ?? "")
                + (process.map { " owned by \($0)" } ?? "")
        case .notListening(let port): "nothing listening on port \(port)"
        case .http(let url, let statuses, let method, let contains, _, let fromController):
            "http \(method) \(url) → \(statuses)" + (contains.map { " containing \"\($0)\"" } ?? "")
                + (fromController ? " (from the controller)" : " (from the host)")
        case .command(let command, let exit, let contains):
            "command `\(command.display)` exits \(exit)" + (contains.map { " and prints \"\($0)\"" } ?? "")
        case .file(let path, let exists): exists ? "file \(path) exists" : "file \(path) does not exist"
        }
    }

    /// The command that reads this check's facts on the host; nil for HTTP (a tunnel, or the controller).
    public var probe: HostCommand? {
        switch self {
        case .restarts(_, let status, _, _): HostCommand(status, limit: 30)
        case .listening(let port, _, _, let process): SocketTable.probe(port: port, owners: process != nil)
        case .notListening(let port): SocketTable.probe(port: port, owners: false)
        case .http: nil
        case .command(let command, _, _): HostCommand(command, limit: 60)
        case .file(let path, _): HostCommand(ShellCommand("test -e " + ShellQuote.quote(path)), limit: 30)
        }
    }

    static func socket(_ address: String, _ port: Int) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// A verification rendered for one host.
public struct PlannedVerification: Sendable, Hashable, Encodable {
    public var name: String
    public var after: [String]
    public var within: TimeSpan
    public var checks: [PlannedCheck]
    /// The command that reads each check's facts from the host (nil: the check sends no command).
    public var probes: [HostCommand?]

    public init(name: String, after: [String], within: TimeSpan, checks: [PlannedCheck], probes: [HostCommand?]? = nil) {
        self.name = name
        self.after = after
        self.within = within
        self.checks = checks
        self.probes = probes ?? checks.map(\.probe)
    }
}

/// Everything one host will do in a run, in graph order.
public struct HostPlan: Sendable, Hashable {
    public var host: String
    public var connection: HostConnection
    public var supervisor: SupervisorKind?
    public var supervisorCommand: String?
    public var steps: [PlannedStep]
    public var verifications: [PlannedVerification]
    public var rollback: [PlannedAction]
    /// Secret values on this host, for masking command output.
    public var secrets: [String]
    /// Where the host's run locks live, when the `runbook_lock_dir` variable moves them.
    public var lockFolder: String?
    /// Secret parameters by name, exported by the starter for the commands that read them.
    public var secretValues: [String: String] = [:]
    /// The first command: takes the host lock and reports which requirements the host lacks.
    public var start: HostCommand?
    /// The last command after a pass: removes what was moved aside and releases the lock.
    public var finish: HostCommand?
    /// The last command after a failure (or with nothing to clean): releases the lock.
    public var release: HostCommand?
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Operation {
    /// `{"kind": "shell", "command": "...", "timeout": "10m"}` and the like; commands are masked.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        switch self {
        case .command(let command):
            try c.encode("shell", forKey: AnyKey("kind"))
            try c.encode(command.body.display, forKey: AnyKey("command"))
            if command.limited { try c.encode(Starter.seconds(command.limit), forKey: AnyKey("limit_seconds")) }
            if command.sudo { try c.encode(true, forKey: AnyKey("sudo")) }
        case .upload(let source, let temporary, let mode):
            try c.encode("upload", forKey: AnyKey("kind"))
            try c.encode(source, forKey: AnyKey("source"))
            try c.encode(temporary, forKey: AnyKey("temporary"))
            try c.encodeIfPresent(mode, forKey: AnyKey("mode"))
        case .waitForPort(let port, _, let timeout):
            try c.encode("wait_for_port", forKey: AnyKey("kind"))
            try c.encode(port, forKey: AnyKey("port"))
            try c.encode(timeout, forKey: AnyKey("timeout"))
        case .waitForHTTP(let url, let statuses, let timeout):
            try c.encode("wait_for_http", forKey: AnyKey("kind"))
            try c.encode(url, forKey: AnyKey("url"))
            try c.encode(statuses.description, forKey: AnyKey("status"))
            try c.encode(timeout, forKey: AnyKey("timeout"))
        case .waitForState(let app, let status, let running, let timeout):
            try c.encode("wait_for_state", forKey: AnyKey("kind"))
            try c.encode(app, forKey: AnyKey("app"))
            try c.encode(status.body.display, forKey: AnyKey("status_command"))
            try c.encode(running ? "running" : "stopped", forKey: AnyKey("state"))
            try c.encode(timeout, forKey: AnyKey("timeout"))
        }
    }
}

extension PlannedCheck {
    /// `{"kind": "listening", "description": "...", ...}`; commands are masked.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(display, forKey: AnyKey("description"))
        switch self {
        case .restarts(let app, let status, let max, let over):
            try c.encode("restarts", forKey: AnyKey("kind"))
            try c.encode(app, forKey: AnyKey("app"))
            try c.encode(status.display, forKey: AnyKey("status_command"))
            try c.encode(max, forKey: AnyKey("max"))
            try c.encode(over, forKey: AnyKey("over"))
        case .listening(let port, let address, let family, let process):
            try c.encode("listening", forKey: AnyKey("kind"))
            try c.encode(port, forKey: AnyKey("port"))
            try c.encodeIfPresent(address, forKey: AnyKey("address"))
            try c.encodeIfPresent(family, forKey: AnyKey("family"))
            try c.encodeIfPresent(process, forKey: AnyKey("process"))
        case .notListening(let port):
            try c.encode("not_listening", forKey: AnyKey("kind"))
            try c.encode(port, forKey: AnyKey("port"))
        case .http(let url, let statuses, let method, let contains, let timeout, let fromController):
            try c.encode("http", forKey: AnyKey("kind"))
            try c.encode(url, forKey: AnyKey("url"))
            try c.encode(statuses.description, forKey: AnyKey("status"))
            try c.encode(method, forKey: AnyKey("method"))
            try c.encodeIfPresent(contains, forKey: AnyKey("contains"))
            try c.encode(timeout, forKey: AnyKey("timeout"))
            try c.encode(fromController ? "controller" : "host", forKey: AnyKey("from"))
        case .command(let command, let exit, let contains):
            try c.encode("command", forKey: AnyKey("kind"))
            try c.encode(command.display, forKey: AnyKey("command"))
            try c.encode(exit, forKey: AnyKey("exit"))
            try c.encodeIfPresent(contains, forKey: AnyKey("contains"))
        case .file(let path, let exists):
            try c.encode("file", forKey: AnyKey("kind"))
            try c.encode(path, forKey: AnyKey("path"))
            try c.encode(exists, forKey: AnyKey("exists"))
        }
    }
}

import Inventory
import RunbookModel

/// One thing the engine does on a host; shell commands are rendered, the rest are described exactly.
public enum Operation: Sendable, Hashable, Encodable {
    /// Runs a command; it must exit 0.
    case shell(ShellCommand, timeout: TimeSpan?)
    /// Copies a local file over SFTP to a temporary name on the host (a `shell` operation publishes it).
    case upload(source: String, temporary: String, mode: String?)
    /// Polls the host's listening sockets until the port listens.
    case waitForPort(port: Int, timeout: TimeSpan)
    /// Polls a URL, as the host sees it, until it answers with an accepted status.
    case waitForHTTP(url: String, statuses: StatusMatcher, timeout: TimeSpan)
    /// Polls the supervisor until the app is running (or stopped).
    case waitForState(app: String, status: ShellCommand, running: Bool, timeout: TimeSpan)

    /// One line for plans and events.
    public var display: String {
        switch self {
        case .shell(let command, _): command.display
        case .upload(let source, let temporary, let mode):
            "sftp \(source) → \(temporary)" + (mode.map { " (mode \($0))" } ?? "")
        case .waitForPort(let port, let timeout): "wait until port \(port) listens (\(timeout))"
        case .waitForHTTP(let url, let statuses, let timeout): "wait until \(url) answers \(statuses) (\(timeout))"
        case .waitForState(let app, let status, let running, let timeout):
            "wait until \(app) is \(running ? "running" : "stopped") per `\(status.display)` (\(timeout))"
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
    public var command: ShellCommand

    /// True when an exit status of 0 means "skip the action".
    public var skipsOnSuccess: Bool { kind != .onlyIf }

    /// Why the action was skipped, for output.
    public var skipReason: String {
        switch kind {
        case .creates: "skipped: `\(command.display)` holds (creates:)"
        case .unless: "skipped: `\(command.display)` exited 0 (unless:)"
        case .onlyIf: "skipped: `\(command.display)` did not exit 0 (only_if:)"
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
    /// The undo acts on a running app (start, stop, reload...): it runs after the host's file undos,
    /// so the app comes back with its files already restored.
    public var appUndo: Bool = false
    /// The app's last log lines, added to the message when the action fails.
    public var logs: ShellCommand? = nil
    /// False for actions that change nothing (`wait_for`): they alone do not call for the rollback block.
    public var effect: Bool = true
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
    case http(
        url: String, statuses: StatusMatcher, method: String, contains: String?, json: [ExpectedValue], timeout: TimeSpan, fromController: Bool)
    case command(ShellCommand, exit: Int, contains: String?)
    case file(path: String, exists: Bool)
    case running(app: String, status: ShellCommand)
    /// RSS of the app's process tree: `rss` reads it for the pid in `$RUNBOOK_PID`.
    case memory(app: String, status: ShellCommand, rss: ShellCommand, max: Int)
    /// The app's log since the run started: `read` prints it (from `$RUNBOOK_SINCE` when `byTime`).
    case log(app: String, read: ShellCommand, byTime: Bool, contains: String?, notContains: String?, sinceVerify: Bool)
    /// A TCP connect from the host; `probe` exits 0 connected, 3 when it cannot check.
    case reachable(target: String, probe: ShellCommand, timeout: TimeSpan)
    case envFile(path: String, has: [ExpectedValue])

    /// The app a check is about (its log is shown when the check fails).
    public var app: String? {
        switch self {
        case .restarts(let app, _, _, _), .running(let app, _), .memory(let app, _, _, _), .log(let app, _, _, _, _, _): app
        default: nil
        }
    }

    /// How the assertion reads in plans and results.
    public var display: String {
        switch self {
        case .restarts(let app, _, let max, let over): "restarts \(app) ≤ \(max) over \(over)"
        case .listening(let port, let address, let family, let process):
            "listening \(address.map { Self.socket($0, port) } ?? "port \(port)")" + (family.map { " (\($0))" } ?? "")
                + (process.map { " owned by \($0)" } ?? "")
        case .notListening(let port): "nothing listening on port \(port)"
        case .http(let url, let statuses, let method, let contains, let json, _, let fromController):
            "http \(method) \(url) → \(statuses)" + (contains.map { " containing \"\($0)\"" } ?? "")
                + (json.isEmpty ? "" : " with JSON " + json.map { "\($0.key) = \($0.display)" }.joined(separator: ", "))
                + (fromController ? " (from the controller)" : " (from the host)")
        case .command(let command, let exit, let contains):
            "command `\(command.display)` exits \(exit)" + (contains.map { " and prints \"\($0)\"" } ?? "")
        case .file(let path, let exists): exists ? "file \(path) exists" : "file \(path) does not exist"
        case .running(let app, _): "\(app) is running"
        case .memory(let app, _, _, let max): "memory of \(app) ≤ \(MemorySize.describe(max))"
        case .log(let app, _, _, let contains, let notContains, let sinceVerify):
            "log of \(app) since the \(sinceVerify ? "verification" : "run") started"
                + [contains.map { " contains \"\($0)\"" }, notContains.map { " has no \"\($0)\"" }].compactMap { $0 }.joined(separator: " and")
        case .reachable(let target, _, _): "\(target) reachable from the host"
        case .envFile(let path, let has): "\(path) has " + has.map { "\($0.key)=\($0.display)" }.joined(separator: ", ")
        }
    }

    static func socket(_ address: String, _ port: Int) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// A value a check expects under a key (an env file variable, a JSON path); `display` masks secrets.
public struct ExpectedValue: Sendable, Hashable, Encodable {
    public var key: String
    public var value: String
    public var display: String

    public init(key: String, value: String, display: String) {
        self.key = key
        self.value = value
        self.display = display
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("\(key)=\(display)")
    }
}

/// A verification rendered for one host.
public struct PlannedVerification: Sendable, Hashable, Encodable {
    public var name: String
    public var after: [String]
    public var within: TimeSpan
    public var checks: [PlannedCheck]
    /// Per app of its checks, the command printing its last log lines (shown when a check fails).
    public var logs: [String: ShellCommand] = [:]
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
    /// The `precheck` block: checked when the host's batch starts, before any change.
    public var precheck: PlannedVerification? = nil
    /// Secret values on this host, for masking command output.
    public var secrets: [String]
    /// Where the host's run locks live, when the `runbook_lock_dir` variable moves them.
    public var lockFolder: String?
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
        case .shell(let command, let timeout):
            try c.encode("shell", forKey: AnyKey("kind"))
            try c.encode(command, forKey: AnyKey("command"))
            try c.encodeIfPresent(timeout, forKey: AnyKey("timeout"))
        case .upload(let source, let temporary, let mode):
            try c.encode("upload", forKey: AnyKey("kind"))
            try c.encode(source, forKey: AnyKey("source"))
            try c.encode(temporary, forKey: AnyKey("temporary"))
            try c.encodeIfPresent(mode, forKey: AnyKey("mode"))
        case .waitForPort(let port, let timeout):
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
            try c.encode(status, forKey: AnyKey("status_command"))
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
            try c.encode(status, forKey: AnyKey("status_command"))
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
        case .http(let url, let statuses, let method, let contains, let json, let timeout, let fromController):
            try c.encode("http", forKey: AnyKey("kind"))
            try c.encode(url, forKey: AnyKey("url"))
            try c.encode(statuses.description, forKey: AnyKey("status"))
            try c.encode(method, forKey: AnyKey("method"))
            try c.encodeIfPresent(contains, forKey: AnyKey("contains"))
            if !json.isEmpty { try c.encode(json, forKey: AnyKey("json")) }
            try c.encode(timeout, forKey: AnyKey("timeout"))
            try c.encode(fromController ? "controller" : "host", forKey: AnyKey("from"))
        case .command(let command, let exit, let contains):
            try c.encode("command", forKey: AnyKey("kind"))
            try c.encode(command, forKey: AnyKey("command"))
            try c.encode(exit, forKey: AnyKey("exit"))
            try c.encodeIfPresent(contains, forKey: AnyKey("contains"))
        case .file(let path, let exists):
            try c.encode("file", forKey: AnyKey("kind"))
            try c.encode(path, forKey: AnyKey("path"))
            try c.encode(exists, forKey: AnyKey("exists"))
        case .running(let app, let status):
            try c.encode("running", forKey: AnyKey("kind"))
            try c.encode(app, forKey: AnyKey("app"))
            try c.encode(status, forKey: AnyKey("status_command"))
        case .memory(let app, let status, let rss, let max):
            try c.encode("memory", forKey: AnyKey("kind"))
            try c.encode(app, forKey: AnyKey("app"))
            try c.encode(status, forKey: AnyKey("status_command"))
            try c.encode(rss, forKey: AnyKey("rss_command"))
            try c.encode(max, forKey: AnyKey("max_bytes"))
        case .log(let app, let read, let byTime, let contains, let notContains, let sinceVerify):
            try c.encode("log", forKey: AnyKey("kind"))
            try c.encode(app, forKey: AnyKey("app"))
            try c.encode(read, forKey: AnyKey("read_command"))
            try c.encode(sinceVerify ? "verify" : "run", forKey: AnyKey("since"))
            try c.encode(byTime ? "time" : "mark", forKey: AnyKey("window"))
            try c.encodeIfPresent(contains, forKey: AnyKey("contains"))
            try c.encodeIfPresent(notContains, forKey: AnyKey("not_contains"))
        case .reachable(let target, let probe, let timeout):
            try c.encode("reachable", forKey: AnyKey("kind"))
            try c.encode(target, forKey: AnyKey("target"))
            try c.encode(probe, forKey: AnyKey("probe_command"))
            try c.encode(timeout, forKey: AnyKey("timeout"))
        case .envFile(let path, let has):
            try c.encode("env_file", forKey: AnyKey("kind"))
            try c.encode(path, forKey: AnyKey("path"))
            try c.encode(has, forKey: AnyKey("has"))
        }
    }
}

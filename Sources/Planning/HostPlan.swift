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
    public func capped(at seconds: Double?) -> Operation { mapCommands { $0.capped(at: seconds) } }

    /// The same operation with each of its commands changed.
    public func mapCommands(_ change: (HostCommand) -> HostCommand) -> Operation {
        switch self {
        case .command(let command): .command(change(command))
        case .waitForPort(let port, let probe, let timeout): .waitForPort(port: port, probe: change(probe), timeout: timeout)
        case .waitForState(let app, let status, let running, let timeout):
            .waitForState(app: app, status: change(status), running: running, timeout: timeout)
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
    /// Removes what was moved aside: kept in a script when the host passed, run when a later run
    /// prunes (see `KeptBackups`).
    public var cleanup: [ShellCommand]
    /// The undo acts on a running app (start, stop, reload...): it runs after the host's file undos,
    /// so the app comes back with its files already restored.
    public var appUndo: Bool = false
    /// The app's last log lines, added to the message when the action fails.
    public var logs: ShellCommand? = nil
    /// False for actions that change nothing (`wait_for`): they alone do not call for the rollback block.
    public var effect: Bool = true
    /// A failed attempt is undone too: the built-in undos are guarded and put back whatever the action
    /// reached. False for `run`, whose undo is for a command that completed. (Not in the plan's JSON.)
    public var undoesFailure: Bool = true
    /// The paths the action changes (journaled with its intent: a rollback of an older run refuses
    /// to put back a path a later run changed).
    public var paths: [String] = []

    enum CodingKeys: String, CodingKey {
        case keyword, summary, guards, operations, undo, cleanup, appUndo, logs, effect
    }

    /// The same action with every command it can send changed (its undo too, when `undo` is set).
    public func mapCommands(undo includeUndo: Bool, _ change: (HostCommand) -> HostCommand) -> PlannedAction {
        var copy = self
        copy.operations = operations.map { $0.mapCommands(change) }
        copy.guards = guards.map { guardCheck in
            var changed = guardCheck
            changed.command = change(guardCheck.command)
            return changed
        }
        if includeUndo { copy.undo = undo.map { $0.mapCommands(change) } }
        return copy
    }

    /// The command that prints the app's last log lines, as planned.
    public var logsCommand: HostCommand? { logs.map { HostCommand($0, limit: 15) } }

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

    /// The first command that reads this check's facts on the host; nil for HTTP (a tunnel, or the controller).
    public var probe: HostCommand? { commands.first }

    /// Every command this check can send, as planned (polling sends them again).
    public var commands: [HostCommand] {
        switch self {
        case .restarts(_, let status, _, _), .running(_, let status): [Self.statusProbe(status)]
        case .listening(let port, _, _, let process): [SocketTable.probe(port: port, owners: process != nil)]
        case .notListening(let port): [SocketTable.probe(port: port, owners: false)]
        case .http: []
        case .command(let command, _, _): [HostCommand(command, limit: 60)]
        case .file(let path, _): [HostCommand(ShellCommand("test -e " + ShellQuote.quote(path)), limit: 30)]
        case .memory(_, let status, let rss, _): [Self.statusProbe(status), Self.rssProbe(rss)]
        case .log(_, let read, let byTime, _, _, _): byTime ? [Self.clockProbe, Self.logProbe(read, byTime: true)] : [Self.logProbe(read, byTime: false)]
        case .reachable(_, let probe, let timeout): [Self.reachableProbe(probe, timeout: timeout)]
        case .envFile(let path, _): [Self.envFileProbe(path)]
        }
    }

    /// The supervisor's status of an app.
    public static func statusProbe(_ status: ShellCommand) -> HostCommand { HostCommand(status, limit: 30) }
    /// The RSS of a process tree, for the pid the status probe read.
    public static func rssProbe(_ rss: ShellCommand) -> HostCommand { HostCommand(rss, limit: 30, requirements: [.procFD], inputs: ["RUNBOOK_PID"]) }
    /// The host's clock, read when the run starts (for logs read by time).
    public static let clockProbe = HostCommand(ShellCommand("date +%s"), limit: 15)
    /// An app's log: since `$RUNBOOK_SINCE` when read by time, else all of it (compared with the mark taken at the start).
    public static func logProbe(_ read: ShellCommand, byTime: Bool) -> HostCommand {
        HostCommand(read, limit: 60, inputs: byTime ? ["RUNBOOK_SINCE"] : [])
    }
    /// A TCP connect from the host.
    public static func reachableProbe(_ probe: ShellCommand, timeout: TimeSpan) -> HostCommand { HostCommand(probe, limit: max(1, timeout.seconds)) }
    /// An env file's bytes.
    public static func envFileProbe(_ path: String) -> HostCommand { HostCommand(ShellCommand("cat " + ShellQuote.quote(path)), limit: 30) }

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
    /// The command that reads each check's facts from the host (nil: the check sends no command).
    public var probes: [HostCommand?]

    public init(
        name: String, after: [String], within: TimeSpan, checks: [PlannedCheck], logs: [String: ShellCommand] = [:], probes: [HostCommand?]? = nil
    ) {
        self.name = name
        self.logs = logs
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
    /// The `precheck` block: checked when the host's batch starts, before any change.
    public var precheck: PlannedVerification? = nil
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
    /// Where a passed run keeps its backups' cleanup script (nil: the host's actions keep nothing).
    public var keptBackups: KeptBackups? = nil
    /// Sent by `rollback RUN` once every undo of the host succeeded: a passed run taken back forgets
    /// its kept backups (they were put back), so they no longer count as a later run's.
    public var afterRollback: HostCommand? = nil
    /// The last command after a failure (or with nothing to clean): releases the lock.
    public var release: HostCommand?
    /// True when the last step's last command releases the lock once it succeeded (no finish then).
    public var releaseRides = false
    /// Plain commands that follow one another, each sent as one exec (see `CommandChain`).
    public var chains: [CommandChain] = []

    /// The chain a step belongs to, if any.
    public func chain(of step: String) -> CommandChain? { chains.first { $0.steps.contains(step) } }
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
            try c.encode(command.display, forKey: AnyKey("command"))
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

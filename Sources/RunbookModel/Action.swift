import RunbookLanguage

/// One thing a step does on a host, in the order written.
public struct Action: Sendable, Hashable {
    /// The actions of the language and their arguments, unresolved.
    public enum Kind: Sendable, Hashable {
        case run(RunCommand)
        case stop(app: Expr)
        case start(target: Expr, name: Expr?, cwd: Expr?)
        case restart(app: Expr)
        case save
        case freePort(port: Expr, signal: String, grace: Expr)
        case cleanCache(path: Expr)
        case upload(source: Expr, destination: Expr, mode: Expr?)
        case symlink(link: Expr, target: Expr)
        case waitForPort(port: Expr, timeout: Expr)
        case waitForHTTP(url: Expr, status: Expr, timeout: Expr)
        /// `reload app` (or `signal:` instead of the supervisor's own reload).
        case reload(app: Expr, signal: String?)
        /// `remove app`: takes the app out of the supervisor, kept so that the undo can put it back.
        case remove(app: Expr)
        /// `env_file PATH, set: {K: v}, unset: ["K"]`: edits a KEY=value file in place.
        case envFile(path: Expr, set: [KeyedExpr], unset: [Expr])
    }

    public var kind: Kind
    public var location: SourceLocation
    /// `undo:` as written: nil keeps the built-in undo.
    public var undo: UndoOverride?

    public init(_ kind: Kind, at location: SourceLocation, undo: UndoOverride? = nil) {
        self.kind = kind
        self.location = location
        self.undo = undo
    }

    /// The name as written in a runbook (`free_port`).
    public var keyword: String {
        switch kind {
        case .run: "run"
        case .stop: "stop"
        case .start: "start"
        case .restart: "restart"
        case .save: "save"
        case .freePort: "free_port"
        case .cleanCache: "clean_cache"
        case .upload: "upload"
        case .symlink: "symlink"
        case .waitForPort, .waitForHTTP: "wait_for"
        case .reload: "reload"
        case .remove: "remove"
        case .envFile: "env_file"
        }
    }
}

/// What `undo:` says instead of an action's built-in undo.
public enum UndoOverride: Sendable, Hashable {
    /// `undo: false`: the action is not undone.
    case none
    /// `undo: "cmd"`: this command is the undo.
    case command(Expr)
}

/// A shell command with its options and guards (`run "cmd", cwd:, env:, unless:, undo:`).
public struct RunCommand: Sendable, Hashable {
    public var command: Expr
    public var cwd: Expr?
    public var env: [KeyedExpr]
    public var timeout: Expr?
    public var sudo: Bool
    public var creates: Expr?
    public var unless: Expr?
    public var onlyIf: Expr?
    public var undo: Expr?
}

/// One check inside `verify`.
public struct Assertion: Sendable, Hashable {
    /// The assertions of the language and their arguments, unresolved.
    public enum Kind: Sendable, Hashable {
        case restarts(app: Expr, max: Expr, over: Expr)
        case listening(port: Expr, address: Expr?, family: String?, process: Expr?)
        case notListening(port: Expr)
        case http(url: Expr, status: Expr, method: Expr, contains: Expr?, json: [KeyedExpr], timeout: Expr, fromController: Bool)
        case command(command: Expr, exit: Expr, contains: Expr?)
        case file(path: Expr, exists: Bool)
        case running(app: Expr)
        case memory(app: Expr, max: Expr)
        /// `log app, contains:, not_contains:, since: :run` (or `:verify`: since the verification started).
        case log(app: Expr, contains: Expr?, notContains: Expr?, sinceVerify: Bool)
        case reachable(target: Expr, timeout: Expr)
        case envFile(path: Expr, has: [KeyedExpr])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The name as written in a runbook.
    public var keyword: String {
        switch kind {
        case .restarts: "restarts"
        case .listening: "listening"
        case .notListening: "not_listening"
        case .http: "http"
        case .command: "command"
        case .file: "file"
        case .running: "running"
        case .memory: "memory"
        case .log: "log"
        case .reachable: "reachable"
        case .envFile: "env_file"
        }
    }
}

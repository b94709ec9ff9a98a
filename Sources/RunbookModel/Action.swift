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
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
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
        }
    }
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
        case http(url: Expr, status: Expr, method: Expr, contains: Expr?, timeout: Expr, fromController: Bool)
        case command(command: Expr, exit: Expr, contains: Expr?)
        case file(path: Expr, exists: Bool)
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
        }
    }
}

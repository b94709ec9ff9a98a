import RunbookLanguage

/// One action of the language as a type: its name, the arguments it takes, and how checked arguments
/// become its value (one type per action, as swift-argument-parser has one type per command).
///
/// An action that lists `undo:` in its own signature renders `undo: "cmd"` itself (`run` does, in its
/// directory and environment); for every other action `undo:` is added and recorded as `Action.undo`.
public protocol ActionKind: Sendable, Hashable {
    /// The name as written in a runbook (`free_port`).
    static var keyword: String { get }
    /// The arguments it takes.
    static var signature: Signature { get }
    /// Words people reach for that mean this one (`delete` for `remove`), for "did you mean".
    static var synonyms: [String] { get }
    /// The action from its checked arguments; nil once `arguments.error` said why it cannot be built.
    init?(_ arguments: inout CheckedArguments)
    /// The expressions it sends as shell commands (warned about when a secret is interpolated into them).
    var commands: [Expr] { get }
}

extension ActionKind {
    public static var synonyms: [String] { [] }
    public var commands: [Expr] { [] }
}

/// One check of the language as a type: its name, arguments and value (see `ActionKind`).
public protocol AssertionKind: Sendable, Hashable {
    /// The name as written in a runbook (`not_listening`).
    static var keyword: String { get }
    /// The arguments it takes.
    static var signature: Signature { get }
    /// Words people reach for that mean this one (`delete` for `remove`), for "did you mean".
    static var synonyms: [String] { get }
    /// The assertion from its checked arguments; nil once `arguments.error` said why it cannot be built.
    init?(_ arguments: inout CheckedArguments)
    /// The expressions it sends as shell commands (warned about when a secret is interpolated into them).
    var commands: [Expr] { get }
}

extension AssertionKind {
    public static var synonyms: [String] { [] }
    public var commands: [Expr] { [] }
}

/// One thing a step does on a host, in the order written.
public struct Action: Sendable, Hashable {
    /// The action and its arguments, unresolved.
    public var kind: any ActionKind
    public var location: SourceLocation
    /// `undo:` as written: nil keeps the built-in undo.
    public var undo: UndoOverride?

    public init(_ kind: any ActionKind, at location: SourceLocation, undo: UndoOverride? = nil) {
        self.kind = kind
        self.location = location
        self.undo = undo
    }

    /// The name as written in a runbook (`free_port`).
    public var keyword: String { type(of: kind).keyword }

    public static func == (lhs: Action, rhs: Action) -> Bool {
        AnyHashable(lhs.kind) == AnyHashable(rhs.kind) && lhs.location == rhs.location && lhs.undo == rhs.undo
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(AnyHashable(kind))
        hasher.combine(location)
        hasher.combine(undo)
    }
}

/// What `undo:` says instead of an action's built-in undo.
public enum UndoOverride: Sendable, Hashable {
    /// `undo: false`: the action is not undone.
    case none
    /// `undo: "cmd"`: this command is the undo.
    case command(Expr)
}

/// One check inside `verify`.
public struct Assertion: Sendable, Hashable {
    /// The assertion and its arguments, unresolved.
    public var kind: any AssertionKind
    public var location: SourceLocation

    public init(_ kind: any AssertionKind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The name as written in a runbook.
    public var keyword: String { type(of: kind).keyword }

    public static func == (lhs: Assertion, rhs: Assertion) -> Bool {
        AnyHashable(lhs.kind) == AnyHashable(rhs.kind) && lhs.location == rhs.location
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(AnyHashable(kind))
        hasher.combine(location)
    }
}

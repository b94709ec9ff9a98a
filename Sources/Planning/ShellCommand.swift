import RunbookModel

/// A command a host will run: the real script, and the same text with secrets masked for display.
public struct ShellCommand: Sendable, Hashable, Encodable, CustomStringConvertible {
    /// What is sent to the host.
    public var script: String
    /// What plans, events and journals show: secrets replaced by `••••`.
    public var display: String

    public init(script: String, display: String) {
        self.script = script
        self.display = display
    }

    /// A command with nothing secret in it.
    public init(_ text: String) {
        self.init(script: text, display: text)
    }

    public var description: String { display }

    /// Only the masked form is ever written out (plans, events, journals).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(display)
    }

    /// `a && b`, keeping both versions in step.
    public static func + (lhs: ShellCommand, rhs: String) -> ShellCommand {
        ShellCommand(script: lhs.script + rhs, display: lhs.display + rhs)
    }

    public static func + (lhs: String, rhs: ShellCommand) -> ShellCommand {
        ShellCommand(script: lhs + rhs.script, display: lhs + rhs.display)
    }

    public static func + (lhs: ShellCommand, rhs: ShellCommand) -> ShellCommand {
        ShellCommand(script: lhs.script + rhs.script, display: lhs.display + rhs.display)
    }
}

/// The masked form of a secret value.
public let secretMask = "••••"

/// A value resolved for one host, with its secrecy, ready to be rendered into text or commands.
public struct Rendered: Sendable, Hashable {
    public var value: String
    public var display: String

    public init(value: String, display: String) {
        self.value = value
        self.display = display
    }

    public init(_ text: String) { self.init(value: text, display: text) }

    /// The value as one shell word (quoted when needed); a secret shows as `••••`.
    public var quoted: ShellCommand {
        ShellCommand(script: ShellQuote.quote(value), display: value == display ? ShellQuote.quote(display) : display)
    }
}

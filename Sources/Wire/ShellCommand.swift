/// A shell snippet a host will run: the script sent, the same text with secrets masked for display,
/// and the secret parameters it reads from its environment (never their values).
public struct ShellCommand: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What is sent to the host; secrets appear only as `"${RUNBOOK_SECRET_name}"` references.
    public var script: String
    /// What plans, events and journals show: secrets replaced by `••••`.
    public var display: String
    /// Names of the secret parameters the script reads (see `SecretName.environment`).
    public var secrets: [String]

    public init(script: String, display: String, secrets: [String] = []) {
        self.script = script
        self.display = display
        self.secrets = secrets
    }

    /// A command with nothing secret in it.
    public init(_ text: String) {
        self.init(script: text, display: text)
    }

    public var description: String { display }

    /// The whole command as one shell word (`sh -c` of it), script and display quoted alike.
    public var quoted: ShellCommand { ShellCommand(script: ShellQuote.quote(script), display: ShellQuote.quote(display), secrets: secrets) }

    /// `a && b`, keeping both versions and the secrets in step.
    public static func + (lhs: ShellCommand, rhs: String) -> ShellCommand {
        ShellCommand(script: lhs.script + rhs, display: lhs.display + rhs, secrets: lhs.secrets)
    }

    public static func + (lhs: String, rhs: ShellCommand) -> ShellCommand {
        ShellCommand(script: lhs + rhs.script, display: lhs + rhs.display, secrets: rhs.secrets)
    }

    public static func + (lhs: ShellCommand, rhs: ShellCommand) -> ShellCommand {
        ShellCommand(script: lhs.script + rhs.script, display: lhs.display + rhs.display, secrets: merge(lhs.secrets, rhs.secrets))
    }

    static func merge(_ a: [String], _ b: [String]) -> [String] { a + b.filter { !a.contains($0) } }
}

extension ShellCommand: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

/// The masked form of a secret value.
public let secretMask = "••••"

/// How a secret parameter reaches a command: an environment variable set by the starter from standard input.
public enum SecretName {
    /// `RUNBOOK_SECRET_token` for the parameter `token`.
    public static func environment(_ parameter: String) -> String {
        "RUNBOOK_SECRET_" + String(parameter.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// The reference a script uses, as one shell word.
    public static func reference(_ parameter: String) -> String { "\"${\(environment(parameter))}\"" }
}

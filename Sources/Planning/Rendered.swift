import Wire

/// A value resolved for one host, with its secrecy, ready to be rendered into text or commands.
public struct Rendered: Sendable, Hashable {
    /// One piece of a rendered value: literal text, or the value of a secret parameter.
    public enum Segment: Sendable, Hashable {
        case text(String)
        case secret(name: String, value: String)
    }

    public var value: String
    public var display: String
    /// The value piece by piece, so a command can read the secret parts from its environment.
    public var segments: [Segment]

    public init(value: String, display: String) {
        self.init(segments: [.text(value)])
        self.display = display
    }

    public init(segments: [Segment]) {
        self.segments = segments
        value = segments.map { segment in
            switch segment {
            case .text(let text): text
            case .secret(_, let value): value
            }
        }.joined()
        display = segments.map { segment in
            switch segment {
            case .text(let text): text
            case .secret: secretMask
            }
        }.joined()
    }

    public init(_ text: String) { self.init(segments: [.text(text)]) }

    /// The secret parameters whose values are in this value.
    public var secrets: [String] {
        segments.compactMap { segment in
            if case .secret(let name, _) = segment { return name }
            return nil
        }
    }

    /// The value as one shell word: quoted when needed; secret parts read from the environment
    /// (`"Bearer ${RUNBOOK_SECRET_token}"`), so no secret value is ever in a command's text.
    public var quoted: ShellCommand {
        let names = secrets
        guard !names.isEmpty else {
            let word = ShellQuote.quote(value)
            return ShellCommand(script: word, display: value == display ? word : ShellQuote.quote(display))
        }
        var script = "\""
        for segment in segments {
            switch segment {
            case .text(let text): script += Self.escapedForDoubleQuotes(text)
            case .secret(let name, _): script += "${\(SecretName.environment(name))}"
            }
        }
        script += "\""
        return ShellCommand(script: script, display: ShellQuote.quote(display), secrets: names)
    }

    /// Inside double quotes only `$`, `` ` ``, `"` and `\` are special.
    static func escapedForDoubleQuotes(_ text: String) -> String {
        var out = ""
        for character in text {
            if "$`\"\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

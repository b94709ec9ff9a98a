import RunbookLanguage
import RunbookModel
import Wire

/// Turns the runbook's values into text for one host. Command strings quote every interpolated value
/// (unless it is made only of safe characters, or is a `type: :shell` parameter); other strings take
/// values as they are, and are quoted whole where they become part of a command.
public struct ValueRenderer: Sendable {
    public var values: HostValues

    public init(values: HostValues) { self.values = values }

    /// A problem found while rendering (a value of the wrong kind for its place).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private func lookup(_ path: [String]) -> (value: String, secret: Bool, verbatim: Bool)? {
        let name = path.joined(separator: ".")
        if let param = values.params[name] { return (param.text, param.secret, param.verbatim) }
        if let builtin = values.builtins[name] { return (builtin, false, false) }
        return nil
    }

    /// A plain value (a path, an app name, a URL): interpolations inserted as they are.
    public func text(_ expr: Expr) throws(Problem) -> Rendered {
        switch expr {
        case .string(let literal): return try join(literal)
        case .int(let value): return Rendered(String(value))
        case .bool(let value): return Rendered(value ? "true" : "false")
        case .symbol(let name): return Rendered(name)
        case .reference(let name):
            guard let found = lookup([name]) else { throw Problem(message: "the parameter `\(name)` has no value") }
            return Rendered(segments: [found.secret ? .secret(name: name, value: found.value) : .text(found.value)])
        case .null: return Rendered("")
        case .array, .hash: throw Problem(message: "a list or hash cannot be used as text here")
        }
    }

    /// A shell snippet written by the user (`run`, `unless`, `undo`, `command`): interpolations quoted.
    public func command(_ expr: Expr) throws(Problem) -> ShellCommand {
        switch expr {
        case .string(let literal):
            return try commandText(literal)
        case .reference(let name):
            // A bare parameter as a whole command: a :shell parameter is the command itself.
            guard let found = lookup([name]) else { throw Problem(message: "the parameter `\(name)` has no value") }
            if found.secret {
                let reference = "$" + SecretName.environment(name)
                return ShellCommand(script: found.verbatim ? "eval \"\(reference)\"" : "\"\(reference)\"", display: secretMask, secrets: [name])
            }
            return ShellCommand(found.verbatim ? found.value : ShellQuote.quote(found.value))
        default:
            let rendered = try text(expr)
            return ShellCommand(script: rendered.value, display: rendered.display, secrets: rendered.secrets)
        }
    }

    public func int(_ expr: Expr, what: String) throws(Problem) -> Int {
        if case .int(let value) = expr { return value }
        let rendered = try text(expr)
        guard let value = Int(rendered.value) else { throw Problem(message: "\(what) must be an integer, not `\(rendered.display)`") }
        return value
    }

    public func port(_ expr: Expr, what: String) throws(Problem) -> Int {
        let value = try int(expr, what: what)
        guard (1...65535).contains(value) else { throw Problem(message: "\(what) must be a port (1-65535), not \(value)") }
        return value
    }

    public func duration(_ expr: Expr, what: String) throws(Problem) -> TimeSpan {
        if case .int(let seconds) = expr { return .seconds(seconds) }
        let rendered = try text(expr)
        if let seconds = Int(rendered.value) { return .seconds(seconds) }
        guard let span = TimeSpan(parsing: rendered.value) else {
            throw Problem(message: "\(what) must be a duration such as \"30s\", not `\(rendered.display)`")
        }
        return span
    }

    public func bool(_ expr: Expr, what: String) throws(Problem) -> Bool {
        if case .bool(let value) = expr { return value }
        let rendered = try text(expr)
        switch rendered.value.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw Problem(message: "\(what) must be true or false, not `\(rendered.display)`")
        }
    }

    /// HTTP statuses: an integer, an array of them, or a range string.
    public func statuses(_ expr: Expr) throws(Problem) -> StatusMatcher {
        switch expr {
        case .int(let value): return StatusMatcher(ranges: [StatusRangeValue(lower: value, upper: value)])
        case .array(let elements):
            var ranges: [StatusRangeValue] = []
            for element in elements {
                let value = try int(element, what: "an HTTP status")
                ranges.append(StatusRangeValue(lower: value, upper: value))
            }
            return StatusMatcher(ranges: ranges)
        default:
            let rendered = try text(expr)
            guard let range = StatusRange(parsing: rendered.value) else {
                throw Problem(message: "`\(rendered.display)` is not an HTTP status or a range such as \"200-299\"")
            }
            return StatusMatcher(ranges: [StatusRangeValue(lower: range.lower, upper: range.upper)])
        }
    }

    /// Text with interpolations as they are; secret parts are kept apart (see `Rendered.quoted`).
    private func join(_ literal: StringLiteral) throws(Problem) -> Rendered {
        var segments: [Rendered.Segment] = []
        for part in literal.parts {
            switch part {
            case .text(let text): segments.append(.text(text))
            case .interpolation(let path, _):
                guard let found = lookup(path) else {
                    throw Problem(message: "`#{\(path.joined(separator: "."))}` has no value on this host")
                }
                segments.append(found.secret ? .secret(name: path.joined(separator: "."), value: found.value) : .text(found.value))
            }
        }
        return Rendered(segments: segments)
    }

    /// A command string: every interpolated value quoted (a :shell value verbatim); a secret becomes
    /// a reference to the environment variable the starter sets, never its value.
    private func commandText(_ literal: StringLiteral) throws(Problem) -> ShellCommand {
        var script = ""
        var display = ""
        var secrets: [String] = []
        for part in literal.parts {
            switch part {
            case .text(let text):
                script += text
                display += text
            case .interpolation(let path, _):
                guard let found = lookup(path) else {
                    throw Problem(message: "`#{\(path.joined(separator: "."))}` has no value on this host")
                }
                let name = path.joined(separator: ".")
                if found.secret {
                    script += found.verbatim ? "$" + SecretName.environment(name) : SecretName.reference(name)
                    display += secretMask
                    if !secrets.contains(name) { secrets.append(name) }
                } else {
                    let word = found.verbatim ? found.value : ShellQuote.quote(found.value)
                    script += word
                    display += word
                }
            }
        }
        return ShellCommand(script: script, display: display, secrets: secrets)
    }
}

/// One inclusive range of HTTP statuses.
public struct StatusRangeValue: Sendable, Hashable, Codable {
    public var lower: Int
    public var upper: Int
}

/// The statuses an `http` check or `wait_for http:` accepts.
public struct StatusMatcher: Sendable, Hashable, Codable, CustomStringConvertible {
    public var ranges: [StatusRangeValue]

    public func accepts(_ status: Int) -> Bool { ranges.contains { (($0.lower)...($0.upper)).contains(status) } }

    public var description: String {
        ranges.map { $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }.joined(separator: ", ")
    }
}

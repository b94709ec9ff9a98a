import Inventory
import RunbookLanguage
import RunbookModel
import Wire

/// A parameter's value on one host, checked against its type.
public struct ParamValue: Sendable, Hashable {
    public var text: String
    public var secret: Bool
    /// `type: :shell` values are inserted into commands verbatim.
    public var verbatim: Bool
    /// Where the value came from: "--set", "inventory", "default".
    public var source: String
}

/// The values a runbook sees on one host: parameters and built-ins.
public struct HostValues: Sendable {
    public var params: [String: ParamValue]
    public var builtins: [String: String]

    public init(params: [String: ParamValue], builtins: [String: String]) {
        self.params = params
        self.builtins = builtins
    }

    /// Every secret value, for masking output that echoes one.
    public var secrets: [String] { params.values.filter { $0.secret && !$0.text.isEmpty }.map(\.text) }

    /// Secret parameters by name: what the starter exports for the commands that read them.
    public var secretValues: [String: String] { params.filter { $0.value.secret }.mapValues(\.text) }
}

/// A problem with a parameter on some hosts (reported once, naming every host).
public struct ParamProblem: Sendable, Hashable {
    public var param: String
    public var message: String
}

/// Resolves parameters per host: `--set`, then the host's inventory variables, then the default.
public enum ParamResolver {
    public static func resolve(
        runbook: Runbook, hostVariables: [String: InventoryValue], overrides: [String: String]
    ) -> (values: [String: ParamValue], problems: [ParamProblem]) {
        var values: [String: ParamValue] = [:]
        var problems: [ParamProblem] = []
        for param in runbook.params {
            var raw: String?
            var source = "default"
            if let value = overrides[param.name] {
                raw = value
                source = "--set"
            } else if let value = hostVariables[param.name], value != .null {
                raw = value.description
                source = "inventory"
            } else if let value = param.defaultValue {
                raw = literalText(value)
            }
            guard let text = raw else {
                problems.append(
                    ParamProblem(
                        param: param.name,
                        message: param.secret
                            ? "the secret parameter `\(param.name)` has no value; give it with RUNBOOK_SECRET_\(param.name)=..., --set-file \(param.name)=PATH, an inventory variable, or at the prompt on a terminal"
                            : "the parameter `\(param.name)` has no value; give it with --set \(param.name)=... or an inventory variable"))
                continue
            }
            if let problem = typeProblem(text, type: param.type) {
                let shown = param.secret ? secretMask : "`\(escaped(text))`"
                problems.append(ParamProblem(param: param.name, message: "the parameter `\(param.name)` is \(shown) (from \(source)), \(problem)"))
                continue
            }
            values[param.name] = ParamValue(
                text: normalized(text, type: param.type), secret: param.secret, verbatim: param.type == .shell, source: source)
        }
        return (values, problems)
    }

    static func literalText(_ expr: Expr) -> String? {
        switch expr {
        case .string(let literal): literal.plainText
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .symbol(let name): name
        default: nil
        }
    }

    /// Why a text does not fit a parameter type ("which is not a port (1-65535)"), or nil.
    public static func typeProblem(_ text: String, type: ParamType) -> String? {
        // A NUL cuts a command line or a path short wherever C reads it: never a value, whatever the type.
        if text.contains("\0") { return "which holds a NUL byte" }
        switch type {
        case .string, .shell: return nil
        case .int: return Int(text) == nil ? "which is not an integer" : nil
        case .port:
            guard let port = Int(text), (1...65535).contains(port) else { return "which is not a port (1-65535)" }
            return nil
        case .bool: return ["true", "false", "yes", "no"].contains(text.lowercased()) ? nil : "which is not true or false"
        case .duration: return TimeSpan(parsing: text) == nil ? "which is not a duration such as \"30s\" or \"5m\"" : nil
        case .path:
            if text.isEmpty { return "an empty path" }
            guard let control = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
            return "a path with the control character \(escaped(String(control)))"
        }
    }

    /// The text with control characters written as `\u{..}`, so a message cannot act on the terminal.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func normalized(_ text: String, type: ParamType) -> String {
        switch type {
        case .bool: ["true", "yes"].contains(text.lowercased()) ? "true" : "false"
        default: text
        }
    }
}

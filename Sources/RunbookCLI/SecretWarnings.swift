import RunbookLanguage
import RunbookModel

/// Finds secret parameters interpolated into a command's own arguments, where any user of the host
/// reads them in `ps` while the command runs, whatever way the script itself reaches the host.
enum SecretWarnings {
    /// Programs that read a password from an environment variable of their own.
    static let knownVariables: [(prefix: String, variable: String)] = [
        ("mysql", "MYSQL_PWD"), ("mariadb", "MYSQL_PWD"), ("psql", "PGPASSWORD"), ("pg_", "PGPASSWORD"), ("sshpass", "SSHPASS"),
        ("restic", "RESTIC_PASSWORD"),
    ]

    /// One warning per interpolation of a secret parameter into a command.
    static func find(in runbook: Runbook, file: SourceFile?) -> [Diagnostic] {
        let secrets = Set(runbook.params.filter(\.secret).map(\.name))
        guard !secrets.isEmpty else { return [] }
        var commands: [(keyword: String, expr: Expr, location: SourceLocation)] = []
        func add(_ actions: [Action]) {
            for action in actions {
                if case .command(let undo)? = action.undo { commands.append(("undo", undo, action.location)) }
                for expr in action.kind.commands { commands.append((action.keyword, expr, action.location)) }
            }
        }
        for step in runbook.steps { add(step.actions) }
        add(runbook.rollback)
        for verification in runbook.verifications + [runbook.precheck].compactMap({ $0 }) {
            for assertion in verification.assertions {
                for expr in assertion.kind.commands { commands.append((assertion.keyword, expr, assertion.location)) }
            }
        }
        var warnings: [Diagnostic] = []
        for (keyword, expr, location) in commands {
            var uses: [(name: String, location: SourceLocation)] = []
            switch expr {
            case .string(let literal):
                for case .interpolation(let path, let at) in literal.parts { if let name = path.first, secrets.contains(name) { uses.append((name, at)) } }
            case .reference(let name) where secrets.contains(name):
                uses.append((name, location))
            default:
                break
            }
            for use in uses {
                var warning = Diagnostic(path: runbook.path, location: use.location, message: message(use.name, keyword: keyword, expr: expr), sourceLine: nil)
                if let file { warning = Diagnostic(warning.message, at: use.location, in: file) }
                warning.severity = .warning
                warnings.append(warning)
            }
        }
        return warnings.sorted { $0.location < $1.location }
    }

    private static func message(_ name: String, keyword: String, expr: Expr) -> String {
        var program = ""
        if case .string(let literal) = expr, case .text(let text)? = literal.parts.first {
            program = String(text.split(separator: " ").first ?? "")
        }
        let variable = knownVariables.first { program.hasPrefix($0.prefix) }?.variable ?? name.uppercased()
        return
            "the secret parameter `\(name)` is interpolated into the arguments of \(["run": "a `run` command", "undo": "an `undo:` command"][keyword] ?? "a `command` check"), where any user of the host can read it in `ps`; "
            + "pass it in the environment instead, `env: {\(variable): \(name)}`, to a program that reads it from there, or feed it on standard input "
            + "(`printf '%s' \"$\(variable)\" | program --password-stdin`)"
    }
}

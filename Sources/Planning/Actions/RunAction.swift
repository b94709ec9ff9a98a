import RunbookModel
import Wire

/// `run "cmd", cwd:, env:, timeout:, sudo:, creates:, unless:, only_if:, undo:`: a shell command with its guards.
struct RunAction: PlannableAction {
    static let keyword = "run"
    static let synonyms = ["exec", "shell", "sh", "execute", "command"]
    static let signature = Signature(
        positional: [("command", .string)],
        keywords: [
            ("cwd", .string), ("env", .env), ("timeout", .duration), ("sudo", .bool), ("creates", .string),
            ("unless", .string), ("only_if", .string), ("undo", .stringOrFalse),
        ])

    var command: Expr
    var cwd: Expr?
    var env: [KeyedExpr]
    var timeout: Expr?
    var sudo: Bool
    var creates: Expr?
    var unless: Expr?
    var onlyIf: Expr?
    /// `undo:` runs in the command's directory and environment, so the action renders it itself.
    var undo: Expr?

    init?(_ args: inout CheckedArguments) {
        guard let command = args.positional(0) else { return nil }
        let env = args.entries("env")
        for entry in env where !Validator.isEnvironmentName(entry.key) {
            args.error("`\(entry.key)` is not a valid environment variable name", at: args.location(of: "env"))
        }
        self.command = command
        self.cwd = args["cwd"]
        self.env = env
        self.timeout = args["timeout"]
        self.sudo = args.bool("sudo") ?? false
        self.creates = args["creates"]
        self.unless = args["unless"]
        self.onlyIf = args["only_if"]
        self.undo = args["undo"] == .bool(false) ? nil : args["undo"]
    }

    var commands: [Expr] { [command, unless, onlyIf, undo].compactMap { $0 } }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let cwd = try cwd.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr) }
        var env: [(String, Rendered)] = []
        for entry in self.env { env.append((entry.key, try planner.text(entry.value))) }
        let userCommand = try planner.command(command)
        let body = planner.wrap(userCommand, cwd: cwd, env: env)
        let timeout = try timeout.map { (expr) throws(ActionPlanner.Failure) in
            try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.duration(expr, what: "`timeout:`") }
        }
        var guards: [Guard] = []
        if let creates {
            guards.append(Guard(kind: .creates, command: planner.wrap("test -e " + (try planner.text(creates)).quoted, cwd: cwd, env: []), sudo: sudo))
        }
        if let unless {
            guards.append(Guard(kind: .unless, command: planner.wrap(try planner.command(unless), cwd: cwd, env: env), sudo: sudo))
        }
        if let onlyIf {
            guards.append(Guard(kind: .onlyIf, command: planner.wrap(try planner.command(onlyIf), cwd: cwd, env: env), sudo: sudo))
        }
        let undo = try undo.map { (expr) throws(ActionPlanner.Failure) in planner.wrap(try planner.command(expr), cwd: cwd, env: env) }
        return PlannedAction(
            keyword: Self.keyword,
            summary: userCommand.display.firstLine + (cwd.map { " (in \($0.display))" } ?? "") + (sudo ? " (sudo)" : ""), guards: guards,
            operations: [.shell(body, timeout: timeout, sudo: sudo)],
            undo: undo.map { [.shell($0, timeout: timeout, sudo: sudo)] } ?? [], cleanup: [], undoesFailure: false)
    }
}

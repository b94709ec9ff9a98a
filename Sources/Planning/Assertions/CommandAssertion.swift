import RunbookModel

/// `command "cmd", exit:, contains:`: a command's exit status (and output) on the host.
struct CommandAssertion: PlannableAssertion {
    static let keyword = "command"
    static let signature = Signature(positional: [("command", .string)], keywords: [("exit", .int(min: 0)), ("contains", .string)])

    var command: Expr
    var exit: Expr
    var contains: Expr?

    init?(_ args: inout CheckedArguments) {
        guard let command = args.positional(0) else { return nil }
        self.command = command
        self.exit = args["exit"] ?? .int(0)
        self.contains = args["contains"]
    }

    var commands: [Expr] { [command] }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        .command(
            try planner.command(command), exit: try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.int(exit, what: "`exit:`") },
            contains: try contains.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value })
    }
}

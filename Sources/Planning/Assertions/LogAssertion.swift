import RunbookModel
import Wire

/// `log app, contains:, not_contains:, since: :run` (or `:verify`: since the verification started).
struct LogAssertion: PlannableAssertion {
    static let keyword = "log"
    static let synonyms = ["logs", "grep", "journal"]
    static let signature = Signature(
        positional: [("app", .string)], keywords: [("contains", .string), ("not_contains", .string), ("since", .symbol(["run", "verify"]))])

    var app: Expr
    var contains: Expr?
    var notContains: Expr?
    var sinceVerify: Bool

    init?(_ args: inout CheckedArguments) {
        guard let app = args.positional(0) else { return nil }
        if args["contains"] == nil && args["not_contains"] == nil {
            args.error("`log` needs `contains:` or `not_contains:`", at: args.location)
            return nil
        }
        self.app = app
        self.contains = args["contains"]
        self.notContains = args["not_contains"]
        self.sinceVerify = args["since"] == .symbol("verify")
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        return .log(
            app: app.value, read: ShellCommand(adapter.logRead(app.value)), byTime: adapter.logsByTime,
            contains: try contains.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value },
            notContains: try notContains.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value }, sinceVerify: sinceVerify)
    }
}

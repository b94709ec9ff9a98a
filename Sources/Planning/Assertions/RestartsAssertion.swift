import RunbookModel
import Wire

/// `restarts app, max:, over:`: the supervisor's restart count grows by at most `max` over the window.
struct RestartsAssertion: PlannableAssertion {
    static let keyword = "restarts"
    static let synonyms = ["restart_count"]
    static let signature = Signature(
        positional: [("app", .string)], keywords: [("max", .int(min: 0)), ("over", .duration)], requiredKeywords: ["max"])

    var app: Expr
    var max: Expr
    var over: Expr

    init?(_ args: inout CheckedArguments) {
        guard let app = args.positional(0), let max = args["max"] else { return nil }
        self.app = app
        self.max = max
        self.over = args["over"] ?? .text("30s")
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        let max = try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.int(self.max, what: "`max:`") }
        let over = try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.duration(self.over, what: "`over:`") }
        return .restarts(app: app.value, status: ShellCommand(adapter.status(app.value)), max: max, over: over)
    }
}

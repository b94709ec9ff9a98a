import RunbookModel
import Wire

/// `running app`: the supervisor reports the app running.
struct RunningAssertion: PlannableAssertion {
    static let keyword = "running"
    static let synonyms = ["online", "status", "alive", "up"]
    static let signature = Signature(positional: [("app", .string)])

    var app: Expr

    init?(_ args: inout CheckedArguments) {
        guard let app = args.positional(0) else { return nil }
        self.app = app
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        return .running(app: app.value, status: ShellCommand(adapter.status(app.value)))
    }
}

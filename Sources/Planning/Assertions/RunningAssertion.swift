import RunbookModel
import Wire

/// `running app`: the supervisor reports the app running.
struct RunningAssertion: PlannableAssertion, AppSubject {
    static let keyword = "running"
    static let synonyms = ["online", "status", "alive", "up"]

    var app: Expr

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        return .running(app: app.value, status: ShellCommand(adapter.status(app.value)))
    }
}

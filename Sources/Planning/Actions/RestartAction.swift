import RunbookModel
import Wire

/// `restart app`: restarts it through the supervisor and waits until it runs; there is nothing to undo.
struct RestartAction: PlannableAction, AppSubject {
    static let keyword = "restart"
    static let synonyms = ["reboot", "bounce"]

    var app: Expr

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        return PlannedAction(
            keyword: Self.keyword, summary: "restart \(app.display)", guards: [],
            operations: [.shell(ShellCommand(adapter.restart(app.value)), timeout: nil), planner.waitFor(app, adapter, running: true)], undo: [],
            cleanup: [], appUndo: true, logs: planner.logs(app, adapter))
    }
}

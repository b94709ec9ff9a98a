import RunbookModel
import Wire

/// `stop app`: stops it through the supervisor and waits until it is down; the undo starts it again.
struct StopAction: PlannableAction, AppSubject {
    static let keyword = "stop"
    static let synonyms = ["kill", "halt"]

    var app: Expr

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        return PlannedAction(
            keyword: Self.keyword, summary: "stop \(app.display)", guards: [],
            operations: [.shell(ShellCommand(adapter.stop(app.value)), timeout: nil), planner.waitFor(app, adapter, running: false)],
            undo: [.shell(ShellCommand(adapter.start(app.value, name: nil)), timeout: nil), planner.waitFor(app, adapter, running: true)],
            cleanup: [], appUndo: true, logs: planner.logs(app, adapter))
    }
}
